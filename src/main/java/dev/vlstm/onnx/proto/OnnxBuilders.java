package dev.vlstm.onnx.proto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shorthand for building models in Java (tests, differential tests), in the spirit of onnx.helper. */
public final class OnnxBuilders {
    private OnnxBuilders() {}

    /** A FLOAT tensor stored as little-endian raw_data, as PyTorch exports weights. */
    public static OnnxTensor floatTensor(String name, long[] dims, float[] values) {
        checkCount(name, dims, values.length);
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new OnnxTensor(name, OnnxDataType.FLOAT, dims, b.array(), null, null, null, null, null);
    }

    /** A FLOAT tensor stored in float_data, the other encoding readers must accept. */
    public static OnnxTensor floatTensorData(String name, long[] dims, float[] values) {
        checkCount(name, dims, values.length);
        return new OnnxTensor(name, OnnxDataType.FLOAT, dims, null, values, null, null, null, null);
    }

    /** An INT64 tensor (shape and axes constants) stored as little-endian raw_data. */
    public static OnnxTensor int64Tensor(String name, long[] dims, long[] values) {
        checkCount(name, dims, values.length);
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new OnnxTensor(name, OnnxDataType.INT64, dims, b.array(), null, null, null, null, null);
    }

    /** An INT64 tensor stored in int64_data. */
    public static OnnxTensor int64TensorData(String name, long[] dims, long[] values) {
        checkCount(name, dims, values.length);
        return new OnnxTensor(name, OnnxDataType.INT64, dims, null, null, null, values, null, null);
    }

    /** A tensor whose bytes live in {@code location} (relative to the model's folder). */
    public static OnnxTensor externalTensor(String name, int dataType, long[] dims, String location, long offset,
            long length) {
        return new OnnxTensor(name, dataType, dims, null, null, null, null, null,
                new OnnxExternalData(location, offset, length));
    }

    /** An unnamed node in the default domain; use {@link #namedNode} to set a name. */
    public static OnnxNode node(String opType, List<String> inputs, List<String> outputs, OnnxAttribute... attrs) {
        return namedNode("", opType, inputs, outputs, attrs);
    }

    public static OnnxNode namedNode(String name, String opType, List<String> inputs, List<String> outputs,
            OnnxAttribute... attrs) {
        Map<String, OnnxAttribute> map = new LinkedHashMap<>();
        for (OnnxAttribute a : attrs)
            if (map.putIfAbsent(a.name(), a) != null)
                throw new IllegalArgumentException("duplicate attribute '" + a.name() + "'");
        return new OnnxNode(name, opType, "", inputs, outputs, map);
    }

    public static OnnxAttribute attrFloat(String name, float value) {
        return new OnnxAttribute(name, OnnxAttribute.FLOAT, value, 0, null, null, null, null, null);
    }

    public static OnnxAttribute attrInt(String name, long value) {
        return new OnnxAttribute(name, OnnxAttribute.INT, 0, value, null, null, null, null, null);
    }

    public static OnnxAttribute attrString(String name, String value) {
        return new OnnxAttribute(name, OnnxAttribute.STRING, 0, 0, value.getBytes(StandardCharsets.UTF_8), null,
                null, null, null);
    }

    public static OnnxAttribute attrTensor(String name, OnnxTensor value) {
        return new OnnxAttribute(name, OnnxAttribute.TENSOR, 0, 0, null, value, null, null, null);
    }

    public static OnnxAttribute attrFloats(String name, float... values) {
        return new OnnxAttribute(name, OnnxAttribute.FLOATS, 0, 0, null, null, values, null, null);
    }

    public static OnnxAttribute attrInts(String name, long... values) {
        return new OnnxAttribute(name, OnnxAttribute.INTS, 0, 0, null, null, null, values, null);
    }

    public static OnnxAttribute attrStrings(String name, String... values) {
        List<byte[]> bytes = new ArrayList<>();
        for (String v : values) bytes.add(v.getBytes(StandardCharsets.UTF_8));
        return new OnnxAttribute(name, OnnxAttribute.STRINGS, 0, 0, null, null, null, null, bytes);
    }

    /**
     * A tensor value info with a shape; each dim is a Number (fixed size, negative for unknown) or a String
     * (dim_param), e.g. {@code valueInfo("X", OnnxDataType.FLOAT, "seq", "batch", 3)}.
     */
    public static OnnxValueInfo valueInfo(String name, int elemType, Object... dims) {
        List<OnnxDim> list = new ArrayList<>(dims.length);
        for (Object d : dims) {
            switch (d) {
                case Number n -> list.add(OnnxDim.of(n.longValue()));
                case String s -> list.add(OnnxDim.named(s));
                case OnnxDim od -> list.add(od);
                default -> throw new IllegalArgumentException("dim must be a Number, String or OnnxDim: " + d);
            }
        }
        return new OnnxValueInfo(name, elemType, list);
    }

    /** A tensor value info without shape information. */
    public static OnnxValueInfo valueInfoNoShape(String name, int elemType) {
        return new OnnxValueInfo(name, elemType, null);
    }

    public static OnnxGraph graph(String name, List<OnnxNode> nodes, List<OnnxTensor> initializers,
            List<OnnxValueInfo> inputs, List<OnnxValueInfo> outputs) {
        return new OnnxGraph(name, nodes, initializers, inputs, outputs, List.of());
    }

    /** A model importing only the default domain at {@code opset}; producer "vlstm". */
    public static OnnxModel model(long irVersion, long opset, OnnxGraph graph) {
        return new OnnxModel(irVersion, "vlstm", "", Map.of("", opset), graph);
    }

    private static void checkCount(String name, long[] dims, int have) {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        if (n != have)
            throw new IllegalArgumentException("tensor '" + name + "': dims " + Arrays.toString(dims) + " need "
                    + n + " values, got " + have);
    }
}
