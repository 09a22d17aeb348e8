package dev.vlstm.onnx;

import dev.vlstm.format.Activation;
import dev.vlstm.format.GateActivations;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads an LSTM node's {@code activations}, {@code activation_alpha} and {@code activation_beta}. As ONNX Runtime does
 * (rnn_helpers), each list is consumed in order over all activations (forward f, g, h, then reverse f, g, h), one value
 * per activation that takes that parameter. Where the lists run out, the ONNX operators' defaults apply (LeakyRelu
 * α 0.01, HardSigmoid α 0.2 β 0.5, Elu α 1, ThresholdedRelu α 1, Affine α 1 β 0); ScaledTanh has none and must be
 * given both. (ONNX Runtime uses 0 for ThresholdedRelu, Affine and ScaledTanh instead; vlstm follows the spec.)
 */
final class LstmActivations {
    private LstmActivations() {
    }

    static List<GateActivations> parse(List<String> names, float[] alpha, float[] beta, int directions) {
        if (names.isEmpty()) return java.util.Collections.nCopies(directions, GateActivations.DEFAULT);
        if (names.size() != 3 * directions)
            throw new IllegalArgumentException("activations lists " + names.size() + " names, expected " + 3 * directions
                    + " (f, g, h per direction)");
        int ai = 0, bi = 0;
        List<Activation> acts = new ArrayList<>();
        for (String name : names) {
            Activation.Kind kind = kind(name);
            float a = 0, b = 0;
            if (usesAlpha(kind)) {
                if (ai < alpha.length) a = alpha[ai++];
                else if (kind == Activation.Kind.SCALED_TANH) throw new IllegalArgumentException("ScaledTanh needs activation_alpha");
                else a = defaultAlpha(kind);
            }
            if (usesBeta(kind)) {
                if (bi < beta.length) b = beta[bi++];
                else if (kind == Activation.Kind.SCALED_TANH) throw new IllegalArgumentException("ScaledTanh needs activation_beta");
                else b = kind == Activation.Kind.HARD_SIGMOID ? 0.5f : 0f;
            }
            acts.add(new Activation(kind, a, b));
        }
        List<GateActivations> out = new ArrayList<>();
        for (int d = 0; d < directions; d++) out.add(new GateActivations(acts.get(3 * d), acts.get(3 * d + 1), acts.get(3 * d + 2)));
        return out;
    }

    private static Activation.Kind kind(String name) {
        for (Activation.Kind k : Activation.Kind.values())
            if (k.onnxName.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) return k;
        throw new IllegalArgumentException("activation '" + name + "' is not one of the ONNX LSTM activations");
    }

    private static boolean usesAlpha(Activation.Kind k) {
        return switch (k) {
            case AFFINE, LEAKY_RELU, THRESHOLDED_RELU, SCALED_TANH, HARD_SIGMOID, ELU -> true;
            default -> false;
        };
    }

    private static boolean usesBeta(Activation.Kind k) {
        return k == Activation.Kind.AFFINE || k == Activation.Kind.SCALED_TANH || k == Activation.Kind.HARD_SIGMOID;
    }

    private static float defaultAlpha(Activation.Kind k) {
        return switch (k) {
            case LEAKY_RELU -> 0.01f;
            case HARD_SIGMOID -> 0.2f;
            default -> 1f; // Elu, ThresholdedRelu, Affine
        };
    }
}
