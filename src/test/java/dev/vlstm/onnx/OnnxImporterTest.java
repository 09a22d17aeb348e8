package dev.vlstm.onnx;

import dev.vlstm.Model;
import dev.vlstm.RandomModels;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxModel;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxTensor;
import dev.vlstm.onnx.proto.OnnxWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;
import static org.junit.jupiter.api.Assertions.*;

/** What the importer accepts (checked numerically) and what it refuses (checked by message: node, op type, expectation). */
class OnnxImporterTest {

    private static OnnxImporter.Imported imp(OnnxModel m) {
        return OnnxImporter.importModel(m, "test.onnx", null);
    }

    private static String refusal(OnnxModel m) {
        return assertThrows(ImportException.class, () -> imp(m)).getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
    }

    /** Runs the imported model and the float64 reference on the same weights; returns the max abs error. */
    private static double errorVsReference(OnnxImporter.Imported m, int seq, int batch) {
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), m.metadata()), "t")) {
            float[] x = RandomModels.uniform(new Random(5), seq * batch * model.inputSize(), 1f);
            float[] y = model.newSession().run(x, seq, batch);
            double[] ref = dev.vlstm.onnx.Float64Evaluator.run(m.spec(), m.weights(), x, seq, batch);
            double e = 0;
            for (int i = 0; i < y.length; i++) e = Math.max(e, Math.abs(y[i] - ref[i]));
            return e;
        }
    }

    @Test
    void aDynamicStackWithGemmHeadImports() {
        var m = imp(new LstmGraphs(1, 6).lstm(9, true).lstm(5, true).gemmHead(3).build());
        assertEquals(2, m.spec().layers().size());
        assertEquals(3, m.spec().outputSize());
        assertEquals("[seq, batch, 6]", m.spec().inputs().getFirst().shapeText());
        assertTrue(errorVsReference(m, 4, 3) < 1e-5);
    }

    @Test
    void float32InitializersInFloatDataImportLikeRawData() {
        LstmGraphs g = new LstmGraphs(2, 4).lstm(3, true);
        OnnxModel raw = g.build();
        List<OnnxTensor> asFloatData = new ArrayList<>();
        for (OnnxTensor t : g.initializers) asFloatData.add(floatTensorData(t.name(), t.dims(), t.toFloats()));
        OnnxModel fd = model(7, 12, graph("t", g.nodes, asFloatData, g.inputs, raw.graph().outputs()));
        var a = imp(raw).weights().layers().getFirst().getFirst();
        var b = imp(fd).weights().layers().getFirst().getFirst();
        assertArrayEquals(a.w(), b.w());
        assertArrayEquals(a.r(), b.r());
        assertArrayEquals(a.wb(), b.wb());
    }

    @Test
    void externalDataInTheModelFolderImports(@TempDir Path dir) throws IOException {
        LstmGraphs g = new LstmGraphs(3, 4).lstm(3, true);
        OnnxModel inline = g.build();
        ByteBuffer bin = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        List<OnnxTensor> external = new ArrayList<>();
        for (OnnxTensor t : g.initializers) {
            long offset = bin.position();
            for (float f : t.toFloats()) bin.putFloat(f);
            external.add(externalTensor(t.name(), OnnxDataType.FLOAT, t.dims(), "weights.bin", offset, bin.position() - offset));
        }
        Files.write(dir.resolve("weights.bin"), java.util.Arrays.copyOf(bin.array(), bin.position()));
        Path onnx = dir.resolve("m.onnx");
        OnnxWriter.write(model(7, 12, graph("t", g.nodes, external, g.inputs, inline.graph().outputs())), onnx);
        var m = OnnxImporter.importFile(onnx);
        assertArrayEquals(imp(inline).weights().layers().getFirst().getFirst().r(), m.weights().layers().getFirst().getFirst().r());
        assertEquals("m.onnx", m.metadata().get("source_file"));
        assertEquals(64, m.metadata().get("source_sha256").length());
    }

    @Test
    void externalDataOutsideTheModelFolderIsRefused(@TempDir Path dir) throws IOException {
        LstmGraphs g = new LstmGraphs(3, 4).lstm(3, true);
        List<OnnxTensor> external = new ArrayList<>();
        for (OnnxTensor t : g.initializers)
            external.add(externalTensor(t.name(), OnnxDataType.FLOAT, t.dims(), "../weights.bin", 0, 4 * t.elementCount()));
        Path onnx = dir.resolve("m.onnx");
        OnnxWriter.write(model(7, 12, graph("t", g.nodes, external, g.inputs, g.build().graph().outputs())), onnx);
        var e = assertThrows(ImportException.class, () -> OnnxImporter.importFile(onnx));
        assertContains(e.getMessage(), "m.onnx", "initializer 'W0'", "..");
    }

    @Test
    void anLstmWithoutBiasImports() {
        var m = imp(new LstmGraphs(4, 3).lstm(4, false).build());
        assertNull(m.weights().layers().getFirst().getFirst().wb());
        assertTrue(errorVsReference(m, 3, 2) < 1e-5);
    }

    @Test
    void bidirectionalWithOneDirectionOfWeightsIsRefusedNamingTheNode() {
        String msg = refusal(new LstmGraphs(5, 3).lstm(4, true, attrString("direction", "bidirectional")).build());
        assertContains(msg, "test.onnx", "node 'lstm0' (LSTM)", "W has shape [1, 16, 3], expected [2, 16, 3]");
        assertContains(refusal(new LstmGraphs(5, 3).lstm(4, true, attrString("direction", "sideways")).build()),
                "direction 'sideways', expected forward, reverse or bidirectional");
    }

    @Test
    void clipAndActivationsAreImportedWithTheirDefaults() {
        var m = imp(new LstmGraphs(5, 3).lstm(4, true, attrFloat("clip", 3f),
                attrStrings("activations", "HardSigmoid", "LeakyRelu", "Tanh"), attrFloats("activation_alpha", 0.3f)).build());
        var layer = m.spec().layers().getFirst();
        assertEquals(3f, layer.clip());
        assertEquals("HardSigmoid(0.3, 0.5), LeakyRelu(0.01, 0.0), Tanh", layer.activations().getFirst().toString());
        assertContains(refusal(new LstmGraphs(5, 3).lstm(4, true, attrStrings("activations", "Relu", "Tanh")).build()),
                "node 'lstm0' (LSTM)", "activations lists 2 names, expected 3");
        assertContains(refusal(new LstmGraphs(5, 3).lstm(4, true, attrStrings("activations", "ScaledTanh", "Tanh", "Tanh")).build()),
                "ScaledTanh needs activation_alpha");
        assertContains(refusal(new LstmGraphs(5, 3).lstm(4, true, attrFloat("clip", -1f)).build()), "clip -1.0, expected a positive number");
    }

    @Test
    void anUnknownOpOnTheDataIsRefusedNamingIt() {
        LstmGraphs g = new LstmGraphs(6, 3).lstm(4, true);
        g.nodes.add(namedNode("act", "HardSwish", List.of(g.current), List.of("hs")));
        g.current = "hs";
        assertContains(refusal(g.build()), "node 'act' (HardSwish)", "op type HardSwish is not supported");
    }

    /** A graph whose input goes through {@code ops} (op type, constant, constant first?) before one LSTM and a head. */
    private static LstmGraphs standardised(long seed, Object[][] ops) {
        LstmGraphs g = new LstmGraphs(seed, 3);
        for (int i = 0; i < ops.length; i++) {
            String c = "c" + i;
            float[] v = (float[]) ops[i][1];
            g.initializers.add(floatTensor(c, v.length == 1 ? new long[0] : new long[]{v.length}, v));
            boolean constantFirst = ops[i].length > 2 && (Boolean) ops[i][2];
            g.nodes.add(namedNode("op" + i, (String) ops[i][0], constantFirst ? List.of(c, g.current) : List.of(g.current, c),
                    List.of("t" + i)));
            g.current = "t" + i;
        }
        return g.lstm(4, true).gemmHead(2);
    }

    /**
     * Add, Sub (either order), Mul and Div of the input by constants fold into the first layer: the model with the
     * transform run on x equals the same layers run on the transformed x (computed here), to float rounding.
     */
    @Test
    void anInputStandardisationFoldsIntoTheFirstLayer() {
        float[] a = {0.5f, -2f, 3f}, b = {1.5f, 0.25f, -1f};
        Object[][] ops = {{"Sub", a}, {"Div", b}, {"Mul", new float[]{2f}}, {"Add", b, true}, {"Sub", a, true}};
        var folded = imp(standardised(60, ops).build());
        var plain = imp(standardised(60, new Object[0][]).build());
        assertEquals(plain.spec().layers(), folded.spec().layers());
        int seq = 4, batch = 3;
        float[] x = RandomModels.uniform(new Random(7), seq * batch * 3, 2f), t = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int j = i % 3;
            double v = ((x[i] - a[j]) / b[j]) * 2 + b[j];
            t[i] = (float) (a[j] - v);
        }
        try (Model m1 = Model.load(VlstmWriter.toBytes(folded.spec(), folded.weights(), folded.metadata()), "folded");
             Model m0 = Model.load(VlstmWriter.toBytes(plain.spec(), plain.weights(), plain.metadata()), "plain")) {
            float[] y1 = m1.newSession().run(x, seq, batch), y0 = m0.newSession().run(t, seq, batch);
            double err = 0;
            for (int i = 0; i < y0.length; i++) err = Math.max(err, Math.abs(y1[i] - y0[i]));
            assertTrue(err < 1e-5, "folded standardisation vs the transformed input: max abs error " + err);
        }
    }

    @Test
    void aStandardisationVlstmCannotFoldIsRefusedNamingWhy() {
        assertContains(refusal(standardised(61, new Object[][]{{"Div", new float[]{1f, 0f, 2f}}}).build()),
                "node 'op0' (Div)", "the constant is 0 at feature 1: a division by zero");
        assertContains(refusal(standardised(61, new Object[][]{{"Div", new float[]{1f, 2f, 3f}, true}}).build()),
                "a constant divided by the input is not supported");
        assertContains(refusal(standardised(61, new Object[][]{{"Sub", new float[]{1f, Float.NaN, 3f}}}).build()),
                "the constant holds NaN at feature 1");
        assertContains(refusal(standardised(61, new Object[][]{{"Sub", new float[]{1f, 2f}}}).build()),
                "the constant has shape [2], expected [3]");
        LstmGraphs after = new LstmGraphs(62, 3).lstm(4, true);
        after.initializers.add(floatTensor("k", new long[]{4}, after.random(4)));
        after.nodes.add(namedNode("late", "Sub", List.of(after.current, "k"), List.of("d")));
        after.current = "d";
        assertContains(refusal(after.build()), "node 'late' (Sub)", "supported only on the model input, before the first LSTM");
    }

    /** nn.Embedding(9, 3) as PyTorch writes it, a Gather of the table by the ids input, before one LSTM and a head. */
    private static LstmGraphs embedded(int idType, long axis) {
        LstmGraphs g = new LstmGraphs(64, 3);
        g.inputs.clear();
        g.inputs.add(valueInfo("ids", idType, "seq", "batch"));
        g.initializers.add(floatTensor("table", new long[]{9, 3}, g.random(27)));
        g.nodes.add(namedNode("embed", "Gather", List.of("table", "ids"), List.of("e"),
                axis == 0 ? new dev.vlstm.onnx.proto.OnnxAttribute[0] : new dev.vlstm.onnx.proto.OnnxAttribute[]{attrInt("axis", axis)}));
        g.current = "e";
        return g.lstm(4, true).gemmHead(2);
    }

    /** int64 and int32 ids import as a token-ids model (format 2.2) that matches the float64 evaluation of its table rows. */
    @Test
    void anEmbeddingOfInt64OrInt32IdsImportsAsATokenIdsModel() {
        for (int type : new int[]{dev.vlstm.onnx.proto.OnnxDataType.INT64, dev.vlstm.onnx.proto.OnnxDataType.INT32}) {
            var m = imp(embedded(type, 0).build());
            assertTrue(m.spec().takesTokenIds());
            assertEquals(9, m.spec().vocabulary());
            assertEquals(3, m.spec().inputSize());
            assertEquals(dev.vlstm.format.IoSpec.Role.TOKEN_IDS, m.spec().inputs().getFirst().role());
            assertEquals(2, m.spec().minorVersion());
            try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), m.metadata()), "t")) {
                double err = dev.vlstm.cli.ConversionCheck.maxError(m, model, 5, 2, 3);
                assertTrue(err <= 1e-5, "ids of type " + type + " vs float64 on the table rows: max abs error " + err);
            }
        }
    }

    @Test
    void anEmbeddingVlstmCannotRunIsRefusedNamingWhy() {
        assertContains(refusal(embedded(dev.vlstm.onnx.proto.OnnxDataType.FLOAT, 0).build()),
                "node 'embed' (Gather, an nn.Embedding)", "have type float", "expected int64 or int32");
        assertContains(refusal(embedded(dev.vlstm.onnx.proto.OnnxDataType.INT64, 1).build()),
                "node 'embed' (Gather, an nn.Embedding)", "axis 1, expected 0");
        LstmGraphs rank3 = embedded(dev.vlstm.onnx.proto.OnnxDataType.INT64, 0);
        rank3.inputs.set(0, valueInfo("ids", dev.vlstm.onnx.proto.OnnxDataType.INT64, "seq", "batch", 1));
        assertContains(refusal(rank3.build()), "have shape", "expected [seq, batch]");
    }

    /** nn.Dropout between the layers imports as a pass-through; in training mode, or with its mask used, it is refused. */
    @Test
    void dropoutAtInferenceIsAPassThrough() {
        LstmGraphs plain = new LstmGraphs(63, 3).lstm(4, true).lstm(5, true);
        LstmGraphs g = new LstmGraphs(63, 3).lstm(4, true);
        g.nodes.add(namedNode("drop", "Dropout", List.of(g.current), List.of("d")));
        g.current = "d";
        g.lstm(5, true);
        assertEquals(imp(plain.build()).spec(), imp(g.build()).spec());
        for (boolean training : new boolean[]{true, false}) {
            LstmGraphs t = new LstmGraphs(63, 3).lstm(4, true);
            t.initializers.add(floatTensor("ratio", new long[0], new float[]{0.5f}));
            t.initializers.add(int64Tensor("mode", new long[0], new long[]{training ? 1 : 0}));
            t.nodes.add(namedNode("drop", "Dropout", List.of(t.current, "ratio", "mode"), List.of("d")));
            t.current = "d";
            if (training) assertContains(refusal(t.build()), "node 'drop' (Dropout)", "training_mode", "constant false");
            else assertEquals(1, imp(t.build()).spec().layers().size());
        }
        LstmGraphs mask = new LstmGraphs(63, 3).lstm(4, true);
        mask.nodes.add(namedNode("drop", "Dropout", List.of(mask.current), List.of("d", "m")));
        mask.current = "d";
        assertContains(refusal(mask.build()), "the mask output of Dropout is not supported");
    }

    /** Appends one head node on the current data and returns the graph. */
    private static LstmGraphs withNode(LstmGraphs g, String op, List<String> extraInputs, List<String> outputs,
                                       dev.vlstm.onnx.proto.OnnxAttribute... attrs) {
        List<String> in = new ArrayList<>(List.of(g.current));
        in.addAll(extraInputs);
        g.nodes.add(namedNode("h" + g.nodes.size(), op, in, outputs, attrs));
        g.current = outputs.getFirst();
        return g;
    }

    /** A dense head and activations import as a chain of head operations in graph order, with their parameters. */
    @Test
    void aHeadOfSeveralOperationsImportsInOrder() {
        LstmGraphs g = new LstmGraphs(70, 3).lstm(4, true).gemmHead(6);
        withNode(g, "LeakyRelu", List.of(), List.of("a"), attrFloat("alpha", 0.3f));
        g.initializers.add(floatTensor("m2", new long[]{6, 2}, g.random(12)));
        g.initializers.add(floatTensor("b2", new long[]{2}, g.random(2)));
        withNode(g, "MatMul", List.of("m2"), List.of("mm"));
        withNode(g, "Add", List.of("b2"), List.of("mmb"));
        g.features = 2;
        withNode(g, "Softmax", List.of(), List.of("p"), attrInt("axis", -1));
        var spec = imp(g.build()).spec();
        assertEquals(List.of(dev.vlstm.format.HeadOp.dense(4, 6), dev.vlstm.format.HeadOp.of(dev.vlstm.format.HeadOp.Kind.LEAKY_RELU, 6, 0.3f),
                dev.vlstm.format.HeadOp.dense(6, 2), dev.vlstm.format.HeadOp.of(dev.vlstm.format.HeadOp.Kind.SOFTMAX, 2)), spec.head());
    }

    /** nn.LayerNorm(4) as PyTorch writes it below opset 17, with the given exponent, on a 4-unit LSTM. */
    private static LstmGraphs decomposedLayerNorm(float exponent) {
        LstmGraphs g = new LstmGraphs(80, 3).lstm(4, true);
        String x = g.current;
        g.initializers.add(floatTensor("two", new long[0], new float[]{exponent}));
        g.initializers.add(floatTensor("eps", new long[0], new float[]{1e-5f}));
        g.initializers.add(floatTensor("gamma", new long[]{4}, g.random(4)));
        g.initializers.add(floatTensor("beta", new long[]{4}, g.random(4)));
        g.nodes.add(namedNode("mean", "ReduceMean", List.of(x), List.of("m"), attrInts("axes", -1)));
        g.nodes.add(namedNode("sub", "Sub", List.of(x, "m"), List.of("d")));
        g.nodes.add(namedNode("pow", "Pow", List.of("d", "two"), List.of("p")));
        g.nodes.add(namedNode("var", "ReduceMean", List.of("p"), List.of("v"), attrInts("axes", -1)));
        g.nodes.add(namedNode("addeps", "Add", List.of("v", "eps"), List.of("ve")));
        g.nodes.add(namedNode("sqrt", "Sqrt", List.of("ve"), List.of("sd")));
        g.nodes.add(namedNode("div", "Div", List.of("d", "sd"), List.of("n")));
        g.nodes.add(namedNode("scale", "Mul", List.of("n", "gamma"), List.of("ns")));
        g.nodes.add(namedNode("shift", "Add", List.of("ns", "beta"), List.of("ln")));
        g.current = "ln";
        return g;
    }

    /** The LayerNorm decomposition is matched by data flow and becomes one head operation; a variant is refused. */
    @Test
    void aDecomposedLayerNormIsOneHeadOperation() {
        var spec = imp(decomposedLayerNorm(2f).build()).spec();
        assertEquals(List.of(dev.vlstm.format.HeadOp.of(dev.vlstm.format.HeadOp.Kind.LAYER_NORM, 4, 1e-5f)), spec.head());
        assertContains(refusal(decomposedLayerNorm(3f).build()), "node 'mean' (LayerNormalization (decomposed))",
                "the exponent of Pow is 3.0, expected 2.0");
        LstmGraphs branch = decomposedLayerNorm(2f);      // the centred value also leaves the graph: no match
        branch.outputs.add(valueInfo("d", dev.vlstm.onnx.proto.OnnxDataType.FLOAT, "seq", "batch", 4));
        branch.outputs.add(valueInfo("ln", dev.vlstm.onnx.proto.OnnxDataType.FLOAT, "seq", "batch", 4));
        assertContains(refusal(branch.build()), "node 'mean' (ReduceMean)", "vlstm pools the LSTM output over its time axis only (axes [0])");
    }

    @Test
    void headOperationsOutsideWhatVlstmRunsAreRefusedByName() {
        assertContains(refusal(withNode(new LstmGraphs(71, 3).lstm(4, true), "Softmax", List.of(), List.of("p"),
                attrInt("axis", 1)).build()), "node 'h", "(Softmax)", "axis 1 on data [seq, batch, 4]", "expected axis 2 or -1");
        LstmGraphs early = new LstmGraphs(72, 3);
        withNode(early, "Relu", List.of(), List.of("r"));
        early.lstm(4, true);
        assertContains(refusal(early.build()), "the first LSTM node's input X ('r') does not come from a graph input");
        LstmGraphs afterAct = withNode(new LstmGraphs(73, 3).lstm(4, true), "Tanh", List.of(), List.of("t"));
        afterAct.initializers.add(floatTensor("k", new long[]{4}, afterAct.random(4)));
        assertContains(refusal(withNode(afterAct, "Add", List.of("k"), List.of("a")).build()), "(Add)",
                "supported only as the bias right after a MatMul");
        assertContains(refusal(withNode(new LstmGraphs(74, 3).lstm(4, true), "Gelu", List.of(), List.of("g"),
                attrString("approximate", "fast")).build()), "(Gelu)", "approximate 'fast', expected 'none' or 'tanh'");
        LstmGraphs ln = new LstmGraphs(75, 3).lstm(4, true);
        ln.opset = 17;
        ln.initializers.add(floatTensor("scale", new long[]{4}, ln.random(4)));
        assertContains(refusal(withNode(ln, "LayerNormalization", List.of("scale"), List.of("n", "mean"))
                .build()), "(LayerNormalization)", "output 1 (Mean or InvStdDev) is not supported");
        LstmGraphs lnAxis = new LstmGraphs(76, 3).lstm(4, true);
        lnAxis.opset = 17;
        lnAxis.initializers.add(floatTensor("scale", new long[]{4}, lnAxis.random(4)));
        assertContains(refusal(withNode(lnAxis, "LayerNormalization", List.of("scale"), List.of("n"), attrInt("axis", 1))
                .build()), "axis 1 on data [seq, batch, 4]", "normalises over the last axis");
        LstmGraphs lnShape = new LstmGraphs(77, 3).lstm(4, true);
        lnShape.opset = 17;
        lnShape.initializers.add(floatTensor("scale", new long[]{5}, lnShape.random(5)));
        assertContains(refusal(withNode(lnShape, "LayerNormalization", List.of("scale"), List.of("n")).build()),
                "Scale has shape [5], expected [4]");
        assertContains(refusal(withNode(new LstmGraphs(79, 3).lstm(4, true), "ReduceMean", List.of(), List.of("m"),
                attrInts("axes", 0)).build()), "(ReduceMean)", "keepdims=1 keeps a time axis of size 1");
        LstmGraphs poolLate = withNode(new LstmGraphs(81, 3).lstm(4, true), "Relu", List.of(), List.of("r"));
        assertContains(refusal(withNode(poolLate, "ReduceMax", List.of(), List.of("m"), attrInts("axes", 0),
                attrInt("keepdims", 0)).build()), "(ReduceMax)", "pooling over time after the head's Relu is not supported");
        LstmGraphs lstmAfter = withNode(new LstmGraphs(78, 3).lstm(4, true), "Sigmoid", List.of(), List.of("s"));
        assertContains(refusal(lstmAfter.lstm(4, true).build()), "(LSTM)", "an LSTM after the head (Sigmoid) is not supported");
    }

    /** A one-layer graph whose LSTM takes sequence_lens from {@code lens}: a graph input, or an int64 initializer. */
    private static LstmGraphs withLengths(boolean constant) {
        LstmGraphs g = new LstmGraphs(85, 3).lstm(4, true);
        if (constant) g.initializers.add(int64Tensor("lens", new long[]{2}, new long[]{3, 5}));
        else g.inputs.add(valueInfo("lens", OnnxDataType.INT32, "batch"));
        OnnxNode lstm = g.node("lstm0");
        List<String> in = new ArrayList<>(lstm.inputs());
        in.add("lens");
        g.nodes.set(g.nodes.indexOf(lstm), namedNode("lstm0", "LSTM", in, lstm.outputs(), attrInt("hidden_size", 4)));
        return g;
    }

    /**
     * A constant sequence_lens is kept in the model (format 2.1, role 5) and applied to every run at its batch size:
     * bit for bit the run of the same graph with the lengths as an input; another batch, lengths given as well, a
     * length over seq and streaming are refused by name.
     */
    @Test
    void aConstantSequenceLensIsKeptAndAppliedAtItsBatchSize() {
        OnnxImporter.Imported constant = imp(withLengths(true).build()), input = imp(withLengths(false).build());
        assertEquals("lens", constant.spec().input(dev.vlstm.format.IoSpec.Role.CONSTANT_SEQUENCE_LENS).name());
        try (Model c = Model.load(VlstmWriter.toBytes(constant.spec(), constant.weights(), RandomModels.metadata()), "constant");
             Model v = Model.load(VlstmWriter.toBytes(input.spec(), input.weights(), RandomModels.metadata()), "input")) {
            float[] x = RandomModels.uniform(new Random(2), 5 * 2 * 3, 1f), yc = new float[5 * 2 * 4], yv = new float[5 * 2 * 4];
            c.newSession().run(new dev.vlstm.RunArgs().input(x, 5, 2).output(yc));
            v.newSession().run(new dev.vlstm.RunArgs().input(x, 5, 2).sequenceLengths(new int[]{3, 5}).output(yv));
            assertArrayEquals(yv, yc);
            assertEquals(0f, yc[(4 * 2) * 4], "row 0 has length 3: its step 4 is zero");
            var session = c.newSession();
            float[] x3 = new float[5 * 3 * 3];
            assertContains(assertThrows(IllegalArgumentException.class, () -> session.run(x3, 5, 3)).getMessage(),
                    "batch 3, but the model's sequence_lens 'lens' is a constant for batch 2 only");
            assertContains(assertThrows(IllegalArgumentException.class, () -> session.run(new dev.vlstm.RunArgs()
                    .input(x, 5, 2).sequenceLengths(new int[]{1, 1}).output(yc))).getMessage(), "is a constant of the graph; give none");
            float[] x4 = new float[4 * 2 * 3];
            assertContains(assertThrows(IllegalArgumentException.class, () -> session.run(x4, 4, 2)).getMessage(),
                    "constant sequence length 5 of batch row 1 ('lens') exceeds seq 4");
            assertContains(assertThrows(UnsupportedOperationException.class, c::newState).getMessage(),
                    "sequence lengths are constants of the graph");
        }
    }

    @Test
    void aGruOrRnnLayerIsToldThatVlstmRunsLstmLayersOnly() {
        for (String op : new String[]{"GRU", "RNN"}) {
            LstmGraphs g = new LstmGraphs(18, 3).lstm(4, true);
            g.nodes.add(namedNode("rnn", op, List.of(g.current), List.of("r"), attrInt("hidden_size", 4)));
            g.current = "r";
            assertContains(refusal(g.build()), "node 'rnn' (" + op + ")", "vlstm runs LSTM layers only",
                    "a " + op + " layer cannot be converted");
        }
    }

    @Test
    void squeezeWithoutAxesIsRefused() {
        LstmGraphs g = new LstmGraphs(7, 3).lstm(4, true);
        g.nodes.set(1, namedNode("squeeze0", "Squeeze", List.of("y0"), List.of("s0")));
        assertContains(refusal(g.build()), "node 'squeeze0' (Squeeze)", "without axes", "depends on the sequence length");
    }

    @Test
    void squeezingTheSequenceAxisIsRefused() {
        LstmGraphs g = new LstmGraphs(7, 3).lstm(4, true);
        g.nodes.set(1, namedNode("squeeze0", "Squeeze", List.of("y0"), List.of("s0"), attrInts("axes", 0)));
        assertContains(refusal(g.build()), "node 'squeeze0' (Squeeze)", "axis 0 has size seq");
    }

    @Test
    void aNonZeroInitialStateIsRefused() {
        LstmGraphs g = new LstmGraphs(8, 3).lstm(4, true);
        g.initializers.add(floatTensor("h0", new long[]{1, 1, 4}, new float[]{1, 0, 0, 0}));
        OnnxNode lstm = g.node("lstm0");
        g.nodes.set(0, namedNode("lstm0", "LSTM", List.of("x", "W0", "R0", "B0", "", "h0"), lstm.outputs(), attrInt("hidden_size", 4)));
        assertContains(refusal(g.build()), "node 'lstm0' (LSTM)", "initial_h is a constant", "expected zeros or a graph input");
    }

    @Test
    void aMissingInitializerIsADanglingInput() {
        LstmGraphs g = new LstmGraphs(9, 3).lstm(4, true);
        g.initializers.removeIf(t -> t.name().equals("R0"));
        assertContains(refusal(g.build()), "node 'lstm0' (LSTM)", "input 2 'R0' is not produced by any earlier node");
    }

    @Test
    void aCycleIsRefused() {
        LstmGraphs g = new LstmGraphs(10, 3).lstm(4, true);
        g.nodes.set(1, namedNode("squeeze0", "Squeeze", List.of("s0"), List.of("s0"), attrInts("axes", 1)));
        assertContains(refusal(g.build()), "node 'squeeze0' (Squeeze)", "'s0' is not produced by any earlier node");
    }

    @Test
    void wrongWeightDtypesAreNamed() {
        LstmGraphs g = new LstmGraphs(11, 3).lstm(4, true);
        g.initializers.replaceAll(t -> t.name().equals("W0")
                ? new OnnxTensor("W0", OnnxDataType.FLOAT16, t.dims(), new byte[(int) t.elementCount() * 2], null, null, null, null, null)
                : t);
        assertContains(refusal(g.build()), "node 'lstm0' (LSTM)", "W0", "float16", "float32");
    }

    @Test
    void wrongWeightShapesExplainTheGateStacking() {
        LstmGraphs g = new LstmGraphs(12, 3).lstm(4, true);
        g.initializers.replaceAll(t -> t.name().equals("W0") ? floatTensor("W0", new long[]{1, 12, 3}, new float[36]) : t);
        assertContains(refusal(g.build()), "node 'lstm0' (LSTM)", "W has shape [1, 12, 3], expected [1, 16, 3]",
                "gates i, o, f, c stacked");
    }

    @Test
    void opsetsOutsideSevenToTwentyTwoAreRefused() {
        LstmGraphs g = new LstmGraphs(13, 3).lstm(4, true);
        g.opset = 6;
        assertContains(refusal(g.build()), "opset 6, expected 7..22");
        g.opset = 23;
        assertContains(refusal(g.build()), "opset 23, expected 7..22");
    }

    @Test
    void stateInputsAndExtraOutputsAreRefused() {
        LstmGraphs g = new LstmGraphs(14, 3).lstm(4, true);
        g.inputs.add(valueInfo("h0", OnnxDataType.FLOAT, 1, "batch", 4));
        assertContains(refusal(g.build()), "graph input 'h0' is not used as the sequence, a state or the sequence lengths");
        LstmGraphs h = new LstmGraphs(14, 3).lstm(4, true);
        h.outputs.add(valueInfo("s0", OnnxDataType.FLOAT, "seq", "batch", 4));
        h.outputs.add(valueInfo("y0", OnnxDataType.FLOAT, "seq", 1, "batch", 4));
        assertContains(refusal(h.build()), "at most one of a sequence output, a last-step output, a layer Y output, a final-state output and a pooled output");
    }

    @Test
    void usingAFinalStateAsDataIsRefused() {
        LstmGraphs g = new LstmGraphs(15, 3).lstm(4, true);
        withFinalStates(g, 0);
        g.nodes.add(namedNode("use", "Squeeze", List.of("yc0"), List.of("cn"), attrInts("axes", 0)));
        g.current = "cn";
        assertContains(refusal(g.build()), "node 'use' (Squeeze)", "the final c is used as data",
                "the final h of the top layer (h_n[-1]) only");
        LstmGraphs t = new LstmGraphs(15, 3).lstm(4, true);
        withFinalStates(t, 0);
        t.nodes.add(namedNode("add", "Add", List.of("yh0", "yh0"), List.of("sum")));
        t.current = "sum";
        assertContains(refusal(t.build()), "node 'add' (Add)", "found the final h");
    }

    /** Gives layer {@code l}'s LSTM node its Y_h and Y_c outputs, "yh" + l and "yc" + l. */
    private static void withFinalStates(LstmGraphs g, int l) {
        OnnxNode lstm = g.node("lstm" + l);
        g.nodes.set(g.nodes.indexOf(lstm), namedNode(lstm.name(), "LSTM", lstm.inputs(), List.of("y" + l, "yh" + l, "yc" + l),
                lstm.attributes().values().toArray(dev.vlstm.onnx.proto.OnnxAttribute[]::new)));
    }

    /** PyTorch's classifier on the final state: {@code fc(h_n[-1])}, h_n being the layers' Y_h concatenated. */
    private static LstmGraphs finalStateClassifier(long seed, int layers, String pick, long index, int units) {
        LstmGraphs g = new LstmGraphs(seed, 3);
        List<String> states = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            g.lstm(4, true);
            withFinalStates(g, l);
            states.add("yh" + l);
        }
        String hn = states.getFirst();
        if (layers > 1) {
            g.nodes.add(namedNode("concat_hn", "Concat", states, List.of("hn"), attrInt("axis", 0)));
            hn = "hn";
        }
        if (pick.equals("Gather")) {
            g.initializers.add(int64Tensor("index", new long[0], new long[]{index}));
            g.nodes.add(namedNode("pick", "Gather", List.of(hn, "index"), List.of("h_last"), attrInt("axis", 0)));
        } else {
            g.nodes.add(namedNode("pick", "Squeeze", List.of(hn), List.of("h_last"), attrInts("axes", index)));
        }
        return classifierHead(g, units);
    }

    /** {@code Gemm} of "h_last" ({@code [batch, 4]}) to the graph output "logits", {@code [batch, units]}. */
    private static LstmGraphs classifierHead(LstmGraphs g, int units) {
        g.initializers.add(floatTensor("fc.w", new long[]{units, 4}, g.random(4 * units)));
        g.initializers.add(floatTensor("fc.b", new long[]{units}, g.random(units)));
        g.nodes.add(namedNode("fc", "Gemm", List.of("h_last", "fc.w", "fc.b"), List.of("logits"), attrInt("transB", 1)));
        g.current = "logits";
        g.outputs.add(valueInfo("logits", OnnxDataType.FLOAT, "batch", units));
        return g;
    }

    /** The same layers and head on {@code out[-1]}, the layer output at the last timestep. */
    private static LstmGraphs lastStepClassifier(long seed, int layers, int units) {
        LstmGraphs g = new LstmGraphs(seed, 3);
        for (int l = 0; l < layers; l++) g.lstm(4, true);
        g.initializers.add(int64Tensor("index", new long[0], new long[]{-1}));
        g.nodes.add(namedNode("pick", "Gather", List.of(g.current, "index"), List.of("h_last"), attrInt("axis", 0)));
        return classifierHead(g, units);
    }

    /**
     * {@code fc(h_n[-1])} (Gather of the last slot, or Squeeze of a one-layer h_n) imports as the same model as
     * {@code fc(out[-1])}: the top forward layer's final h is its output at the last timestep. The weights come from
     * the same seed in the same order, so the two imports must agree value for value, and run to the same outputs.
     */
    @Test
    void aHeadOnTheTopLayersFinalHIsTheLastStepOutput() {
        for (int layers : new int[]{1, 2}) {
            for (String pick : layers == 1 ? new String[]{"Gather", "Squeeze"} : new String[]{"Gather"}) {
                long index = pick.equals("Squeeze") ? 0 : layers == 1 ? 0 : -1;
                var fromState = imp(finalStateClassifier(40 + layers, layers, pick, index, 3).build());
                var fromY = imp(lastStepClassifier(40 + layers, layers, 3).build());
                String what = layers + " layer(s), " + pick;
                assertEquals(dev.vlstm.format.IoSpec.Role.LAST_STEP_OUTPUT, fromState.spec().outputs().getFirst().role(), what);
                assertEquals("[batch, 3]", fromState.spec().outputs().getFirst().shapeText(), what);
                assertEquals(fromY.spec(), fromState.spec(), what);
                try (Model a = Model.load(VlstmWriter.toBytes(fromState.spec(), fromState.weights(), fromState.metadata()), "a");
                     Model b = Model.load(VlstmWriter.toBytes(fromY.spec(), fromY.weights(), fromY.metadata()), "b")) {
                    float[] x = RandomModels.uniform(new Random(6), 5 * 2 * 3, 1f);
                    assertArrayEquals(b.newSession().run(x, 5, 2), a.newSession().run(x, 5, 2), what);
                }
            }
        }
    }

    @Test
    void aHeadOnAnEarlierSlotIsRefusedAndAReverseOrLengthsTopGivesTheFinalStateOutput() {
        assertContains(refusal(finalStateClassifier(50, 2, "Gather", 0, 3).build()), "node 'pick' (Gather)",
                "state slot 0 is not the top layer's final h", "slot 1, h_n[-1]");
        assertContains(refusal(finalStateClassifier(50, 2, "Gather", 2, 3).build()), "index 2 is out of range for 2 state slots");
        assertContains(refusal(finalStateClassifier(50, 2, "Squeeze", 0, 3).build()), "node 'pick' (Squeeze)",
                "expected the one slot of a single-direction final h on axis 0");

        LstmGraphs reverse = finalStateClassifier(51, 1, "Gather", -1, 3);
        OnnxNode lstm = reverse.node("lstm0");
        reverse.nodes.set(reverse.nodes.indexOf(lstm), namedNode("lstm0", "LSTM", lstm.inputs(), lstm.outputs(),
                attrInt("hidden_size", 4), attrString("direction", "reverse")));
        // A reverse top layer's final h is its output at t = 0: the final-state output (role 21), checked numerically.
        OnnxImporter.Imported rev = imp(reverse.build());
        assertEquals(dev.vlstm.format.IoSpec.Role.FINAL_STATE_OUTPUT, rev.spec().outputs().getFirst().role());
        try (Model m = Model.load(VlstmWriter.toBytes(rev.spec(), rev.weights(), RandomModels.metadata()), "reverse")) {
            double err = dev.vlstm.cli.ConversionCheck.maxError(rev, m, 6, 3, 5);
            assertTrue(err <= 1e-5, "reverse top layer's final h through the head vs float64: max abs error " + err);
        }

        LstmGraphs lengths = finalStateClassifier(52, 1, "Gather", -1, 3);
        lengths.inputs.add(valueInfo("lens", OnnxDataType.INT32, "batch"));
        lstm = lengths.node("lstm0");
        List<String> in = new ArrayList<>(lstm.inputs());
        in.add("lens");
        lengths.nodes.set(lengths.nodes.indexOf(lstm), namedNode("lstm0", "LSTM", in, lstm.outputs(), attrInt("hidden_size", 4)));
        // With sequence lengths a row's final h is at its own last step: also the final-state output (HeadTest runs it).
        assertEquals(dev.vlstm.format.IoSpec.Role.FINAL_STATE_OUTPUT, imp(lengths.build()).spec().outputs().getFirst().role());
    }

    @Test
    void aBakedReshapeThatMixesUpSeqAndBatchIsRefused() {
        // Traced at seq 2, batch 3: reshaping [6, H] back to [3, 2, -1] would swap the axes.
        LstmGraphs g = new LstmGraphs(16, 3);
        g.inputs.set(0, valueInfo("x", OnnxDataType.FLOAT, 2, 3, 3));
        g.lstm(4, true);
        g.initializers.add(floatTensor("hw", new long[]{2, 4}, g.random(8)));
        g.initializers.add(int64Tensor("flat", new long[]{2}, new long[]{6, 4}));
        g.initializers.add(int64Tensor("back", new long[]{3}, new long[]{3, 2, -1}));
        g.nodes.add(namedNode("flatten", "Reshape", List.of("s0", "flat"), List.of("f")));
        g.nodes.add(namedNode("gemm", "Gemm", List.of("f", "hw"), List.of("g"), attrInt("transB", 1)));
        g.nodes.add(namedNode("unflatten", "Reshape", List.of("g", "back"), List.of("out")));
        g.current = "out";
        g.features = 2;
        g.outputs.add(valueInfo("out", OnnxDataType.FLOAT, 2, 3, 2));
        assertContains(refusal(g.build()), "node 'unflatten' (Reshape)", "target shape [3, 2, -1]",
                "traced seq 2 and batch 3");
    }

    @Test
    void aBakedReshapeAtTheTracedShapeImportsAndRunsAtAnyShape() {
        LstmGraphs g = new LstmGraphs(17, 3);
        g.inputs.set(0, valueInfo("x", OnnxDataType.FLOAT, 2, 3, 3));
        g.lstm(4, true);
        g.initializers.add(floatTensor("hw", new long[]{2, 4}, g.random(8)));
        g.initializers.add(int64Tensor("flat", new long[]{2}, new long[]{6, 4}));
        g.initializers.add(int64Tensor("back", new long[]{3}, new long[]{2, 3, -1}));
        g.nodes.add(namedNode("flatten", "Reshape", List.of("s0", "flat"), List.of("f")));
        g.nodes.add(namedNode("gemm", "Gemm", List.of("f", "hw"), List.of("g"), attrInt("transB", 1)));
        g.nodes.add(namedNode("unflatten", "Reshape", List.of("g", "back"), List.of("out")));
        g.current = "out";
        g.outputs.add(valueInfo("out", OnnxDataType.FLOAT, 2, 3, 2));
        var m = imp(g.build());
        assertEquals("[2, 3, 3]", m.spec().inputs().getFirst().shapeText());
        assertTrue(errorVsReference(m, 5, 7) < 1e-5);
    }

    @Test
    void aModelWithoutLstmIsRefused() {
        OnnxGraph g = graph("t", List.of(namedNode("id", "Identity", List.of("x"), List.of("y"))), List.of(),
                List.of(valueInfo("x", OnnxDataType.FLOAT, "s", "b", 3)), List.of(valueInfo("y", OnnxDataType.FLOAT, "s", "b", 3)));
        assertContains(refusal(model(7, 12, g)), "test.onnx: the graph has no LSTM node");
    }
}
