package dev.vlstm.onnx;

import dev.vlstm.onnx.proto.OnnxAttribute;
import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxModel;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxTensor;
import dev.vlstm.onnx.proto.OnnxValueInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;

/**
 * Builds ONNX LSTM graphs in Java the way PyTorch exports them (LSTM, Squeeze(axes=[1]) between layers, Reshape → Gemm
 * → Reshape head), with hooks to break them for refusal tests.
 */
final class LstmGraphs {
    final List<OnnxNode> nodes = new ArrayList<>();
    final List<OnnxTensor> initializers = new ArrayList<>();
    final List<OnnxValueInfo> inputs = new ArrayList<>();
    final List<OnnxValueInfo> outputs = new ArrayList<>();
    private final Random rnd;
    long opset = 12;
    String current = "x";
    int features;
    int layers;

    LstmGraphs(long seed, int input) {
        rnd = new Random(seed);
        features = input;
        inputs.add(valueInfo("x", OnnxDataType.FLOAT, "seq", "batch", input));
    }

    float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() - 0.5f;
        return a;
    }

    /** Adds an LSTM layer and the Squeeze after it; extra attributes go on the LSTM node. */
    LstmGraphs lstm(int hidden, boolean bias, OnnxAttribute... extra) {
        int l = layers++;
        String w = "W" + l, r = "R" + l, b = "B" + l;
        initializers.add(floatTensor(w, new long[]{1, 4L * hidden, features}, random(4 * hidden * features)));
        initializers.add(floatTensor(r, new long[]{1, 4L * hidden, hidden}, random(4 * hidden * hidden)));
        if (bias) initializers.add(floatTensor(b, new long[]{1, 8L * hidden}, random(8 * hidden)));
        List<OnnxAttribute> attrs = new ArrayList<>(List.of(attrInt("hidden_size", hidden)));
        attrs.addAll(List.of(extra));
        nodes.add(namedNode("lstm" + l, "LSTM", List.of(current, w, r, bias ? b : ""), List.of("y" + l),
                attrs.toArray(OnnxAttribute[]::new)));
        nodes.add(namedNode("squeeze" + l, "Squeeze", List.of("y" + l), List.of("s" + l), attrInts("axes", 1)));
        current = "s" + l;
        features = hidden;
        return this;
    }

    /** Reshape [seq*batch, H] (baked or dynamic -1) → Gemm(transB=1) → Reshape [seq, batch, -1] via Shape/Gather. */
    LstmGraphs gemmHead(int out) {
        initializers.add(floatTensor("head.w", new long[]{out, features}, random(out * features)));
        initializers.add(floatTensor("head.b", new long[]{out}, random(out)));
        initializers.add(int64Tensor("flat", new long[]{2}, new long[]{-1, features}));
        nodes.add(namedNode("flatten", "Reshape", List.of(current, "flat"), List.of("f")));
        nodes.add(namedNode("gemm", "Gemm", List.of("f", "head.w", "head.b"), List.of("g"), attrInt("transB", 1)));
        nodes.add(namedNode("shape", "Shape", List.of(current), List.of("shp")));
        initializers.add(int64Tensor("idx01", new long[]{2}, new long[]{0, 1}));
        initializers.add(int64Tensor("minus1", new long[]{1}, new long[]{-1}));
        nodes.add(namedNode("gather", "Gather", List.of("shp", "idx01"), List.of("sb")));
        nodes.add(namedNode("concat", "Concat", List.of("sb", "minus1"), List.of("target"), attrInt("axis", 0)));
        nodes.add(namedNode("unflatten", "Reshape", List.of("g", "target"), List.of("head_out")));
        current = "head_out";
        features = out;
        return this;
    }

    OnnxNode node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    OnnxModel build() {
        List<OnnxValueInfo> outs = outputs.isEmpty()
                ? List.of(valueInfo(current, OnnxDataType.FLOAT, "seq", "batch", features)) : outputs;
        OnnxGraph g = graph("test", nodes, initializers, inputs, outs);
        return model(7, opset, g);
    }
}
