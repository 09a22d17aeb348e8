package dev.vlstm.format;

import java.util.List;

/**
 * One LSTM layer: sizes, direction and the ONNX options that change its math.
 *
 * <pre>{@code
 * LayerSpec l = LayerSpec.standard(100, 16, Direction.BIDIRECTIONAL);   // nn.LSTM(100, 16, bidirectional=True)
 * int width = l.outputSize();                                            // 32
 * }</pre>
 *
 * @param inputSize   features per timestep the layer reads
 * @param hiddenSize  units per direction
 * @param direction   forward, reverse or both
 * @param clip        cell clip threshold applied to every gate pre-activation, {@code Float.POSITIVE_INFINITY} for none
 * @param inputForget ONNX {@code input_forget}: the forget gate is coupled to the input gate, f = 1 - i
 * @param peepholes   whether the layer has peephole weights P (i, o, f)
 * @param activations one entry per direction (the forward half first)
 */
public record LayerSpec(int inputSize, int hiddenSize, Direction direction, float clip, boolean inputForget,
                        boolean peepholes, List<GateActivations> activations) {

    /** Keeps an unmodifiable copy of the activations and checks there is one set per direction. */
    public LayerSpec {
        activations = List.copyOf(activations);
        if (activations.size() != direction.count)
            throw new IllegalArgumentException(direction + " layer needs " + direction.count + " activation sets, got "
                    + activations.size());
    }

    /**
     * A layer with ONNX's defaults: forward, no clip, sigmoid/tanh/tanh.
     *
     * @param inputSize  features per timestep
     * @param hiddenSize units
     * @return the layer
     */
    public static LayerSpec standard(int inputSize, int hiddenSize) {
        return new LayerSpec(inputSize, hiddenSize, Direction.FORWARD, Float.POSITIVE_INFINITY, false, false,
                List.of(GateActivations.DEFAULT));
    }

    /**
     * A layer with default activations in every direction and no options.
     *
     * @param inputSize  features per timestep
     * @param hiddenSize units per direction
     * @param direction  the direction
     * @return the layer
     */
    public static LayerSpec standard(int inputSize, int hiddenSize, Direction direction) {
        return new LayerSpec(inputSize, hiddenSize, direction, Float.POSITIVE_INFINITY, false, false,
                java.util.Collections.nCopies(direction.count, GateActivations.DEFAULT));
    }

    /**
     * Width of this layer's output at each step: hidden size times the number of directions.
     *
     * @return hidden size × directions
     */
    public int outputSize() {
        return hiddenSize * direction.count;
    }

    /**
     * True when the cell math is the default one (sigmoid/tanh/tanh, no clip, peepholes or coupling) in every direction.
     *
     * @return true for the plain LSTM cell
     */
    public boolean hasDefaultCell() {
        return clip == Float.POSITIVE_INFINITY && !inputForget && !peepholes
                && activations.stream().allMatch(GateActivations::isDefault);
    }
}
