package dev.vlstm.format;

/** The three activations of one LSTM direction: f for the gates i, o, f; g for the cell input; h for the cell output. */
public record GateActivations(Activation f, Activation g, Activation h) {
    /** ONNX's and PyTorch's default: Sigmoid, Tanh, Tanh. */
    public static final GateActivations DEFAULT = new GateActivations(Activation.SIGMOID, Activation.TANH, Activation.TANH);

    public boolean isDefault() {
        return equals(DEFAULT);
    }

    @Override
    public String toString() {
        return f + ", " + g + ", " + h;
    }
}
