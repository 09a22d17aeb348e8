package dev.vlstm.format;

/**
 * The three activations of one LSTM direction: f for the gates i, o, f; g for the cell input; h for the cell output.
 *
 * <pre>{@code
 * GateActivations hard = new GateActivations(new Activation(Activation.Kind.HARD_SIGMOID, 0.2f, 0.5f),
 *         Activation.TANH, Activation.TANH);
 * }</pre>
 *
 * @param f the gates' activation (ONNX's f, default Sigmoid)
 * @param g the cell input's activation (default Tanh)
 * @param h the cell output's activation (default Tanh)
 */
public record GateActivations(Activation f, Activation g, Activation h) {
    /** ONNX's and PyTorch's default: Sigmoid, Tanh, Tanh. */
    public static final GateActivations DEFAULT = new GateActivations(Activation.SIGMOID, Activation.TANH, Activation.TANH);

    /**
     * Whether these are ONNX's and PyTorch's defaults.
     *
     * @return true for Sigmoid, Tanh, Tanh
     */
    public boolean isDefault() {
        return equals(DEFAULT);
    }

    @Override
    public String toString() {
        return f + ", " + g + ", " + h;
    }
}
