package dev.vlstm.onnx.proto;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Writer then reader on a model using every field kind we model.
 *
 * <p>Checked once by hand against Python onnx 1.12 (not automated: tests must not need Python):
 * {@code onnx.load} parsed the bytes of {@link #everyFieldKind()} with the expected values (attributes via
 * helper.get_attribute_value, tensors via numpy_helper.to_array, external_data entries, dim_params), and Python's
 * re-serialization of it read back here equal to the original; an LSTM + Constant + Reshape + Transpose model built
 * with OnnxBuilders passed {@code onnx.checker.check_model(model, full_check=True)}. ONNX Runtime's acceptance is
 * automated in {@link OnnxWriterOrtTest}.
 */
class OnnxRoundTripTest {

    static OnnxModel everyFieldKind() {
        OnnxTensor shapeConst = int64TensorData("", new long[] {3}, new long[] {0, -1, Long.MIN_VALUE});
        OnnxNode lstm = namedNode("lstm0", "LSTM", List.of("X", "W", "R", "B", "", "h0", ""), List.of("Y", "", "Y_c"),
                attrInt("hidden_size", 4),
                attrInt("negative", -123456789012L),
                attrFloat("clip", 2.5f),
                attrFloat("nan", Float.NaN),
                attrString("direction", "forward"),
                attrString("unicode", "größe ✓"),
                attrStrings("activations", "Sigmoid", "Tanh", ""),
                attrFloats("activation_alpha", 0.5f, -1e30f, Float.MIN_VALUE),
                attrInts("perm", 2, 0, -1, Long.MAX_VALUE),
                attrInts("empty_ints"),
                attrTensor("value", shapeConst));
        OnnxNode custom = new OnnxNode("", "FusedThing", "com.microsoft", List.of("Y"), List.of("Z"), Map.of());
        List<OnnxTensor> initializers = List.of(
                floatTensor("W", new long[] {1, 16, 3}, ramp(48)),
                floatTensorData("R", new long[] {1, 16, 4}, ramp(64)),
                int64Tensor("shape", new long[] {2}, new long[] {-1, 4}),
                new OnnxTensor("i32", OnnxDataType.INT32, new long[] {3}, null, null, new int[] {1, -2, Integer.MIN_VALUE},
                        null, null, null),
                new OnnxTensor("d", OnnxDataType.DOUBLE, new long[] {2}, null, null, null, null,
                        new double[] {Math.PI, -0.0}, null),
                floatTensor("scalar", new long[0], new float[] {7f}),
                floatTensor("empty", new long[] {0, 5}, new float[0]),
                externalTensor("ext", OnnxDataType.FLOAT, new long[] {2, 2}, "weights/ext.bin", 4096, 16),
                externalTensor("ext_no_len", OnnxDataType.FLOAT, new long[] {2}, "w.bin", 0, -1));
        OnnxGraph graph = new OnnxGraph("every_field", List.of(lstm, custom), initializers,
                List.of(valueInfo("X", OnnxDataType.FLOAT, "seq", "batch", 3),
                        valueInfo("h0", OnnxDataType.FLOAT, 1, OnnxDim.of(-1), 4)),
                List.of(valueInfo("Z", OnnxDataType.FLOAT), // scalar: empty shape
                        valueInfoNoShape("Y", OnnxDataType.FLOAT)),
                List.of(new OnnxValueInfo("untyped", 0, null),
                        valueInfo("Y_c", OnnxDataType.FLOAT16, 1, "batch", 0)));
        Map<String, Long> opsets = new LinkedHashMap<>();
        opsets.put("", 17L);
        opsets.put("com.microsoft", 1L);
        return new OnnxModel(8, "vlstm-test", "0.1", opsets, graph);
    }

