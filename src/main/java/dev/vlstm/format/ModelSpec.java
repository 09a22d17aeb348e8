package dev.vlstm.format;

import java.util.List;

/**
 * Everything about a model except its weights: the layers, the optional head and the graph's inputs and outputs.
 *
 * @param head null when the model ends with the last LSTM layer
 */
public record ModelSpec(List<LayerSpec> layers, SequenceLayout layout, StateLayout stateLayout, HeadSpec head,
                        List<IoSpec> inputs, List<IoSpec> outputs) {

    public ModelSpec {
        layers = List.copyOf(layers);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** Features per timestep of the sequence input. */
    public int inputSize() {
        return layers.getFirst().inputSize();
    }

    /** Features per timestep of the model output: the head's width, or the last layer's. */
    public int outputSize() {
        return head != null ? head.outputSize() : layers.getLast().outputSize();
    }

    /** A model of stacked default layers with one sequence input and one sequence output (what PyTorch exports most). */
    public ModelSpec(List<LayerSpec> layers, SequenceLayout layout, HeadSpec head, List<IoSpec> inputs, List<IoSpec> outputs) {
        this(layers, layout, StateLayout.LAYER_MAJOR, head, inputs, outputs);
    }

    /** Layers × directions: the first (or, batch-major, second) dimension of the state tensors. */
    public int stateSlots() {
        return layers.stream().mapToInt(l -> l.direction().count).sum();
    }

    public IoSpec input(IoSpec.Role role) {
        for (IoSpec io : inputs) if (io.role() == role) return io;
        return null;
    }

    public IoSpec output(IoSpec.Role role) {
        for (IoSpec io : outputs) if (io.role() == role) return io;
        return null;
    }

    /** Number of learned scalars, as ONNX stores them (W, R, both biases, head). */
    public long parameterCount() {
        long n = 0;
        for (LayerSpec l : layers) {
            long h = l.hiddenSize();
            n += l.direction().count * (4 * h * l.inputSize() + 4 * h * h + 8 * h + (l.peepholes() ? 3 * h : 0));
            // biases are counted even when the ONNX node had none (they are stored as zeros)
        }
        if (head != null) n += (long) head.outputSize() * head.inputSize() + head.outputSize();
        return n;
    }
}
