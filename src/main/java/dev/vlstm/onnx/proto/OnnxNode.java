package dev.vlstm.onnx.proto;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A NodeProto.
 *
 * @param name       node name ("" when unnamed)
 * @param opType     operator, e.g. "LSTM"
 * @param domain     operator set domain, "" for the default ai.onnx domain
 * @param inputs     input value names; "" marks an absent optional input and is kept so positions stay right
 * @param outputs    output value names; "" marks an unused optional output
 * @param attributes attributes by name, in file order
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
        Map<String, OnnxAttribute> attributes) {

    public OnnxNode {
        if (name == null) name = "";
        if (opType == null) opType = "";
        if (domain == null) domain = "";
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        // Keep file order (Map.copyOf would not), so written models list attributes as given.
        attributes = attributes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    /** The attribute with this name, or null. */
    public OnnxAttribute attribute(String attributeName) {
        return attributes.get(attributeName);
    }

    /** The i-th input name, or "" when the node has fewer inputs (both mean "absent optional input"). */
    public String input(int index) {
        return index < inputs.size() ? inputs.get(index) : "";
    }
}
