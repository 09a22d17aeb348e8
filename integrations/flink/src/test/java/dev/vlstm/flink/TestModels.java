package dev.vlstm.flink;

import dev.vlstm.format.VlstmWriter;
import dev.vlstm.format.WeightType;
import dev.vlstm.onnx.OnnxImporter;
import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxTensor;
import dev.vlstm.onnx.proto.OnnxWriter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;

/**
 * The models the tests run, converted into a test's folder: the seed model (the README's PyTorch export, input 100,
 * hidden 16 × 2 layers, Gemm head 13; the core's fixture lstm16_s150_b1) and stacked random models in the shape of
 * the core's benchmark workloads (W2: input 64, hidden 256 × 2, head 10, seed 20261101, as the core's StackedModel).
 */
final class TestModels {
    private TestModels() {
    }

    static final long W2_SEED = 20261101L;

    /** The seed model as .vlstm in {@code dir}. */
    static Path seed(Path dir) throws IOException {
        Path onnx = dir.resolve("seed-lstm16.onnx");
        try (InputStream in = TestModels.class.getResourceAsStream("/models/seed-lstm16.onnx")) {
            if (in == null) throw new IOException("test resource models/seed-lstm16.onnx missing");
            Files.copy(in, onnx);
        }
        return convert(onnx, dir.resolve("seed-lstm16.vlstm"));
    }

    /** W2's model (input 64, hidden 256 × 2 layers, head 10) as .vlstm in {@code dir}. */
    static Path w2(Path dir) throws IOException {
        return w2(dir, WeightType.FP32);
    }

    /**
     * W2's model with its weight matrices stored as {@code type} ({@code convert --weights}); too large for the core
     * to decode an int8 one at load (Limits.maxDecodedInt8Bytes), so it runs on the int8 kernels.
     */
    static Path w2(Path dir, WeightType type) throws IOException {
        return stacked(dir, type == WeightType.FP32 ? "w2-h256" : "w2-h256-" + type.label, W2_SEED, 64, 256, 10, type);
    }

    /**
     * {@code nn.LSTM(input, hidden, num_layers=2)} then {@code nn.Linear(hidden, output)} with weights uniform in
     * ±1/√hidden from {@code seed}, as ONNX (LSTM, Squeeze, MatMul, Add; dynamic seq and batch), converted.
     */
    static Path stacked(Path dir, String name, long seed, int input, int hidden, int output, WeightType type)
            throws IOException {
        Random rnd = new Random(seed);
        List<OnnxNode> nodes = new ArrayList<>();
        List<OnnxTensor> weights = new ArrayList<>();
        String x = "x";
        int in = input;
        float scale = (float) (1 / Math.sqrt(hidden));
        for (int l = 0; l < 2; l++) {
            String w = "lstm.w" + l, r = "lstm.r" + l, b = "lstm.b" + l;
            weights.add(floatTensor(w, new long[]{1, 4L * hidden, in}, uniform(rnd, 4 * hidden * in, scale)));
            weights.add(floatTensor(r, new long[]{1, 4L * hidden, hidden}, uniform(rnd, 4 * hidden * hidden, scale)));
            weights.add(floatTensor(b, new long[]{1, 8L * hidden}, uniform(rnd, 8 * hidden, scale)));
            String y = "lstm" + l + ".y";
            nodes.add(namedNode("/lstm/LSTM_" + l, "LSTM", List.of(x, w, r, b), List.of(y, y + "_h", y + "_c"),
                    attrInt("hidden_size", hidden)));
            String squeezed = "lstm" + l + ".out";
            nodes.add(namedNode("/lstm/Squeeze_" + l, "Squeeze", List.of(y), List.of(squeezed), attrInts("axes", 1)));
            x = squeezed;
            in = hidden;
        }
        weights.add(floatTensor("fc.weight_t", new long[]{hidden, output}, uniform(rnd, hidden * output, scale)));
        weights.add(floatTensor("fc.bias", new long[]{output}, uniform(rnd, output, scale)));
        nodes.add(namedNode("/fc/MatMul", "MatMul", List.of(x, "fc.weight_t"), List.of("fc.matmul")));
        nodes.add(namedNode("/fc/Add", "Add", List.of("fc.bias", "fc.matmul"), List.of("y")));
        OnnxGraph g = graph(name, nodes, weights,
                List.of(valueInfo("x", OnnxDataType.FLOAT, "seq", "batch", input)),
                List.of(valueInfo("y", OnnxDataType.FLOAT, "seq", "batch", output)));
        Path onnx = dir.resolve(name + ".onnx");
        OnnxWriter.write(model(7, 12, g), onnx);
        return convert(onnx, dir.resolve(name + ".vlstm"), type);
    }

    private static Path convert(Path onnx, Path vlstm) throws IOException {
        return convert(onnx, vlstm, WeightType.FP32);
    }

    private static Path convert(Path onnx, Path vlstm, WeightType type) throws IOException {
        OnnxImporter.Imported m = OnnxImporter.importFile(onnx);
        VlstmWriter.write(m.spec().withWeights(type), m.weights(), m.metadata(), vlstm);
        return vlstm;
    }

    private static float[] uniform(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }
}
