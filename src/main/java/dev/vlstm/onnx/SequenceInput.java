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
 */
record SequenceInput(OnnxValueInfo input, boolean batchFirst) {

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
        for (int hops = 0; hops <= g.nodes().size(); hops++) {
            for (OnnxValueInfo v : realInputs) if (v.name().equals(name)) return check(v, batchFirst, source);
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
            } else if (!producer.opType().equals("Identity")) {
                break;
            }
            name = producer.input(0);
        }
        throw new ImportException(source + ": the first LSTM node's input X ('" + lstm.input(0) + "') does not come from a "
                + "graph input (directly, or through Transpose [1, 0, 2] for batch_first, or an input standardisation by "
                + "constants)");
    }

    private static final List<String> ELEMENTWISE = List.of("Add", "Sub", "Mul", "Div");

    /** Whether {@code name} is an initializer or a Constant node's output. */
    private static boolean isConstant(OnnxGraph g, String name) {
        return g.initializers().stream().anyMatch(t -> t.name().equals(name))
                || g.nodes().stream().anyMatch(n -> n.opType().equals("Constant") && n.outputs().contains(name));
    }

    private static SequenceInput check(OnnxValueInfo x, boolean batchFirst, String source) {
        if (x.elemType() != OnnxDataType.FLOAT)
            throw new ImportException(source + ": graph input '" + x.name() + "' has type " + OnnxDataType.name(x.elemType())
                    + ", expected float");
        // The upper bound keeps OnnxImporter's Math.toIntExact(features) from escaping as an ArithmeticException.
        if (x.dims() == null || x.dims().size() != 3 || !x.dims().get(2).isFixed() || x.dims().get(2).value() < 1
                || x.dims().get(2).value() > Integer.MAX_VALUE)
            throw new ImportException(source + ": graph input '" + x.name() + "' has shape " + x.dims()
                    + ", expected " + (batchFirst ? "[batch, seq, features]" : "[seq, batch, features]")
                    + " with a fixed number of features (1.." + Integer.MAX_VALUE + ")");
        return new SequenceInput(x, batchFirst);
    }
}
