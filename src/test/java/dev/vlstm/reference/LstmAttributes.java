package dev.vlstm.reference;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The attributes of one ONNX {@code LSTM} node, as written in the model.
 *
 * @param hiddenSize  {@code hidden_size}, at least 1
 * @param direction   {@code direction}: "forward", "reverse" or "bidirectional"; null when the attribute is absent
 *                    (then "forward")
 * @param activations {@code activations}: 3 names per direction, or empty for the defaults (Sigmoid, Tanh, Tanh)
 * @param alpha       {@code activation_alpha}, or null when absent (empty and null mean the same)
 * @param beta        {@code activation_beta}, or null when absent
 * @param clip        {@code clip}, or null when absent (no clipping)
 * @param inputForget {@code input_forget}, 0 or 1
 * @param layout      {@code layout} (opset 14 and later), 0 (sequence first) or 1 (batch first)
 */
public record LstmAttributes(int hiddenSize, String direction, List<String> activations, float[] alpha,
        float[] beta, Float clip, int inputForget, int layout) {

    public LstmAttributes {
        activations = activations == null ? List.of() : List.copyOf(activations);
        alpha = alpha == null ? null : alpha.clone();
        beta = beta == null ? null : beta.clone();
    }

    /** The defaults for everything but the hidden size: forward, Sigmoid/Tanh/Tanh, no clip, layout 0. */
    public static LstmAttributes defaults(int hiddenSize) {
        return new LstmAttributes(hiddenSize, null, List.of(), null, null, null, 0, 0);
    }

    @Override public float[] alpha() { return alpha == null ? null : alpha.clone(); }
    @Override public float[] beta() { return beta == null ? null : beta.clone(); }

    /** The direction, with the default filled in. */
    public String effectiveDirection() {
        return direction == null ? "forward" : direction;
    }

    /** 2 for "bidirectional", else 1. */
    public int directionCount() {
        return effectiveDirection().equals("bidirectional") ? 2 : 1;
    }

    public LstmAttributes withLayout(int newLayout) {
        return new LstmAttributes(hiddenSize, direction, activations, alpha, beta, clip, inputForget, newLayout);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LstmAttributes a && hiddenSize == a.hiddenSize && Objects.equals(direction, a.direction)
                && activations.equals(a.activations) && Arrays.equals(alpha, a.alpha) && Arrays.equals(beta, a.beta)
                && Objects.equals(clip, a.clip) && inputForget == a.inputForget && layout == a.layout;
    }

    @Override
    public int hashCode() {
        return Objects.hash(hiddenSize, direction, activations, Arrays.hashCode(alpha), Arrays.hashCode(beta), clip,
                inputForget, layout);
    }

    @Override
    public String toString() {
        return "hidden_size=" + hiddenSize + " direction=" + (direction == null ? "(absent)" : direction)
                + " activations=" + (activations.isEmpty() ? "(absent)" : activations)
                + " activation_alpha=" + (alpha == null ? "(absent)" : Arrays.toString(alpha))
                + " activation_beta=" + (beta == null ? "(absent)" : Arrays.toString(beta))
                + " clip=" + (clip == null ? "(absent)" : clip) + " input_forget=" + inputForget
                + " layout=" + layout;
    }
}
