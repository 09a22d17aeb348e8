package dev.vlstm.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One of the 11 activation functions an ONNX RNN operator may name, with its alpha and beta resolved, evaluated in
 * float64. Formulas as in the LSTM operator's documentation, except ThresholdedRelu, which follows the
 * ThresholdedRelu operator and ONNX Runtime ({@code x > alpha}, where the LSTM text says {@code x >= alpha}: they
 * differ only at exactly x = alpha).
 *
 * @param name  the canonical ONNX name, e.g. "LeakyRelu"
 * @param alpha the alpha it uses (0 if it takes none)
 * @param beta  the beta it uses (0 if it takes none)
 */
public record LstmActivation(String name, double alpha, double beta) {

    /** The 11 names, spelled as in the ONNX documentation. */
    public static final List<String> NAMES = List.of("Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu",
            "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus");

    public double apply(double x) {
        return switch (name) {
            case "Relu" -> Math.max(0.0, x);
            case "Tanh" -> Math.tanh(x);
            case "Sigmoid" -> 1.0 / (1.0 + Math.exp(-x));
            case "Affine" -> alpha * x + beta;
            case "LeakyRelu" -> x >= 0 ? x : alpha * x;
            case "ThresholdedRelu" -> x > alpha ? x : 0.0;
            case "ScaledTanh" -> alpha * Math.tanh(beta * x);
            case "HardSigmoid" -> Math.min(1.0, Math.max(0.0, alpha * x + beta));
            case "Elu" -> x >= 0 ? x : alpha * (Math.exp(x) - 1.0);
            case "Softsign" -> x / (1.0 + Math.abs(x));
            // log(1 + e^x), written so that e^x cannot overflow
            case "Softplus" -> Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
            default -> throw new IllegalStateException(name);
        };
    }

    /** The canonical spelling of {@code name}, matched case-insensitively as ONNX Runtime does. */
    public static String canonicalName(String name) {
        for (String n : NAMES) if (n.equalsIgnoreCase(name)) return n;
        throw new IllegalArgumentException("unknown LSTM activation '" + name + "'; expected one of " + NAMES);
    }

    public static boolean takesAlpha(String canonicalName) {
        return switch (canonicalName) {
            case "Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu" -> true;
            default -> false;
        };
    }

    public static boolean takesBeta(String canonicalName) {
        return switch (canonicalName) {
            case "Affine", "ScaledTanh", "HardSigmoid" -> true;
            default -> false;
        };
    }

    /**
     * The activations of a node, 3 per direction (f, g, h of the forward direction, then of the reverse one).
     * {@code activation_alpha} is consumed in that order by the activations that take an alpha, one value each,
     * skipping those that take none; {@code activation_beta} likewise, independently. When a list runs out, the
     * remaining activations get their defaults under {@code defaults}; values left over are ignored. This is how
     * ONNX Runtime reads the lists (rnn_helpers.cc, ActivationFuncs and
     * NormalizeActivationArgumentAndGetAlphaBetaCount); the ONNX text only says "consumed in the order of
     * activation functions".
     */
    public static List<LstmActivation> resolve(LstmAttributes attributes, ActivationDefaults defaults) {
        int directions = attributes.directionCount();
        List<String> names = new ArrayList<>();
        if (attributes.activations().isEmpty()) {
            for (int d = 0; d < directions; d++) names.addAll(List.of("Sigmoid", "Tanh", "Tanh"));
        } else {
            for (String n : attributes.activations()) names.add(canonicalName(n));
        }
        if (names.size() != 3 * directions)
            throw new IllegalArgumentException("activations has " + names.size() + " names; a " + directions
                    + "-direction LSTM needs " + 3 * directions);
        float[] alphas = attributes.alpha() == null ? new float[0] : attributes.alpha();
        float[] betas = attributes.beta() == null ? new float[0] : attributes.beta();
        int nextAlpha = 0;
        int nextBeta = 0;
        List<LstmActivation> out = new ArrayList<>();
        for (String n : names) {
            double alpha = 0;
            double beta = 0;
            if (takesAlpha(n)) {
                alpha = nextAlpha < alphas.length ? alphas[nextAlpha++] : defaultAlpha(n, defaults);
            }
            if (takesBeta(n)) {
                beta = nextBeta < betas.length ? betas[nextBeta++] : defaultBeta(n, defaults);
            }
            out.add(new LstmActivation(n, alpha, beta));
        }
        return out;
    }

    /** True if some activation of the node falls back to a default on which the two policies disagree. */
    public static boolean usesDisputedDefault(LstmAttributes attributes) {
        List<LstmActivation> resolved = resolve(attributes, ActivationDefaults.ONNX_RUNTIME);
        int alphas = attributes.alpha() == null ? 0 : attributes.alpha().length;
        int betas = attributes.beta() == null ? 0 : attributes.beta().length;
        int seenAlpha = 0;
        int seenBeta = 0;
        for (LstmActivation a : resolved) {
            boolean disputed = a.name.equals("ThresholdedRelu") || a.name.equals("Affine")
                    || a.name.equals("ScaledTanh");
            if (takesAlpha(a.name) && seenAlpha++ >= alphas && disputed) return true;
            if (takesBeta(a.name) && seenBeta++ >= betas && disputed) return true;
        }
        return false;
    }

    private static double defaultAlpha(String name, ActivationDefaults defaults) {
        switch (name) {
            case "LeakyRelu": return 0.01f; // the float the attribute would hold, as ORT and the operator use
            case "HardSigmoid": return 0.2f;
            case "Elu": return 1.0;
            default: break;
        }
        if (defaults == ActivationDefaults.ONNX_RUNTIME) return 0.0;
        return switch (name) {
            case "ThresholdedRelu", "Affine" -> 1.0;
            default -> throw new IllegalArgumentException("activation_alpha has no value for " + name
                    + " and the ONNX specification gives it no default; pass it explicitly");
        };
    }

    private static double defaultBeta(String name, ActivationDefaults defaults) {
        if (name.equals("HardSigmoid")) return 0.5;
        if (defaults == ActivationDefaults.ONNX_RUNTIME) return 0.0;
        return switch (name) {
            case "Affine" -> 0.0;
            default -> throw new IllegalArgumentException("activation_beta has no value for " + name
                    + " and the ONNX specification gives it no default; pass it explicitly");
        };
    }
}