    static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i / 16f - 1.5f;
        return v;
    }

    @Test
    void roundTripPreservesEveryField() {
        OnnxModel model = everyFieldKind();
        byte[] bytes = OnnxWriter.write(model);
        OnnxModel back = OnnxReader.read(bytes, "roundtrip.onnx");
        assertEquals(model, back);
        // and the writer is deterministic over its own output
        assertArrayEquals(bytes, OnnxWriter.write(back));
    }

    @Test
    void roundTripDetails() {
        OnnxModel back = OnnxReader.read(OnnxWriter.write(everyFieldKind()), "roundtrip.onnx");
        assertEquals(8, back.irVersion());
        assertEquals(17, back.defaultOpset());
        assertEquals(List.of("", "com.microsoft"), new ArrayList<>(back.opsets().keySet()));
        OnnxNode lstm = back.graph().nodes().get(0);
        assertEquals(List.of("X", "W", "R", "B", "", "h0", ""), lstm.inputs());
        assertEquals(List.of("Y", "", "Y_c"), lstm.outputs());
        assertEquals("", lstm.input(10));
        assertEquals(List.of("hidden_size", "negative", "clip", "nan", "direction", "unicode", "activations",
                "activation_alpha", "perm", "empty_ints", "value"), new ArrayList<>(lstm.attributes().keySet()));
        assertEquals(-123456789012L, lstm.attribute("negative").asInt());
        assertTrue(Float.isNaN(lstm.attribute("nan").asFloat()));
        assertEquals("größe ✓", lstm.attribute("unicode").asString());
        assertEquals(List.of("Sigmoid", "Tanh", ""), lstm.attribute("activations").asStrings());
        assertArrayEquals(new float[] {0.5f, -1e30f, Float.MIN_VALUE}, lstm.attribute("activation_alpha").asFloats());
        assertArrayEquals(new long[] {2, 0, -1, Long.MAX_VALUE}, lstm.attribute("perm").asInts());
        assertArrayEquals(new long[] {0, -1, Long.MIN_VALUE}, lstm.attribute("value").asTensor().toLongs());
        assertEquals("com.microsoft", back.graph().nodes().get(1).domain());

        OnnxGraph g = back.graph();
        assertArrayEquals(ramp(48), g.initializer("W").toFloats());
        assertTrue(g.initializer("W").hasRawData());
        assertFalse(g.initializer("R").hasRawData());
        assertArrayEquals(ramp(64), g.initializer("R").toFloats());
        assertArrayEquals(new long[] {-1, 4}, g.initializer("shape").toLongs());
        assertArrayEquals(new long[] {1, -2, Integer.MIN_VALUE}, g.initializer("i32").toLongs());
        assertArrayEquals(new double[] {Math.PI, -0.0}, g.initializer("d").doubleData());
        assertArrayEquals(new float[] {7f}, g.initializer("scalar").toFloats());
        assertEquals(0, g.initializer("scalar").rank());
        assertArrayEquals(new float[0], g.initializer("empty").toFloats());
        assertArrayEquals(new byte[0], g.initializer("empty").rawData()); // present and empty, not absent
        assertEquals(new OnnxExternalData("weights/ext.bin", 4096, 16), g.initializer("ext").externalData());
        assertEquals(new OnnxExternalData("w.bin", 0, -1), g.initializer("ext_no_len").externalData());

        assertEquals(List.of(OnnxDim.named("seq"), OnnxDim.named("batch"), OnnxDim.of(3)), g.inputs().get(0).dims());
        assertEquals(new OnnxDim(-1, ""), g.inputs().get(1).dims().get(1));
        assertEquals(List.of(), g.outputs().get(0).dims());
        assertNull(g.outputs().get(1).dims());
        assertEquals(OnnxDataType.FLOAT, g.outputs().get(1).elemType());
        assertEquals(new OnnxValueInfo("untyped", 0, null), g.valueInfo().get(0));
        assertEquals(OnnxDataType.FLOAT16, g.valueInfo().get(1).elemType());
    }

    @Test
    void recordsAreImmutable() {
        float[] values = {1, 2};
        OnnxTensor t = floatTensorData("t", new long[] {2}, values);
        values[0] = 99;
        t.floatData()[1] = 99;
        t.dims()[0] = 5;
        assertArrayEquals(new float[] {1, 2}, t.toFloats());
        assertArrayEquals(new long[] {2}, t.dims());
        OnnxAttribute a = attrInts("perm", 1, 2);
        a.ints()[0] = 7;
        a.asInts()[0] = 7;
        assertArrayEquals(new long[] {1, 2}, a.ints());
        OnnxAttribute s = attrStrings("s", "x");
        s.strings().get(0)[0] = 'y';
        assertEquals(List.of("x"), s.asStrings());
        assertThrows(UnsupportedOperationException.class, () -> everyFieldKind().graph().nodes().clear());
    }

    @Test
    void attributeAccessorsRefuseTheWrongType() {
        OnnxAttribute a = attrInts("perm", 1, 2);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, a::asInt);
        assertEquals("attribute 'perm' is INTS, expected INT", e.getMessage());
        OnnxAttribute bad = new OnnxAttribute("bad", OnnxAttribute.STRING, 0, 0, new byte[] {(byte) 0xC3}, null,
                null, null, null);
        assertThrows(OnnxFormatException.class, bad::asString);
    }

    @Test
    void writerRefusesAttributesItCannotRepresent() {
        OnnxAttribute graphAttr = new OnnxAttribute("then_branch", OnnxAttribute.GRAPH, 0, 0, null, null, null,
                null, null);
        OnnxModel m = model(8, 17, graph("g", List.of(node("If", List.of("c"), List.of("o"), graphAttr)),
                List.of(), List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> OnnxWriter.write(m));
    }

    @Test
    void builderChecksValueCounts() {
        assertThrows(IllegalArgumentException.class, () -> floatTensor("w", new long[] {2, 3}, new float[5]));
        assertThrows(IllegalArgumentException.class, () -> node("Add", List.of(), List.of(),
                attrInt("a", 1), attrInt("a", 2)));
        assertThrows(IllegalArgumentException.class, () -> valueInfo("x", 1, 2.5, new Object()));
    }

    /** Protobuf parsers must accept repeated scalars packed or not, and split across several occurrences. */
    @Test
    void packedAndUnpackedRepeatedScalarsReadAlike() {
        WireBytes floatsPacked = new WireBytes().tag(4, 2).varint(8).fixed32(Float.floatToIntBits(1f))
                .fixed32(Float.floatToIntBits(2f));
        WireBytes tensor = new WireBytes()
                .varintField(1, 1).raw(new WireBytes().tag(1, 2).varint(1).varint(3).build()) // dims 1, then [3]
                .varintField(2, OnnxDataType.FLOAT)
                .raw(floatsPacked.build())
                .tag(4, 5).fixed32(Float.floatToIntBits(3f)) // one more float, unpacked
                .tag(7, 2).varint(11).varint(-1L).varint(5) // packed int64: -1 takes 10 bytes
                .varintField(7, 300) // unpacked int64
                .tag(5, 2).varint(10).varint(-7L) // packed int32, sign-extended
                .tag(10, 1).raw(longLe(Double.doubleToLongBits(0.25)))
                .tag(10, 2).varint(8).raw(longLe(Double.doubleToLongBits(-8)))
                .stringField(8, "T");
        WireBytes attr = new WireBytes().stringField(1, "axes")
                .tag(8, 2).varint(3).varint(1).varint(128) // packed ints (Python writes them unpacked)
                .varintField(8, 2)
                .tag(7, 2).varint(4).fixed32(Float.floatToIntBits(0.5f)) // packed floats
                .tag(7, 5).fixed32(Float.floatToIntBits(-0.5f))
                .varintField(20, OnnxAttribute.INTS);
        WireBytes node = new WireBytes().stringField(4, "Unsqueeze").messageField(5, attr);
        WireBytes graph = new WireBytes().messageField(1, node).messageField(5, tensor);
        OnnxModel m = OnnxReader.read(WireBytes.model(graph), "packed.onnx");
        OnnxTensor t = m.graph().initializers().get(0);
        assertArrayEquals(new long[] {1, 3}, t.dims());
        assertArrayEquals(new float[] {1f, 2f, 3f}, t.toFloats());
        assertArrayEquals(new long[] {-1, 5, 300}, t.int64Data());
        assertArrayEquals(new int[] {-7}, t.int32Data());
        assertArrayEquals(new double[] {0.25, -8}, t.doubleData());
        OnnxAttribute a = m.graph().nodes().get(0).attribute("axes");
        assertArrayEquals(new long[] {1, 128, 2}, a.asInts());
        assertArrayEquals(new float[] {0.5f, -0.5f}, a.floats());
    }

    /** Old files may omit AttributeProto.type; it is inferred from the value field present. */
    @Test
    void attributeTypeInferredWhenMissing() {
        WireBytes attr = new WireBytes().stringField(1, "alpha").tag(2, 5).fixed32(Float.floatToIntBits(0.2f));
        WireBytes node = new WireBytes().stringField(4, "LeakyRelu").messageField(5, attr);
        OnnxModel m = OnnxReader.read(WireBytes.model(new WireBytes().messageField(1, node)), "old.onnx");
        assertEquals(0.2f, m.graph().nodes().get(0).attribute("alpha").asFloat());
    }

    @Test
    void stringsInRecordsAreUtf8() {
        OnnxAttribute a = attrString("s", "é");
        assertArrayEquals("é".getBytes(StandardCharsets.UTF_8), a.s());
        assertTrue(a.toString().contains("é"));
        assertTrue(Arrays.toString(new Object[] {everyFieldKind().graph().initializer("W")}).contains("raw 192 bytes"));
    }

    private static byte[] longLe(long v) {
        byte[] b = new byte[8];
        for (int k = 0; k < 8; k++) b[k] = (byte) (v >>> (8 * k));
        return b;
    }
}
