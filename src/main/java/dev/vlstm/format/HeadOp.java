package dev.vlstm.format;

/**
 * One operation of a model's head, applied to each row of the last layer's output (every timestep, or the last one)
 * in order: a dense layer, an elementwise activation, a softmax or a layer normalisation over the row's features.
 * Formulas: format-spec.md, "Head operations". The code is the value stored in the file.
 *
 * <pre>{@code
 * List<HeadOp> mlp = List.of(HeadOp.dense(48, 64), HeadOp.of(HeadOp.Kind.RELU, 64), HeadOp.dense(64, 3),
 *         HeadOp.of(HeadOp.Kind.SOFTMAX, 3));
 * }</pre>
 *
 * @param kind       the operation
 * @param inputSize  the width of the rows it reads
 * @param outputSize the width of the rows it writes (only a dense layer changes it)
 * @param alpha      LeakyRelu's and Elu's alpha, LayerNormalization's epsilon; 0 for the others
 */
public record HeadOp(Kind kind, int inputSize, int outputSize, float alpha) {

    /** The operations a head may chain (format-spec.md, "Head operations", gives each formula). */
    public enum Kind {
        /** x·Aᵀ + b. */ DENSE(1, "Dense"),
        /** max(0, x). */ RELU(2, "Relu"),
        /** x, or alpha * x below 0. */ LEAKY_RELU(3, "LeakyRelu"),
        /** tanh(x). */ TANH(4, "Tanh"),
        /** 1 / (1 + e^-x). */ SIGMOID(5, "Sigmoid"),
        /** x, or alpha * (e^x - 1) below 0. */ ELU(6, "Elu"),
        /** log(1 + e^x). */ SOFTPLUS(7, "Softplus"),
        /** x * Φ(x), with erf. */ GELU(8, "Gelu"),
        /** GELU's tanh approximation. */ GELU_TANH(9, "Gelu(tanh)"),
        /** Softmax over the row. */ SOFTMAX(10, "Softmax"),
        /** Log of the softmax over the row. */ LOG_SOFTMAX(11, "LogSoftmax"),
        /** (x - mean) / sqrt(variance + epsilon) * scale + bias over the row. */ LAYER_NORM(12, "LayerNormalization"),
        /** The mean over the timesteps of each sequence; only as a head's first operation, with a pooled output. */
        MEAN_OVER_TIME(13, "ReduceMean over time"),
        /** The maximum over the timesteps of each sequence, likewise. */
        MAX_OVER_TIME(14, "ReduceMax over time");

        /** The value stored in the file. */
        public final int code;
        /** The ONNX operator it comes from. */
        public final String onnxName;

        Kind(int code, String onnxName) {
            this.code = code;
            this.onnxName = onnxName;
        }

        /**
         * Whether the operation has an alpha (LeakyRelu, Elu) or epsilon (LayerNormalization).
         *
         * @return true for LeakyRelu, Elu and LayerNormalization
         */
        public boolean hasAlpha() {
            return this == LEAKY_RELU || this == ELU || this == LAYER_NORM;
        }

        /**
         * Whether the operation has weights: a dense layer's matrix and bias, a layer norm's scale and bias.
         *
         * @return true for Dense and LayerNormalization
         */
        public boolean hasWeights() {
            return this == DENSE || this == LAYER_NORM;
        }

        /**
         * Whether the operation pools a sequence's timesteps into one row (it is then the head's first).
         *
         * @return true for the means and maxima over time
         */
        public boolean pools() {
            return this == MEAN_OVER_TIME || this == MAX_OVER_TIME;
        }

        static Kind ofCode(long code) {
            for (Kind k : values()) if (k.code == code) return k;
            return null;
        }
    }

    /**
     * A dense layer {@code y = x·Aᵀ + b}, A {@code [out, in]}.
     *
     * @param in  input width
     * @param out output width
     * @return the operation
     */
    public static HeadOp dense(int in, int out) {
        return new HeadOp(Kind.DENSE, in, out, 0);
    }

    /**
     * An operation that keeps the width, with no parameter.
     *
     * @param kind the operation
     * @param size the row width
     * @return the operation
     */
    public static HeadOp of(Kind kind, int size) {
        return new HeadOp(kind, size, size, 0);
    }

    /**
     * An operation that keeps the width, with its alpha or epsilon.
     *
     * @param kind  the operation
     * @param size  the row width
     * @param alpha its alpha or epsilon
     * @return the operation
     */
    public static HeadOp of(Kind kind, int size, float alpha) {
        return new HeadOp(kind, size, size, alpha);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case DENSE -> "Dense " + inputSize + " -> " + outputSize;
            case LEAKY_RELU, ELU -> kind.onnxName + "(alpha " + alpha + ")";
            case LAYER_NORM -> kind.onnxName + "(" + outputSize + ", epsilon " + alpha + ")";
            default -> kind.onnxName;
        };
    }
}
