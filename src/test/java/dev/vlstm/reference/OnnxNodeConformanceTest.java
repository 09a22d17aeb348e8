package dev.vlstm.reference;

import dev.vlstm.Model;
import dev.vlstm.RunArgs;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import dev.vlstm.onnx.proto.OnnxBuilders;
import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxModel;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxReader;
import dev.vlstm.onnx.proto.OnnxTensor;
import dev.vlstm.onnx.proto.OnnxValueInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conformance with the ONNX project's own LSTM node tests (Debian's libonnx-testdata). Those models take W, R, B and P
 * as graph inputs; the harness bakes the test's values for them into initializers, converts the model with vlstm, runs
 * it on the test's X, sequence_lens and initial states, and compares every expected output at ≤ 1e-5.
 */
class OnnxNodeConformanceTest {
    static final Path NODE_TESTS = Path.of("/usr/share/libonnx-testdata/data/node");
    static final Set<String> WEIGHTS = Set.of("W", "R", "B", "P");

    static List<Path> cases() throws IOException {
        assertTrue(Files.isDirectory(NODE_TESTS), NODE_TESTS + " is missing: install Debian's ONNX node test data with "
                + "'apt-get install libonnx-testdata' (this test must not be skipped)");
        try (Stream<Path> s = Files.list(NODE_TESTS)) {
            List<Path> dirs = s.filter(p -> p.getFileName().toString().startsWith("test_lstm_")).sorted().toList();
            assertFalse(dirs.isEmpty(), "no test_lstm_* folders in " + NODE_TESTS);
            return dirs;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void vlstmPassesOnnxsOwnLstmTest(Path dir) throws IOException {
        check(dir, false);
    }

    /**
     * The tests that give sequence_lens, with it baked in as an int32 initializer too (issue 17: ONNX's
     * test_lstm_with_peepholes with its inputs in initializers): the constant is kept in the model and applied.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aConstantSequenceLensIsAppliedAtItsBatchSize(Path dir) throws IOException {
        check(dir, true);
    }

    private static void check(Path dir, boolean bakeLengths) throws IOException {
        OnnxNodeTestCase t = OnnxNodeTestCase.load(dir);
        OnnxModel original = OnnxReader.read(dir.resolve("model.onnx"));
        OnnxGraph g = original.graph();
        OnnxNode node = g.nodes().getFirst();
        List<String> slots = List.of("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P");
        LstmInputs in = t.inputs();
        Map<String, float[]> weightValues = new java.util.HashMap<>();
        weightValues.put("W", in.w());
        weightValues.put("R", in.r());
        weightValues.put("B", in.b());
        weightValues.put("P", in.p());
        List<OnnxTensor> initializers = new ArrayList<>(g.initializers());
        List<OnnxValueInfo> inputs = new ArrayList<>();
        boolean baked = false;
        for (OnnxValueInfo v : g.inputs()) {
            int slot = node.inputs().indexOf(v.name());
            String role = slot >= 0 ? slots.get(slot) : "";
            if (bakeLengths && role.equals("sequence_lens") && in.sequenceLens() != null) {
                int[] lens = in.sequenceLens();
                java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(4 * lens.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int l : lens) raw.putInt(l);
                initializers.add(new OnnxTensor(v.name(), dev.vlstm.onnx.proto.OnnxDataType.INT32, new long[]{lens.length},
                        raw.array(), null, null, null, null, null));
                baked = true;
            } else if (WEIGHTS.contains(role)) {
                long[] dims = v.dims().stream().mapToLong(d -> d.value()).toArray();
                initializers.add(OnnxBuilders.floatTensor(v.name(), dims, weightValues.get(role)));
            } else {
                inputs.add(v);
            }
        }
        OnnxModel bakedModel = new OnnxModel(original.irVersion(), original.producerName(), original.producerVersion(),
                original.opsets(), new OnnxGraph(g.name(), g.nodes(), initializers, inputs, g.outputs(), g.valueInfo()));
        if (bakeLengths && !baked) return;     // this test has no sequence_lens to bake
        var m = OnnxImporter.importModel(bakedModel, t.name(), null);

        int[] xs = in.xShape();
        boolean batchFirst = t.attributes().layout() == 1;
        int seq = batchFirst ? xs[1] : xs[0], batch = batchFirst ? xs[0] : xs[1];
        int dirs = t.attributes().directionCount(), h = t.attributes().hiddenSize();
        float[] y = t.expected().containsKey("Y") ? new float[seq * batch * dirs * h] : null;
        float[] yH = t.expected().containsKey("Y_h") ? new float[dirs * batch * h] : null;
        float[] yC = t.expected().containsKey("Y_c") ? new float[dirs * batch * h] : null;
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), m.metadata()), t.name())) {
            model.newSession().run(new RunArgs().input(in.x(), seq, batch).initialStates(in.initialH(), in.initialC())
                    .sequenceLengths(baked ? null : in.sequenceLens()).output(y).finalStates(yH, yC));
        }
        ErrorStats e = ErrorStats.NONE;
        if (y != null) e = e.max(ErrorStats.of(VlstmSingleNodeDifferentialTest.toDouble(t.expected().get("Y").floats()), y));
        if (yH != null) e = e.max(ErrorStats.of(VlstmSingleNodeDifferentialTest.toDouble(t.expected().get("Y_h").floats()), yH));
        if (yC != null) e = e.max(ErrorStats.of(VlstmSingleNodeDifferentialTest.toDouble(t.expected().get("Y_c").floats()), yC));
        String msg = t.name() + (baked ? " with sequence_lens " + java.util.Arrays.toString(in.sequenceLens())
                + " baked in as a constant" : "") + " (outputs " + t.expected().keySet() + ") vs ONNX's expected outputs: " + e;
        System.out.println(msg);
        assertTrue(e.maxAbs() <= 1e-5, msg);
    }
}
