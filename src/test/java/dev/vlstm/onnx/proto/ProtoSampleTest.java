package dev.vlstm.onnx.proto;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Reads models written by the real ONNX Python package (src/test/resources/onnx/make_proto_samples.py). */
class ProtoSampleTest {

    static Path resource(String name) {
        try {
            return Path.of(ProtoSampleTest.class.getResource("/onnx/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** i/16 - start, as values() in the Python script. */
    static float[] values(int n, float start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i / 16f - start;
        return v;
    }

    @Test
    void everyFieldOfThePythonSample() throws IOException {
        OnnxModel m = OnnxReader.read(resource("proto_sample.onnx"));
        assertEquals(7, m.irVersion());
        assertEquals("make_proto_samples", m.producerName());
        assertEquals("1.0", m.producerVersion());
        assertEquals(Map.of("", 14L), m.opsets());
        assertEquals(14, m.defaultOpset());

        OnnxGraph g = m.graph();
        assertEquals("proto_sample", g.name());
        assertEquals(List.of("lstm", "shape_const", "reshape", "transpose"),
                g.nodes().stream().map(OnnxNode::name).toList());

        OnnxNode lstm = g.nodes().get(0);
        assertEquals("LSTM", lstm.opType());
        assertEquals("", lstm.domain());
        assertEquals(List.of("X", "W", "R", "B", "", "h0"), lstm.inputs());
        assertEquals(List.of("Y", "Y_h"), lstm.outputs());
        assertEquals(4, lstm.attributes().size());
        assertEquals(OnnxAttribute.INT, lstm.attribute("hidden_size").type());
        assertEquals(4, lstm.attribute("hidden_size").asInt());
        assertEquals("forward", lstm.attribute("direction").asString());
        assertEquals(List.of("Sigmoid", "Tanh", "Tanh"), lstm.attribute("activations").asStrings());
        assertEquals(50.0f, lstm.attribute("clip").asFloat());

        OnnxNode constant = g.nodes().get(1);
        assertEquals("Constant", constant.opType());
        assertEquals(List.of(), constant.inputs());
        assertEquals(List.of("shape"), constant.outputs());
        OnnxTensor shapeValue = constant.attribute("value").asTensor();
        assertEquals("shape_value", shapeValue.name());
        assertEquals(OnnxDataType.INT64, shapeValue.dataType());
        assertArrayEquals(new long[] {2}, shapeValue.dims());
        assertFalse(shapeValue.hasRawData());
        assertArrayEquals(new long[] {-1, 4}, shapeValue.int64Data());
        assertArrayEquals(new long[] {-1, 4}, shapeValue.toLongs());

        assertEquals(List.of("Y_h", "shape"), g.nodes().get(2).inputs());
        assertArrayEquals(new long[] {2, 0, 1, 3}, g.nodes().get(3).attribute("perm").asInts());

        assertEquals(3, g.initializers().size());
        OnnxTensor w = g.initializer("W");
        assertEquals(OnnxDataType.FLOAT, w.dataType());
        assertArrayEquals(new long[] {1, 16, 3}, w.dims());
        assertTrue(w.hasRawData());
        assertEquals(192, w.rawData().length);
        assertArrayEquals(values(48, 1.5f), w.toFloats());
        OnnxTensor r = g.initializer("R");
        assertArrayEquals(new long[] {1, 16, 4}, r.dims());
        assertFalse(r.hasRawData());
        assertEquals(64, r.floatData().length);
        assertArrayEquals(values(64, 2f), r.toFloats());
        OnnxTensor b = g.initializer("B");
        assertArrayEquals(new long[] {1, 32}, b.dims());
        assertArrayEquals(values(32, 1f), b.toFloats());
        assertNull(b.externalData());

        assertEquals(List.of(
                valueInfo("X", OnnxDataType.FLOAT, dp("seq"), dp("batch"), dv(3)),
                valueInfo("h0", OnnxDataType.FLOAT, dv(1), dp("batch"), dv(4))), g.inputs());
        assertEquals(List.of(
                valueInfo("Y_t", OnnxDataType.FLOAT, dp("batch"), dp("seq"), dv(1), dv(4)),
                valueInfo("H", OnnxDataType.FLOAT, dp("batch"), dv(4))), g.outputs());
        assertEquals(List.of(
                valueInfo("Y", OnnxDataType.FLOAT, dp("seq"), dv(1), dp("batch"), dv(4)),
                valueInfo("Y_h", OnnxDataType.FLOAT, dv(1), dp("batch"), new OnnxDim(-1, "")),
                valueInfo("shape", OnnxDataType.INT64, dv(2)),
                new OnnxValueInfo("unshaped", OnnxDataType.FLOAT, null)), g.valueInfo());
    }

    @Test
    void ourWriterReproducesThePythonModelsContent() throws IOException {
        OnnxModel m = OnnxReader.read(resource("proto_sample.onnx"));
        assertEquals(m, OnnxReader.read(OnnxWriter.write(m), "rewritten.onnx"));
    }

    /** Subgraph attributes are skipped unparsed but keep their type, so an importer can refuse If/Loop/Scan. */
    @Test
    void subgraphAttributesAreSkipped() throws IOException {
        OnnxModel m = OnnxReader.read(resource("proto_if_subgraph.onnx"));
        OnnxNode node = m.graph().nodes().get(0);
        assertEquals("If", node.opType());
        assertEquals(OnnxAttribute.GRAPH, node.attribute("then_branch").type());
        assertEquals(OnnxAttribute.GRAPH, node.attribute("else_branch").type());
        assertEquals(1, m.graph().nodes().size());
        assertEquals(List.of(), m.graph().inputs().get(0).dims()); // the scalar bool input
    }

    @Test
    void externalDataWrittenByPython() throws IOException {
        Path file = resource("external/model.onnx");
        OnnxModel m = OnnxReader.read(file);
        OnnxTensor w = m.graph().initializer("W");
        assertEquals(new OnnxExternalData("weights.bin", 0, 192), w.externalData());
        assertEquals(new OnnxExternalData("weights.bin", 192, 128), m.graph().initializer("B").externalData());
        assertFalse(m.graph().initializer("R").isExternal()); // float_data stays inline
        assertThrows(OnnxFormatException.class, w::toFloats);

        OnnxModel resolved = m.resolveExternalData(file.getParent());
        assertArrayEquals(values(48, 1.5f), resolved.graph().initializer("W").toFloats());
        assertArrayEquals(values(64, 2f), resolved.graph().initializer("R").toFloats());
        assertArrayEquals(values(32, 1f), resolved.graph().initializer("B").toFloats());
        OnnxModel inline = OnnxReader.read(resource("proto_sample.onnx"));
        assertEquals(inline.graph().nodes(), resolved.graph().nodes());
    }

    /** Every PyTorch-exported fixture of the project (if present) reads and its float weights materialise. */
    @Test
    void pytorchFixturesRead() throws IOException, URISyntaxException {
        var url = ProtoSampleTest.class.getResource("/fixtures");
        if (url == null) return;
        List<Path> models;
        try (Stream<Path> s = Files.walk(Path.of(url.toURI()))) {
            models = s.filter(p -> p.getFileName().toString().endsWith(".onnx")).sorted().toList();
        }
        for (Path p : models) {
            OnnxModel m = OnnxReader.read(p);
            assertTrue(m.defaultOpset() > 0, p.toString());
            assertTrue(m.graph().nodes().stream().anyMatch(n -> n.opType().equals("LSTM")), p.toString());
            for (OnnxTensor t : m.graph().initializers())
                if (t.dataType() == OnnxDataType.FLOAT) assertEquals(t.elementCount(), t.toFloats().length);
            assertEquals(m, OnnxReader.read(OnnxWriter.write(m), "rewritten " + p));
        }
    }

    private static OnnxDim dp(String p) {
        return OnnxDim.named(p);
    }

    private static OnnxDim dv(long v) {
        return OnnxDim.of(v);
    }

    private static OnnxValueInfo valueInfo(String name, int type, OnnxDim... dims) {
        return new OnnxValueInfo(name, type, List.of(dims));
    }
}
