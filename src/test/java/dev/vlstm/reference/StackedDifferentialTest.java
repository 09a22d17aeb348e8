package dev.vlstm.reference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.vlstm.Model;
import dev.vlstm.RunArgs;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import dev.vlstm.onnx.proto.OnnxAttribute;
import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxReader;
import dev.vlstm.onnx.proto.OnnxTensor;
import dev.vlstm.onnx.proto.OnnxWriter;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Differential test on whole stacked models built as PyTorch exports them: 1–4 LSTM layers (input 1..300, hidden
 * 1..300, seq 1..64, batch 1..9), forward or bidirectional, joined by Squeeze or Transpose + Reshape, with h0/c0 graph
 * inputs sliced per layer and h_n/c_n concatenated back, optional clip and peepholes, and a Gemm head. ONNX Runtime
 * runs the same ONNX file. Every case is rebuilt from its printed seed ({@code -Dvlstm.stacked.caseSeed=SEED}).
 */
class StackedDifferentialTest {
    static final int CASES = Integer.getInteger("vlstm.stacked.cases", 100);

    record Case(long seed, byte[] onnx, Map<String, float[]> feeds, Map<String, long[]> shapes, int seq, int batch,
                boolean states, boolean head, String describe) {
    }

    static Case draw(long seed) {
        Random rnd = new Random(seed);
        int layers = 1 + rnd.nextInt(4), input = 1 + rnd.nextInt(300), hidden = 1 + rnd.nextInt(300);
        int seq = 1 + rnd.nextInt(64), batch = 1 + rnd.nextInt(9);
        while ((long) seq * batch * (input + hidden) * hidden * layers > 60_000_000L) seq = Math.max(1, seq / 2);
        boolean bidi = rnd.nextBoolean(), states = rnd.nextBoolean(), head = rnd.nextBoolean();
        boolean peep = rnd.nextInt(4) == 0;
        Float clip = rnd.nextInt(4) == 0 ? 0.5f + 3 * rnd.nextFloat() : null;
        int dirs = bidi ? 2 : 1, slots = layers * dirs;
        float scale = (float) (1 / Math.sqrt(hidden));
        List<OnnxNode> nodes = new ArrayList<>();
        List<OnnxTensor> inits = new ArrayList<>();
        String x = "x";
        int width = input;
        List<String> hn = new ArrayList<>(), cn = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            inits.add(floatTensor("W" + l, new long[]{dirs, 4L * hidden, width}, uniform(rnd, dirs * 4 * hidden * width, scale)));
            inits.add(floatTensor("R" + l, new long[]{dirs, 4L * hidden, hidden}, uniform(rnd, dirs * 4 * hidden * hidden, scale)));
            inits.add(floatTensor("B" + l, new long[]{dirs, 8L * hidden}, uniform(rnd, dirs * 8 * hidden, scale)));
            if (peep) inits.add(floatTensor("P" + l, new long[]{dirs, 3L * hidden}, uniform(rnd, dirs * 3 * hidden, scale)));
            String h0 = "", c0 = "";
            if (states) {
                inits.add(int64Tensor("s" + l, new long[]{1}, new long[]{(long) l * dirs}));
                inits.add(int64Tensor("e" + l, new long[]{1}, new long[]{(long) (l + 1) * dirs}));
                inits.add(int64Tensor("a" + l, new long[]{1}, new long[]{0}));
                nodes.add(node("Slice", List.of("h0", "s" + l, "e" + l, "a" + l), List.of(h0 = "h0_" + l)));
                nodes.add(node("Slice", List.of("c0", "s" + l, "e" + l, "a" + l), List.of(c0 = "c0_" + l)));
            }
            List<OnnxAttribute> attrs = new ArrayList<>(List.of(attrInt("hidden_size", hidden)));
            if (bidi) attrs.add(attrString("direction", "bidirectional"));
            if (clip != null) attrs.add(attrFloat("clip", clip));
            nodes.add(namedNode("lstm" + l, "LSTM", List.of(x, "W" + l, "R" + l, "B" + l, "", h0, c0, peep ? "P" + l : ""),
                    List.of("Y" + l, "Yh" + l, "Yc" + l), attrs.toArray(OnnxAttribute[]::new)));
            hn.add("Yh" + l);
            cn.add("Yc" + l);
            if (bidi) {
                nodes.add(node("Transpose", List.of("Y" + l), List.of("T" + l), attrInts("perm", 0, 2, 1, 3)));
                inits.add(int64Tensor("join" + l, new long[]{3}, new long[]{0, 0, -1}));
                nodes.add(node("Reshape", List.of("T" + l, "join" + l), List.of("O" + l)));
            } else {
                inits.add(int64Tensor("ax" + l, new long[]{1}, new long[]{1}));
                nodes.add(node("Squeeze", List.of("Y" + l, "ax" + l), List.of("O" + l)));
            }
            x = "O" + l;
            width = hidden * dirs;
        }
        int out = width;
        if (head) {
            out = 1 + rnd.nextInt(20);
            inits.add(floatTensor("hw", new long[]{out, width}, uniform(rnd, out * width, (float) (1 / Math.sqrt(width)))));
            inits.add(floatTensor("hb", new long[]{out}, uniform(rnd, out, 0.1f)));
            inits.add(int64Tensor("flat", new long[]{2}, new long[]{-1, width}));
            inits.add(int64Tensor("back", new long[]{3}, new long[]{seq, batch, -1}));
            nodes.add(node("Reshape", List.of(x, "flat"), List.of("F")));
            nodes.add(node("Gemm", List.of("F", "hw", "hb"), List.of("G"), attrInt("transB", 1)));
            nodes.add(node("Reshape", List.of("G", "back"), List.of("Z")));
            x = "Z";
        }
        nodes.add(node("Identity", List.of(x), List.of("y")));
        var inputs = new ArrayList<>(List.of(valueInfo("x", OnnxDataType.FLOAT, seq, batch, input)));
        var outputs = new ArrayList<>(List.of(valueInfo("y", OnnxDataType.FLOAT, seq, batch, out)));
        Map<String, float[]> feeds = new HashMap<>();
        Map<String, long[]> shapes = new HashMap<>();
        feeds.put("x", uniform(rnd, seq * batch * input, 1));
        shapes.put("x", new long[]{seq, batch, input});
        if (states) {
            for (String s : List.of("h0", "c0")) {
                inputs.add(valueInfo(s, OnnxDataType.FLOAT, slots, batch, hidden));
                feeds.put(s, uniform(rnd, slots * batch * hidden, 1));
                shapes.put(s, new long[]{slots, batch, hidden});
            }
            nodes.add(node("Concat", hn, List.of("h_n"), attrInt("axis", 0)));
            nodes.add(node("Concat", cn, List.of("c_n"), attrInt("axis", 0)));
            outputs.add(valueInfo("h_n", OnnxDataType.FLOAT, slots, batch, hidden));
            outputs.add(valueInfo("c_n", OnnxDataType.FLOAT, slots, batch, hidden));
        }
        byte[] onnx = OnnxWriter.write(model(8, 14, graph("stacked", nodes, inits, inputs, outputs)));
        String d = String.format("seed=%dL layers=%d input=%d hidden=%d seq=%d batch=%d %s states=%b head=%b peepholes=%b clip=%s",
                seed, layers, input, hidden, seq, batch, bidi ? "bidirectional" : "forward", states, head, peep, clip);
        return new Case(seed, onnx, feeds, shapes, seq, batch, states, head, d);
    }

    static float[] uniform(Random rnd, int n, float bound) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * bound;
        return a;
    }

    @Test
    void stackedModelsMatchOnnxRuntime() throws OrtException {
        Random master = new Random(Long.getLong("vlstm.stacked.seed", 77L));
        Long only = Long.getLong("vlstm.stacked.caseSeed");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        ErrorStats worst = ErrorStats.NONE;
        int n = only != null ? 1 : CASES;
        for (int i = 0; i < n; i++) {
            Case c = draw(only != null ? only : master.nextLong());
            Map<String, float[]> ort = new HashMap<>();
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(1);
                try (OrtSession s = env.createSession(c.onnx(), o)) {
                    Map<String, ai.onnxruntime.OnnxTensor> feeds = new HashMap<>();
                    for (var e : c.feeds().entrySet())
                        feeds.put(e.getKey(), ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()), c.shapes().get(e.getKey())));
                    try (var r = s.run(feeds)) {
                        for (var e : r) {
                            FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) e.getValue()).getFloatBuffer();
                            float[] a = new float[fb.remaining()];
                            fb.get(a);
                            ort.put(e.getKey(), a);
                        }
                    }
                    feeds.values().forEach(ai.onnxruntime.OnnxTensor::close);
                }
            }
            var m = OnnxImporter.importModel(OnnxReader.read(c.onnx(), "stacked"), "stacked", null);
            float[] y = new float[ort.get("y").length];
            float[] hN = c.states() ? new float[ort.get("h_n").length] : null, cN = c.states() ? new float[ort.get("c_n").length] : null;
            try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), m.metadata()), "stacked")) {
                model.newSession().run(new RunArgs().input(c.feeds().get("x"), c.seq(), c.batch())
                        .initialStates(c.feeds().get("h0"), c.feeds().get("c0")).output(y).finalStates(hN, cN));
            }
            ErrorStats e = ErrorStats.of(VlstmSingleNodeDifferentialTest.toDouble(ort.get("y")), y);
            if (c.states()) e = e.max(ErrorStats.of(VlstmSingleNodeDifferentialTest.toDouble(ort.get("h_n")), hN))
                    .max(ErrorStats.of(VlstmSingleNodeDifferentialTest.toDouble(ort.get("c_n")), cN));
            double tol = 1e-5 * Math.max(1, e.maxMagnitude());
            assertTrue(e.maxAbs() <= tol, "vs ONNX Runtime: " + e + " > " + tol + " for " + c.describe());
            worst = worst.max(e);
        }
        System.out.printf("stacked differential: %d models vs ONNX Runtime, worst %s%n", n, worst);
    }
}
