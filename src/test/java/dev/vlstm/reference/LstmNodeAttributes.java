package dev.vlstm.reference;

import dev.vlstm.onnx.proto.OnnxAttribute;
import dev.vlstm.onnx.proto.OnnxNode;
import java.util.List;

/** Reads the attributes of an ONNX {@code LSTM} node (as read by dev.vlstm.onnx.proto) into {@link LstmAttributes}. */
public final class LstmNodeAttributes {
    private LstmNodeAttributes() {}

    public static LstmAttributes of(OnnxNode node) {
        if (!node.opType().equals("LSTM")) throw new IllegalArgumentException("not an LSTM node: " + node.opType());
        OnnxAttribute hidden = node.attribute("hidden_size");
        if (hidden == null) throw new IllegalArgumentException("LSTM node without hidden_size");
        OnnxAttribute direction = node.attribute("direction");
        OnnxAttribute activations = node.attribute("activations");
        OnnxAttribute alpha = node.attribute("activation_alpha");
        OnnxAttribute beta = node.attribute("activation_beta");
        OnnxAttribute clip = node.attribute("clip");
        OnnxAttribute inputForget = node.attribute("input_forget");
        OnnxAttribute layout = node.attribute("layout");
        return new LstmAttributes(Math.toIntExact(hidden.asInt()),
                direction == null ? null : direction.asString(),
                activations == null ? List.of() : activations.asStrings(),
                alpha == null ? null : alpha.asFloats(),
                beta == null ? null : beta.asFloats(),
                clip == null ? null : clip.asFloat(),
                inputForget == null ? 0 : Math.toIntExact(inputForget.asInt()),
                layout == null ? 0 : Math.toIntExact(layout.asInt()));
    }
}
