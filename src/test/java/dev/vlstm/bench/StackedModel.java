package dev.vlstm.bench;

import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxTensor;
import dev.vlstm.onnx.proto.OnnxWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;

/**
 * Workloads W2 to W5 as ONNX graphs in the shape PyTorch exports {@code nn.LSTM(input, hidden, num_layers=2)} followed
 * by {@code nn.Linear(hidden, output)} (opset 12; W2: 64, 256, 10; W3: 256, 1024, 32): one LSTM node per layer with W/R/B initializers and absent initial states,
 * {@code Squeeze(axes=[1])} after each to drop the direction axis, then {@code MatMul} by the transposed weight and
 * {@code Add(bias, ·)}. Weights are uniform in ±1/√fan, as PyTorch initialises them, from a fixed seed. Input and
 * output have dynamic {@code seq} and {@code batch}.
 */
final class StackedModel {
    private StackedModel() {
    }

    static final int LAYERS = 2;
    static final String INPUT_NAME = "x", IDS_NAME = "ids", OUTPUT_NAME = "y";

    static void write(Path file, long seed, int input, int hidden, int output) throws IOException {
        write(file, seed, 0, input, hidden, output);
    }

    /**
     * With {@code vocabulary} > 0, {@code nn.Embedding(vocabulary, input)} first: a Gather of a table uniform in
     * [-1, 1) by int64 ids {@code [seq, batch]} named {@value #IDS_NAME} (W6).
     */
    static void write(Path file, long seed, int vocabulary, int input, int hidden, int output) throws IOException {
        final int INPUT = input, HIDDEN = hidden, OUTPUT = output;
        Random rnd = new Random(seed);
        List<OnnxNode> nodes = new ArrayList<>();
        List<OnnxTensor> weights = new ArrayList<>();
        String x = INPUT_NAME;
        if (vocabulary > 0) {
            weights.add(floatTensor("emb.weight", new long[]{vocabulary, INPUT}, uniform(rnd, vocabulary * INPUT, 1f)));
            nodes.add(namedNode("/emb/Gather", "Gather", List.of("emb.weight", IDS_NAME), List.of("emb.out")));
            x = "emb.out";
        }
        int in = INPUT;
        float scale = (float) (1 / Math.sqrt(HIDDEN));
        for (int l = 0; l < LAYERS; l++) {
            String w = "lstm.w" + l, r = "lstm.r" + l, b = "lstm.b" + l;
            weights.add(floatTensor(w, new long[]{1, 4L * HIDDEN, in}, uniform(rnd, 4 * HIDDEN * in, scale)));
            weights.add(floatTensor(r, new long[]{1, 4L * HIDDEN, HIDDEN}, uniform(rnd, 4 * HIDDEN * HIDDEN, scale)));
            weights.add(floatTensor(b, new long[]{1, 8L * HIDDEN}, uniform(rnd, 8 * HIDDEN, scale)));
            String y = "lstm" + l + ".y";
            nodes.add(namedNode("/lstm/LSTM_" + l, "LSTM", List.of(x, w, r, b), List.of(y, y + "_h", y + "_c"),
                    attrInt("hidden_size", HIDDEN)));
            String squeezed = "lstm" + l + ".out";
            nodes.add(namedNode("/lstm/Squeeze_" + l, "Squeeze", List.of(y), List.of(squeezed), attrInts("axes", 1)));
            x = squeezed;
            in = HIDDEN;
        }
        float headScale = (float) (1 / Math.sqrt(HIDDEN));
        weights.add(floatTensor("fc.weight_t", new long[]{HIDDEN, OUTPUT}, uniform(rnd, HIDDEN * OUTPUT, headScale)));
        weights.add(floatTensor("fc.bias", new long[]{OUTPUT}, uniform(rnd, OUTPUT, headScale)));
        nodes.add(namedNode("/fc/MatMul", "MatMul", List.of(x, "fc.weight_t"), List.of("fc.matmul")));
        nodes.add(namedNode("/fc/Add", "Add", List.of("fc.bias", "fc.matmul"), List.of(OUTPUT_NAME)));

        OnnxGraph g = graph("stacked_h" + hidden, nodes, weights,
                List.of(vocabulary > 0 ? valueInfo(IDS_NAME, OnnxDataType.INT64, "seq", "batch")
                        : valueInfo(INPUT_NAME, OnnxDataType.FLOAT, "seq", "batch", INPUT)),
                List.of(valueInfo(OUTPUT_NAME, OnnxDataType.FLOAT, "seq", "batch", OUTPUT)));
        OnnxWriter.write(model(7, 12, g), file);
    }

    private static float[] uniform(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }
}
