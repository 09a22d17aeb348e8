package dev.vlstm.onnx.proto;

import java.util.List;

/**
 * A GraphProto (without sparse initializers, quantization annotations or doc strings, which we skip).
 *
 * @param nodes        nodes in file order (ONNX requires topological order; not checked here)
 * @param initializers constant tensors, by convention the weights
 * @param inputs       graph inputs (older exporters also list initializers here)
 * @param outputs      graph outputs
 * @param valueInfo    shape/type information for intermediate values
 */
public record OnnxGraph(String name, List<OnnxNode> nodes, List<OnnxTensor> initializers,
        List<OnnxValueInfo> inputs, List<OnnxValueInfo> outputs, List<OnnxValueInfo> valueInfo) {

    public OnnxGraph {
        if (name == null) name = "";
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        initializers = initializers == null ? List.of() : List.copyOf(initializers);
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        valueInfo = valueInfo == null ? List.of() : List.copyOf(valueInfo);
    }

    /** The initializer with this name, or null. */
    public OnnxTensor initializer(String tensorName) {
        for (OnnxTensor t : initializers) if (t.name().equals(tensorName)) return t;
        return null;
    }
}
