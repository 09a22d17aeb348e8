package dev.vlstm.onnx.proto;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A node attribute. {@code type} says which value field is meant; the others hold their defaults. Subgraph
 * attributes (GRAPH, GRAPHS) and the other kinds we do not model keep their type code but no value, so an importer
 * can refuse them by type. Immutable: arrays are copied on the way in and out.
 *
 * @param name    attribute name
 * @param type    AttributeProto.AttributeType code (constants below)
 * @param f       FLOAT value
 * @param i       INT value
 * @param s       STRING value as bytes (null when absent)
 * @param t       TENSOR value (null when absent)
 * @param floats  FLOATS value
 * @param ints    INTS value
 * @param strings STRINGS value as bytes
 */
public record OnnxAttribute(String name, int type, float f, long i, byte[] s, OnnxTensor t, float[] floats,
        long[] ints, List<byte[]> strings) {

    public static final int UNDEFINED = 0;
    public static final int FLOAT = 1;
    public static final int INT = 2;
    public static final int STRING = 3;
    public static final int TENSOR = 4;
    public static final int GRAPH = 5;
    public static final int FLOATS = 6;
    public static final int INTS = 7;
    public static final int STRINGS = 8;
    public static final int TENSORS = 9;
    public static final int GRAPHS = 10;
    public static final int SPARSE_TENSOR = 11;
    public static final int SPARSE_TENSORS = 12;
    public static final int TYPE_PROTO = 13;
    public static final int TYPE_PROTOS = 14;

    private static final String[] TYPE_NAMES = {
        "UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS", "TENSORS", "GRAPHS",
        "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS",
    };

    public OnnxAttribute {
        if (name == null) name = "";
        s = s == null ? null : s.clone();
        floats = floats == null ? new float[0] : floats.clone();
        ints = ints == null ? new long[0] : ints.clone();
        strings = strings == null ? List.of() : copyAll(strings);
    }

    @Override public byte[] s() { return s == null ? null : s.clone(); }
    @Override public float[] floats() { return floats.clone(); }
    @Override public long[] ints() { return ints.clone(); }
    @Override public List<byte[]> strings() { return copyAll(strings); }

    // Zero-copy views for OnnxWriter; read-only by convention.
    byte[] sRef() { return s; }
    float[] floatsRef() { return floats; }
    long[] intsRef() { return ints; }
    List<byte[]> stringsRef() { return strings; }

    /** "FLOAT", "INTS", ...; "type(N)" for unknown codes. */
    public static String typeName(int type) {
        return type >= 0 && type < TYPE_NAMES.length ? TYPE_NAMES[type] : "type(" + type + ")";
    }

    public float asFloat() {
        expect(FLOAT);
        return f;
    }

    public long asInt() {
        expect(INT);
        return i;
    }

    /** The STRING value decoded as UTF-8 (strictly: malformed bytes are an error, not replacement characters). */
    public String asString() {
        expect(STRING);
        return utf8(s == null ? new byte[0] : s);
    }

    public OnnxTensor asTensor() {
        expect(TENSOR);
        if (t == null) throw new OnnxFormatException("attribute '" + name + "' is TENSOR but has no tensor");
        return t;
    }

    public float[] asFloats() {
        expect(FLOATS);
        return floats.clone();
    }

    public long[] asInts() {
        expect(INTS);
        return ints.clone();
    }

    public List<String> asStrings() {
        expect(STRINGS);
        List<String> out = new ArrayList<>(strings.size());
        for (byte[] b : strings) out.add(utf8(b));
        return List.copyOf(out);
    }

    private void expect(int wanted) {
        if (type != wanted)
            throw new OnnxFormatException(
                    "attribute '" + name + "' is " + typeName(type) + ", expected " + typeName(wanted));
    }

    private String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new OnnxFormatException("attribute '" + name + "' holds a string that is not valid UTF-8", e);
        }
    }

    private static List<byte[]> copyAll(List<byte[]> in) {
        List<byte[]> out = new ArrayList<>(in.size());
        for (byte[] b : in) out.add(Objects.requireNonNull(b, "null string in attribute").clone());
        return List.copyOf(out);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof OnnxAttribute a)) return false;
        if (strings.size() != a.strings.size()) return false;
        for (int k = 0; k < strings.size(); k++) if (!Arrays.equals(strings.get(k), a.strings.get(k))) return false;
        return type == a.type && Float.compare(f, a.f) == 0 && i == a.i && name.equals(a.name)
                && Arrays.equals(s, a.s) && Objects.equals(t, a.t) && Arrays.equals(floats, a.floats)
                && Arrays.equals(ints, a.ints);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(name, type, Float.floatToIntBits(f), i, Arrays.hashCode(s), t,
                Arrays.hashCode(floats), Arrays.hashCode(ints));
        for (byte[] b : strings) h = 31 * h + Arrays.hashCode(b);
        return h;
    }

    @Override
    public String toString() {
        String value = switch (type) {
            case FLOAT -> Float.toString(f);
            case INT -> Long.toString(i);
            case STRING -> s == null ? "null" : '"' + new String(s, StandardCharsets.UTF_8) + '"';
            case TENSOR -> String.valueOf(t);
            case FLOATS -> Arrays.toString(floats);
            case INTS -> Arrays.toString(ints);
            case STRINGS -> strings.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList().toString();
            default -> "(not retained)";
        };
        return name + ":" + typeName(type) + "=" + value;
    }
}
