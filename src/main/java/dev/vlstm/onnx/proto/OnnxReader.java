package dev.vlstm.onnx.proto;

import static dev.vlstm.onnx.proto.OnnxFields.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a serialized ONNX ModelProto into {@link OnnxModel}. Hardened for untrusted files: every malformed input
 * ends in an {@link OnnxFormatException} naming the file and field path (see {@link ProtoCursor} for how).
 * Unknown fields are skipped; subgraph attributes are skipped unparsed. Thread-safe (no shared state).
 */
public final class OnnxReader {
    private OnnxReader() {}

    /** Protobuf cannot address more than 2 GB, and a Java byte[] cannot hold it; big models use external data. */
    static final long MAX_FILE_BYTES = GrowableArrays.MAX_ARRAY;

    public static OnnxModel read(Path file) throws IOException {
        String source = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_FILE_BYTES)
                throw new OnnxFormatException(source + ": file is " + size + " bytes; ONNX protobuf files are "
                        + "limited to 2 GB (larger models keep their weights as external data)");
            // Read exactly the size we checked, so a file growing meanwhile cannot make us allocate more.
            ByteBuffer bb = ByteBuffer.allocate((int) size);
            while (bb.hasRemaining() && ch.read(bb) >= 0) {}
            if (bb.hasRemaining()) throw new OnnxFormatException(source + ": file shrank while being read");
            return read(bb.array(), source);
        }
    }

    /** Reads a model from memory; {@code sourceName} (e.g. the file name) starts every error message. */
    public static OnnxModel read(byte[] bytes, String sourceName) {
        if (bytes.length == 0) throw new OnnxFormatException(sourceName + ": empty file, not an ONNX model");
        return model(ProtoCursor.root(sourceName, bytes));
    }

    private static OnnxModel model(ProtoCursor c) {
        long irVersion = 0;
        boolean hasIrVersion = false;
        String producerName = "";
        String producerVersion = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        OnnxGraph graph = null;
        int opsetIndex = 0;
        while (c.next()) {
            switch (c.field()) {
                case MODEL_IR_VERSION -> {
                    irVersion = c.varint("ir_version");
                    hasIrVersion = true;
                }
                case MODEL_PRODUCER_NAME -> producerName = c.string("producer_name");
                case MODEL_PRODUCER_VERSION -> producerVersion = c.string("producer_version");
                case MODEL_GRAPH -> {
                    // Protobuf would merge a repeated singular message; for a graph that is never intended.
                    if (graph != null) throw c.fail("graph", "graph appears twice");
                    graph = graph(c.message("graph", -1));
                }
                case MODEL_OPSET_IMPORT -> {
                    ProtoCursor o = c.message("opset_import", opsetIndex++);
                    opset(o, opsets);
                }
                default -> c.skip();
            }
        }
        // These checks also make a file cut at a field boundary an error rather than a smaller, valid-looking model.
        if (graph == null) throw c.fail(null, "missing graph");
        if (!hasIrVersion) throw c.fail(null, "missing ir_version");
        if (opsets.isEmpty()) throw c.fail(null, "missing opset_import");
        return new OnnxModel(irVersion, producerName, producerVersion, opsets, graph);
    }

    private static void opset(ProtoCursor c, Map<String, Long> opsets) {
        String domain = "";
        Long version = null;
        while (c.next()) {
            switch (c.field()) {
                case OPSET_DOMAIN -> domain = c.string("domain");
                case OPSET_VERSION -> version = c.varint("version");
                default -> c.skip();
            }
        }
        if (version == null) throw c.fail(null, "missing version");
        if (opsets.putIfAbsent(domain, version) != null)
            throw c.fail(null, "domain '" + domain + "' imported twice");
    }

    private static OnnxGraph graph(ProtoCursor c) {
        String name = "";
        List<OnnxNode> nodes = new ArrayList<>();
        List<OnnxTensor> initializers = new ArrayList<>();
        List<OnnxValueInfo> inputs = new ArrayList<>();
        List<OnnxValueInfo> outputs = new ArrayList<>();
        List<OnnxValueInfo> valueInfo = new ArrayList<>();
        while (c.next()) {
            switch (c.field()) {
                case GRAPH_NODE -> nodes.add(node(c.message("node", nodes.size())));
                case GRAPH_NAME -> name = c.string("name");
                case GRAPH_INITIALIZER -> initializers.add(
                        OnnxTensorReader.tensor(c.message("initializer", initializers.size())));
                case GRAPH_INPUT -> inputs.add(valueInfo(c.message("input", inputs.size())));
                case GRAPH_OUTPUT -> outputs.add(valueInfo(c.message("output", outputs.size())));
                case GRAPH_VALUE_INFO -> valueInfo.add(valueInfo(c.message("value_info", valueInfo.size())));
                default -> c.skip();
            }
        }
        return new OnnxGraph(name, nodes, initializers, inputs, outputs, valueInfo);
    }

    private static OnnxNode node(ProtoCursor c) {
        String name = "";
        String opType = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
        int attributeIndex = 0;
        while (c.next()) {
            switch (c.field()) {
                case NODE_INPUT -> inputs.add(c.string("input[" + inputs.size() + "]"));
                case NODE_OUTPUT -> outputs.add(c.string("output[" + outputs.size() + "]"));
                case NODE_NAME -> name = c.string("name");
                case NODE_OP_TYPE -> opType = c.string("op_type");
                case NODE_DOMAIN -> domain = c.string("domain");
                case NODE_ATTRIBUTE -> {
                    ProtoCursor a = c.message("attribute", attributeIndex++);
                    OnnxAttribute attribute = OnnxAttributeReader.attribute(a);
                    if (attributes.putIfAbsent(attribute.name(), attribute) != null)
                        throw a.fail(null, "duplicate attribute '" + attribute.name() + "'");
                }
                default -> c.skip();
            }
        }
        if (opType.isEmpty()) throw c.fail(null, "missing op_type");
        return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
    }

    private static OnnxValueInfo valueInfo(ProtoCursor c) {
        String name = "";
        int[] elemType = {0};
        List<OnnxDim> dims = null;
        while (c.next()) {
            switch (c.field()) {
                case VALUE_INFO_NAME -> name = c.string("name");
                case VALUE_INFO_TYPE -> dims = typeProto(c.message("type", -1), elemType);
                default -> c.skip();
            }
        }
        return new OnnxValueInfo(name, elemType[0], dims);
    }

    /** TypeProto: only tensor_type is modelled; sequences, maps and optionals leave elemType 0 and no shape. */
    private static List<OnnxDim> typeProto(ProtoCursor c, int[] elemType) {
        List<OnnxDim> dims = null;
        while (c.next()) {
            if (c.field() != TYPE_TENSOR_TYPE) {
                c.skip();
                continue;
            }
            ProtoCursor t = c.message("tensor_type", -1);
            while (t.next()) {
                switch (t.field()) {
                    case TYPE_TENSOR_ELEM_TYPE -> elemType[0] = (int) t.varint("elem_type");
                    case TYPE_TENSOR_SHAPE -> dims = shape(t.message("shape", -1));
                    default -> t.skip();
                }
            }
        }
        return dims;
    }

    private static List<OnnxDim> shape(ProtoCursor c) {
        List<OnnxDim> dims = new ArrayList<>();
        while (c.next()) {
            if (c.field() != SHAPE_DIM) {
                c.skip();
                continue;
            }
            ProtoCursor d = c.message("dim", dims.size());
            long value = -1;
            String param = "";
            while (d.next()) {
                switch (d.field()) {
                    // A oneof: the last one present wins, as in protobuf.
                    case DIM_VALUE -> {
                        value = d.varint("dim_value");
                        param = "";
                    }
                    case DIM_PARAM -> {
                        param = d.string("dim_param");
                        value = -1;
                    }
                    default -> d.skip();
                }
            }
            dims.add(new OnnxDim(value, param));
        }
        return dims;
    }
}
