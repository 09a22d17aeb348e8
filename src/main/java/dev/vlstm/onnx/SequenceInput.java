package dev.vlstm.onnx;

import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxFormatException;
import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxValueInfo;

import java.util.Arrays;
import java.util.List;

/**
 * Which graph input is the sequence X, and whether it is batch-first: found by following the first LSTM node's X back
 * through Identity, Transpose and Add/Sub/Mul/Div-by-a-constant nodes (PyTorch's batch_first writes
 * {@code Transpose [1, 0, 2]}; an input standardisation the elementwise nodes), or from the node's {@code layout = 1}. Known before the walk, so every Shape of X means the right axes.
 * An {@code nn.Embedding} is a Gather of a float initializer {@code [vocabulary, width]} (axis 0) by an int64 or int32
 * graph input of ids {@code [seq, batch]} (batch-first: {@code [batch, seq]}); the walk goes on through its ids.
 */
record SequenceInput(OnnxValueInfo input, boolean batchFirst, OnnxNode embedding) {

    /** The table an {@code nn.Embedding} input looks its ids up in (the embedding Gather's data), or null. */
    String embeddingTable() {
        return embedding == null ? null : embedding.input(0);
    }

    static SequenceInput find(OnnxGraph g, List<OnnxValueInfo> realInputs, String source) {
        try {
            return follow(g, realInputs, source);
        } catch (OnnxFormatException e) {
            // An attribute of the wrong type ("layout" as a float, "perm" as a string): name the file, as every refusal does.
            throw new ImportException(source + ": " + e.getMessage(), e);
        }
    }

    private static SequenceInput follow(OnnxGraph g, List<OnnxValueInfo> realInputs, String source) {
        OnnxNode lstm = g.nodes().stream().filter(n -> n.opType().equals("LSTM")).findFirst()
                .orElseThrow(() -> new ImportException(source + ": the graph has no LSTM node"));
        boolean batchFirst = lstm.attribute("layout") != null && lstm.attribute("layout").asInt() == 1;
        String name = lstm.input(0);
        OnnxNode embedding = null;
        for (int hops = 0; hops <= g.nodes().size(); hops++) {
            for (OnnxValueInfo v : realInputs) if (v.name().equals(name)) return check(g, v, batchFirst, embedding, source);
            String wanted = name;
            OnnxNode producer = g.nodes().stream().filter(n -> n.outputs().contains(wanted)).findFirst().orElse(null);
            if (producer == null) break;
            if (producer.opType().equals("Transpose") && producer.attribute("perm") != null
                    && Arrays.equals(producer.attribute("perm").asInts(), new long[]{1, 0, 2})) {
                batchFirst = !batchFirst;
            } else if (ELEMENTWISE.contains(producer.opType()) && producer.inputs().size() == 2) {
                // An input standardisation, (x - mean) / std: follow the side that is not a constant (the walk checks).
                name = isConstant(g, producer.input(0)) ? producer.input(1) : producer.input(0);
                continue;
            } else if (producer.opType().equals("Gather") && embedding == null && producer.inputs().size() == 2
                    && isFloatTable(g, producer.input(0))) {
                embedding = producer;
                name = producer.input(1);
                continue;
            } else if (!producer.opType().equals("Identity")) {
                break;
            }
            name = producer.input(0);
        }
        throw new ImportException(source + ": the first LSTM node's input X ('" + lstm.input(0) + "') does not come from a "
                + "graph input (directly, or through Transpose [1, 0, 2] for batch_first, an input standardisation by "
                + "constants, or an nn.Embedding: Gather of a float initializer by int ids)");
    }

    private static final List<String> ELEMENTWISE = List.of("Add", "Sub", "Mul", "Div");

    /** Whether {@code name} is an initializer or a Constant node's output. */
    private static boolean isConstant(OnnxGraph g, String name) {
        return g.initializers().stream().anyMatch(t -> t.name().equals(name))
                || g.nodes().stream().anyMatch(n -> n.opType().equals("Constant") && n.outputs().contains(name));
    }

    /** Whether {@code name} is a 2-D float initializer: an embedding table. */
    private static boolean isFloatTable(OnnxGraph g, String name) {
        return g.initializers().stream().anyMatch(t -> t.name().equals(name) && t.dataType() == OnnxDataType.FLOAT
                && t.dims().length == 2);
    }

    private static SequenceInput check(OnnxGraph g, OnnxValueInfo x, boolean batchFirst, OnnxNode embedding, String source) {
        if (embedding != null) return checkIds(g, x, batchFirst, embedding, source);
        if (x.elemType() != OnnxDataType.FLOAT)
            throw new ImportException(source + ": graph input '" + x.name() + "' has type " + OnnxDataType.name(x.elemType())
                    + ", expected float");
        // The upper bound keeps OnnxImporter's Math.toIntExact(features) from escaping as an ArithmeticException.
        if (x.dims() == null || x.dims().size() != 3 || !x.dims().get(2).isFixed() || x.dims().get(2).value() < 1
                || x.dims().get(2).value() > Integer.MAX_VALUE)
            throw new ImportException(source + ": graph input '" + x.name() + "' has shape " + x.dims()
                    + ", expected " + (batchFirst ? "[batch, seq, features]" : "[seq, batch, features]")
                    + " with a fixed number of features (1.." + Integer.MAX_VALUE + ")");
        return new SequenceInput(x, batchFirst, null);
    }

    private static SequenceInput checkIds(OnnxGraph g, OnnxValueInfo ids, boolean batchFirst, OnnxNode gather, String source) {
        String at = source + ": node '" + gather.name() + "' (Gather, an nn.Embedding)";
        var axis = gather.attribute("axis");
        if (axis != null && axis.asInt() != 0) throw new ImportException(at + ": axis " + axis.asInt() + ", expected 0");
        if (ids.elemType() != OnnxDataType.INT64 && ids.elemType() != OnnxDataType.INT32)
            throw new ImportException(at + ": its ids, graph input '" + ids.name() + "', have type "
                    + OnnxDataType.name(ids.elemType()) + ", expected int64 or int32");
        if (ids.dims() == null || ids.dims().size() != 2)
            throw new ImportException(at + ": its ids, graph input '" + ids.name() + "', have shape " + ids.dims()
                    + ", expected " + (batchFirst ? "[batch, seq]" : "[seq, batch]"));
        long[] table = g.initializers().stream().filter(t -> t.name().equals(gather.input(0))).findFirst().orElseThrow().dims();
        if (table[0] < 1 || table[0] > 1 << 24 || table[1] < 1 || table[1] > 1 << 20)
            throw new ImportException(at + ": table '" + gather.input(0) + "' is " + java.util.Arrays.toString(table)
                    + ", expected [vocabulary 1.." + (1 << 24) + ", width 1.." + (1 << 20) + "]");
        return new SequenceInput(ids, batchFirst, gather);
    }
}
