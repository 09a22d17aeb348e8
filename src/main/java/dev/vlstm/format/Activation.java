package dev.vlstm.format;

/**
 * One of the ONNX LSTM activation functions with its alpha and beta (defaults filled in; 0 where unused).
 * The code is the value stored in the file.
 *
 * <pre>{@code
 * Activation leaky = new Activation(Activation.Kind.LEAKY_RELU, 0.01f, 0);   // prints as LeakyRelu(0.01, 0.0)
 * }</pre>
 *
 * @param kind  the function
 * @param alpha its first parameter (ONNX {@code activation_alpha}), 0 where unused
 * @param beta  its second parameter (ONNX {@code activation_beta}), 0 where unused
 */
public record Activation(Kind kind, float alpha, float beta) {

    /** The ONNX LSTM activation functions (ONNX's operator documentation defines each). */
    public enum Kind {
        /** 1 / (1 + e^-x). */ SIGMOID(0, "Sigmoid"),
        /** tanh(x). */ TANH(1, "Tanh"),
        /** max(0, x). */ RELU(2, "Relu"),
        /** alpha * x + beta. */ AFFINE(3, "Affine"),
        /** x, or alpha * x below 0. */ LEAKY_RELU(4, "LeakyRelu"),
        /** x above alpha, else 0. */ THRESHOLDED_RELU(5, "ThresholdedRelu"),
        /** alpha * tanh(beta * x). */ SCALED_TANH(6, "ScaledTanh"),
        /** max(0, min(1, alpha * x + beta)). */ HARD_SIGMOID(7, "HardSigmoid"),
        /** x, or alpha * (e^x - 1) below 0. */ ELU(8, "Elu"),
        /** x / (1 + |x|). */ SOFTSIGN(9, "Softsign"),
        /** log(1 + e^x). */ SOFTPLUS(10, "Softplus");

        /** The value stored in the file. */
        public final int code;
        /** The name in ONNX's {@code activations} attribute. */
        public final String onnxName;

        Kind(int code, String onnxName) {
            this.code = code;
            this.onnxName = onnxName;
        }

        static Kind ofCode(long code) {
            for (Kind k : values()) if (k.code == code) return k;
            return null;
        }
    }

    /** The default gate activation. */
    public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0, 0);
    /** The default cell input and output activation. */
    public static final Activation TANH = new Activation(Kind.TANH, 0, 0);

    @Override
    public String toString() {
        return alpha == 0 && beta == 0 ? kind.onnxName : kind.onnxName + "(" + alpha + ", " + beta + ")";
    }
}
