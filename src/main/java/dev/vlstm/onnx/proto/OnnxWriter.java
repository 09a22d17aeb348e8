package dev.vlstm.onnx.proto;

import static dev.vlstm.onnx.proto.OnnxFields.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serializes an {@link OnnxModel} as an ONNX ModelProto, so tests can build models in Java and hand them to
 * {@link OnnxReader} or ONNX Runtime. Attributes are written by their type (only the matching value field), as
 * onnx.helper does; subgraph attributes cannot be written because the model does not retain them.
 */
public final class OnnxWriter {
    private OnnxWriter() {}

    public static byte[] write(OnnxModel model) {
        ProtoSink m = new ProtoSink().varint(MODEL_IR_VERSION, model.irVersion());
        if (!model.producerName().isEmpty()) m.string(MODEL_PRODUCER_NAME, model.producerName());
        if (!model.producerVersion().isEmpty()) m.string(MODEL_PRODUCER_VERSION, model.producerVersion());
        for (Map.Entry<String, Long> e : model.opsets().entrySet()) {
            ProtoSink o = new ProtoSink();
            if (!e.getKey().isEmpty()) o.string(OPSET_DOMAIN, e.getKey());
            m.message(MODEL_OPSET_IMPORT, o.varint(OPSET_VERSION, e.getValue()));
        }
        // Graph last (protobuf allows any order): a file cut anywhere then fails the graph's length check.
        return m.message(MODEL_GRAPH, graph(model.graph())).toByteArray();
    }

    public static void write(OnnxModel model, Path file) throws IOException {
        Files.write(file, write(model));
    }

    private static ProtoSink graph(OnnxGraph g) {
        ProtoSink s = new ProtoSink();
        for (OnnxNode n : g.nodes()) s.message(GRAPH_NODE, node(n));
        if (!g.name().isEmpty()) s.string(GRAPH_NAME, g.name());
        for (OnnxTensor t : g.initializers()) s.message(GRAPH_INITIALIZER, tensor(t));
        for (OnnxValueInfo v : g.inputs()) s.message(GRAPH_INPUT, valueInfo(v));
        for (OnnxValueInfo v : g.outputs()) s.message(GRAPH_OUTPUT, valueInfo(v));
        for (OnnxValueInfo v : g.valueInfo()) s.message(GRAPH_VALUE_INFO, valueInfo(v));
        return s;
    }

    private static ProtoSink node(OnnxNode n) {
        ProtoSink s = new ProtoSink();
        for (String in : n.inputs()) s.string(NODE_INPUT, in); // "" kept: it marks an absent optional input
        for (String out : n.outputs()) s.string(NODE_OUTPUT, out);
        if (!n.name().isEmpty()) s.string(NODE_NAME, n.name());
        s.string(NODE_OP_TYPE, n.opType());
        for (OnnxAttribute a : n.attributes().values()) s.message(NODE_ATTRIBUTE, attribute(a));
        if (!n.domain().isEmpty()) s.string(NODE_DOMAIN, n.domain());
        return s;
    }

    private static ProtoSink attribute(OnnxAttribute a) {
        ProtoSink s = new ProtoSink().string(ATTR_NAME, a.name());
        switch (a.type()) {
            case OnnxAttribute.FLOAT -> s.fixedFloat(ATTR_F, a.f());
            case OnnxAttribute.INT -> s.varint(ATTR_I, a.i());
            case OnnxAttribute.STRING -> s.bytes(ATTR_S, a.sRef() == null ? new byte[0] : a.sRef());
            case OnnxAttribute.TENSOR -> {
                if (a.t() == null) throw new IllegalArgumentException("attribute '" + a.name() + "' has no tensor");
                s.message(ATTR_T, tensor(a.t()));
            }
            case OnnxAttribute.FLOATS -> s.unpackedFloats(ATTR_FLOATS, a.floatsRef());
            case OnnxAttribute.INTS -> s.unpackedVarints(ATTR_INTS, a.intsRef());
            case OnnxAttribute.STRINGS -> {
                for (byte[] b : a.stringsRef()) s.bytes(ATTR_STRINGS, b);
            }
            default -> throw new IllegalArgumentException("attribute '" + a.name() + "' of type "
                    + OnnxAttribute.typeName(a.type()) + " cannot be written (its value is not retained)");
        }
        return s.varint(ATTR_TYPE, a.type());
    }

    private static ProtoSink tensor(OnnxTensor t) {
        ProtoSink s = new ProtoSink()
                .unpackedVarints(TENSOR_DIMS, t.dimsRef())
                .varint(TENSOR_DATA_TYPE, t.dataType())
                .packedFloats(TENSOR_FLOAT_DATA, t.floatDataRef())
                .packedInt32s(TENSOR_INT32_DATA, t.int32DataRef())
                .packedVarints(TENSOR_INT64_DATA, t.int64DataRef());
        if (!t.name().isEmpty()) s.string(TENSOR_NAME, t.name());
        if (t.rawDataRef() != null) s.bytes(TENSOR_RAW_DATA, t.rawDataRef());
        s.packedDoubles(TENSOR_DOUBLE_DATA, t.doubleDataRef());
        OnnxExternalData ext = t.externalData();
        if (ext != null) {
            s.message(TENSOR_EXTERNAL_DATA, entry("location", ext.location()));
            if (ext.offset() != 0) s.message(TENSOR_EXTERNAL_DATA, entry("offset", Long.toString(ext.offset())));
            if (ext.length() >= 0) s.message(TENSOR_EXTERNAL_DATA, entry("length", Long.toString(ext.length())));
            s.varint(TENSOR_DATA_LOCATION, LOCATION_EXTERNAL);
        }
        return s;
    }

    private static ProtoSink entry(String key, String value) {
        return new ProtoSink().string(ENTRY_KEY, key).string(ENTRY_VALUE, value);
    }

    private static ProtoSink valueInfo(OnnxValueInfo v) {
        ProtoSink s = new ProtoSink().string(VALUE_INFO_NAME, v.name());
        if (v.elemType() == 0 && v.dims() == null) return s;
        ProtoSink tensorType = new ProtoSink().varint(TYPE_TENSOR_ELEM_TYPE, v.elemType());
        if (v.dims() != null) {
            ProtoSink shape = new ProtoSink();
            for (OnnxDim d : v.dims()) {
                ProtoSink dim = new ProtoSink();
                if (d.isFixed()) dim.varint(DIM_VALUE, d.value());
                else if (!d.param().isEmpty()) dim.string(DIM_PARAM, d.param());
                shape.message(SHAPE_DIM, dim);
            }
            tensorType.message(TYPE_TENSOR_SHAPE, shape);
        }
        return s.message(VALUE_INFO_TYPE, new ProtoSink().message(TYPE_TENSOR_TYPE, tensorType));
    }
}
