package dev.vlstm.onnx.proto;

import static dev.vlstm.onnx.proto.OnnxFields.*;

import java.util.ArrayList;
import java.util.List;

/** Decodes an AttributeProto for {@link OnnxReader}; subgraphs and the kinds we do not model are skipped unparsed. */
final class OnnxAttributeReader {
    private OnnxAttributeReader() {}

    static OnnxAttribute attribute(ProtoCursor c) {
        String name = "";
        int type = OnnxAttribute.UNDEFINED;
        int seen = OnnxAttribute.UNDEFINED; // the kind of the last value field, for files that omit "type"
        float f = 0;
        long i = 0;
        byte[] s = null;
        OnnxTensor t = null;
        GrowableArrays.Floats floats = new GrowableArrays.Floats();
        GrowableArrays.Longs ints = new GrowableArrays.Longs();
        List<byte[]> strings = new ArrayList<>();
        while (c.next()) {
            switch (c.field()) {
                case ATTR_NAME -> name = c.string("name");
                case ATTR_TYPE -> type = (int) c.varint("type");
                case ATTR_F -> {
                    f = c.fixedFloat("f");
                    seen = OnnxAttribute.FLOAT;
                }
                case ATTR_I -> {
                    i = c.varint("i");
                    seen = OnnxAttribute.INT;
                }
                case ATTR_S -> {
                    s = c.bytes("s");
                    seen = OnnxAttribute.STRING;
                }
                case ATTR_T -> {
                    if (t != null) throw c.fail("t", "tensor appears twice");
                    t = OnnxTensorReader.tensor(c.message("t", -1));
                    seen = OnnxAttribute.TENSOR;
                }
                case ATTR_FLOATS -> {
                    c.floats("floats", floats);
                    seen = OnnxAttribute.FLOATS;
                }
                case ATTR_INTS -> {
                    c.varints("ints", ints);
                    seen = OnnxAttribute.INTS;
                }
                case ATTR_STRINGS -> {
                    strings.add(c.bytes("strings[" + strings.size() + "]"));
                    seen = OnnxAttribute.STRINGS;
                }
                case ATTR_G, ATTR_GRAPHS, ATTR_TENSORS, ATTR_TP, ATTR_TYPE_PROTOS, ATTR_SPARSE_TENSOR,
                        ATTR_SPARSE_TENSORS -> {
                    seen = skippedKind(c.field());
                    c.skip(); // by length only: a hostile, deeply nested subgraph costs no recursion
                }
                default -> c.skip();
            }
        }
        if (name.isEmpty()) throw c.fail(null, "attribute without a name");
        if (type == OnnxAttribute.UNDEFINED) type = seen;
        return new OnnxAttribute(name, type, f, i, s, t, floats.toArray(), ints.toArray(), strings);
    }

    private static int skippedKind(int field) {
        return switch (field) {
            case ATTR_G -> OnnxAttribute.GRAPH;
            case ATTR_GRAPHS -> OnnxAttribute.GRAPHS;
            case ATTR_TENSORS -> OnnxAttribute.TENSORS;
            case ATTR_TP -> OnnxAttribute.TYPE_PROTO;
            case ATTR_TYPE_PROTOS -> OnnxAttribute.TYPE_PROTOS;
            case ATTR_SPARSE_TENSOR -> OnnxAttribute.SPARSE_TENSOR;
            default -> OnnxAttribute.SPARSE_TENSORS;
        };
    }
}
