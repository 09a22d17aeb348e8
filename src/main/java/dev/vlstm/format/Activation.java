package dev.vlstm.format;

/**
 * One of the ONNX LSTM activation functions with its alpha and beta (defaults filled in; 0 where unused).
 * The code is the value stored in the file.
 */
public record Activation(Kind kind, float alpha, float beta) {

    public enum Kind {
        SIGMOID(0, "Sigmoid"), TANH(1, "Tanh"), RELU(2, "Relu"), AFFINE(3, "Affine"), LEAKY_RELU(4, "LeakyRelu"),
        THRESHOLDED_RELU(5, "ThresholdedRelu"), SCALED_TANH(6, "ScaledTanh"), HARD_SIGMOID(7, "HardSigmoid"),
        ELU(8, "Elu"), SOFTSIGN(9, "Softsign"), SOFTPLUS(10, "Softplus");

        public final int code;
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

    public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0, 0);
    public static final Activation TANH = new Activation(Kind.TANH, 0, 0);

    @Override
    public String toString() {
        return alpha == 0 && beta == 0 ? kind.onnxName : kind.onnxName + "(" + alpha + ", " + beta + ")";
    }
}
