package dev.vlstm.format;

/**
 * One LSTM layer: sizes, direction and the ONNX options that change its math.
 *
 * @param clip cell clip threshold, {@code Float.POSITIVE_INFINITY} for none
 * @param f    gate activation (ONNX default Sigmoid)
 * @param g    cell input activation (default Tanh)
 * @param h    cell output activation (default Tanh)
 */
public record LayerSpec(int inputSize, int hiddenSize, Direction direction, float clip, boolean inputForget,
                        boolean peepholes, Activation f, Activation g, Activation h) {

    /** A layer with ONNX's defaults: forward, no clip, sigmoid/tanh/tanh. */
    public static LayerSpec standard(int inputSize, int hiddenSize) {
        return new LayerSpec(inputSize, hiddenSize, Direction.FORWARD, Float.POSITIVE_INFINITY, false, false,
                Activation.SIGMOID, Activation.TANH, Activation.TANH);
    }

    /** Width of this layer's output at each step: hidden size times the number of directions. */
    public int outputSize() {
        return hiddenSize * direction.count;
    }

    /** True when the layer uses only what ONNX and PyTorch use by default (what runtime 0.1 executes). */
    public boolean isStandard() {
        return direction == Direction.FORWARD && clip == Float.POSITIVE_INFINITY && !inputForget && !peepholes
                && f.equals(Activation.SIGMOID) && g.equals(Activation.TANH) && h.equals(Activation.TANH);
    }
}
