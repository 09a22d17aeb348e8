package dev.vlstm.format;

import java.util.List;

/**
 * Everything about a model except its weights: the layers, the optional head and the graph's inputs and outputs.
 *
 * <pre>{@code
 * ModelSpec spec = model.spec();
 * for (LayerSpec l : spec.layers()) System.out.println(l.inputSize() + " -> " + l.hiddenSize() + " " + l.direction());
 * System.out.println(spec.head() + ", " + spec.parameterCount() + " parameters");
 * }</pre>
 *
 * @param layers      the LSTM layers, bottom first
 * @param layout      the order of the sequence input's first two axes
 * @param stateLayout how state inputs and outputs are laid out
 * @param head       the head's operations in order; empty (or null when built) when the model ends with the last LSTM layer
 * @param vocabulary the embedding table's rows of a model that takes token ids (input role {@link IoSpec.Role#TOKEN_IDS},
 *                   version 2.2); 0 for a model that takes float features
 * @param inputs     the graph's inputs, each with its role
 * @param outputs    the graph's outputs, each with its role
 * @param weights    how the weight matrices are stored (version 2.3; {@link WeightType#FP32} before): what a writer
 *                   writes, and what a reader found in the tensor table
 */
public record ModelSpec(List<LayerSpec> layers, SequenceLayout layout, StateLayout stateLayout, List<HeadOp> head,
                        List<IoSpec> inputs, List<IoSpec> outputs, int vocabulary, WeightType weights) {

    /** Keeps unmodifiable copies of the lists; a null head is no head. */
    public ModelSpec {
        weights = weights == null ? WeightType.FP32 : weights;
        layers = List.copyOf(layers);
        head = head == null ? List.of() : List.copyOf(head);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /**
     * A model with fp32 weights.
     *
     * @param layers      the LSTM layers, bottom first
     * @param layout      the sequence input's axis order
     * @param stateLayout the states' layout
     * @param head        the head's operations, or null for none
     * @param inputs      the graph's inputs
     * @param outputs     the graph's outputs
     * @param vocabulary  the embedding's rows, or 0 for float features
     */
    public ModelSpec(List<LayerSpec> layers, SequenceLayout layout, StateLayout stateLayout, List<HeadOp> head,
                     List<IoSpec> inputs, List<IoSpec> outputs, int vocabulary) {
        this(layers, layout, stateLayout, head, inputs, outputs, vocabulary, WeightType.FP32);
    }

    /**
     * This model with its weight matrices stored as {@code type} ({@code convert --weights}).
     *
     * @param type how the weight matrices are to be stored
     * @return a copy with {@code weights} replaced
     */
    public ModelSpec withWeights(WeightType type) {
        return new ModelSpec(layers, layout, stateLayout, head, inputs, outputs, vocabulary, type);
    }

    /**
     * A model of float features (no embedding).
     *
     * @param layers      the LSTM layers, bottom first
     * @param layout      the sequence input's axis order
     * @param stateLayout the states' layout
     * @param head        the head's operations, or null for none
     * @param inputs      the graph's inputs
     * @param outputs     the graph's outputs
     */
    public ModelSpec(List<LayerSpec> layers, SequenceLayout layout, StateLayout stateLayout, List<HeadOp> head,
                     List<IoSpec> inputs, List<IoSpec> outputs) {
        this(layers, layout, stateLayout, head, inputs, outputs, 0);
    }

    /**
     * Whether the sequence input is token ids looked up in an embedding table (format 2.2) rather than float features.
     *
     * @return true when the vocabulary is not 0
     */
    public boolean takesTokenIds() {
        return vocabulary > 0;
    }

    /**
     * Features per timestep that layer 0 reads: the sequence input's, or the embedding's width.
     *
     * @return layer 0's input size
     */
    public int inputSize() {
        return layers.getFirst().inputSize();
    }

    /**
     * Features per timestep of the model output: the head's width, or the last layer's.
     *
     * @return the width of one output row
     */
    public int outputSize() {
        return hasHead() ? head.getLast().outputSize() : layers.getLast().outputSize();
    }

    /**
     * Whether anything follows the last LSTM layer.
     *
     * @return true when the head has an operation
     */
    public boolean hasHead() {
        return !head.isEmpty();
    }

    /**
     * The minor version a file of this model needs: 3 for weights other than fp32, 2 for token ids (an embedding), 1 for a 2.1 feature (a head of
     * several operations, a final-state or pooled output, constant sequence lengths), else 0, so that older readers
     * keep reading every model that uses none of their successors' features.
     *
     * @return 0, 1 or 2
     */
    public int minorVersion() {
        if (weights != WeightType.FP32) return 3;
        if (takesTokenIds()) return 2;
        return headFitsVersion20() && output(IoSpec.Role.FINAL_STATE_OUTPUT) == null
                && input(IoSpec.Role.CONSTANT_SEQUENCE_LENS) == null ? 0 : 1;
    }

    /**
     * Whether the head's first operation pools over time (the output is then the pooled output, role 22).
     *
     * @return true for a mean or max over time
     */
    public boolean pools() {
        return hasHead() && head.getFirst().kind().pools();
    }

    /**
     * Whether the head is one dense layer or none: what format 2.0 holds (format-spec.md, "Versions").
     *
     * @return true for no head or one dense layer
     */
    public boolean headFitsVersion20() {
        return head.isEmpty() || head.size() == 1 && head.getFirst().kind() == HeadOp.Kind.DENSE;
    }

    /**
     * A model of stacked default layers with one sequence input and one sequence output (what PyTorch exports most).
     *
     * @param layers  the LSTM layers, bottom first
     * @param layout  the sequence input's axis order
     * @param head    the head's operations, or null for none
     * @param inputs  the graph's inputs
     * @param outputs the graph's outputs
     */
    public ModelSpec(List<LayerSpec> layers, SequenceLayout layout, List<HeadOp> head, List<IoSpec> inputs, List<IoSpec> outputs) {
        this(layers, layout, StateLayout.LAYER_MAJOR, head, inputs, outputs);
    }

    /**
     * The name prefix of head operation {@code i}'s tensors: {@code head.} for a head of one dense layer (as in
     * format 2.0), else {@code head<i>.} (format-spec.md, "Tensors").
     *
     * @param i the operation's index in the head
     * @return {@code head.} or {@code head<i>.}
     */
    public String headTensorPrefix(int i) {
        return headFitsVersion20() ? "head." : "head" + i + ".";
    }

    /**
     * Layers × directions: the first (or, batch-major, second) dimension of the state tensors.
     *
     * @return the number of (layer, direction) pairs
     */
    public int stateSlots() {
        return layers.stream().mapToInt(l -> l.direction().count).sum();
    }

    /**
     * The graph input of a role.
     *
     * @param role the role to look for
     * @return the input, or null when the model has none of that role
     */
    public IoSpec input(IoSpec.Role role) {
        for (IoSpec io : inputs) if (io.role() == role) return io;
        return null;
    }

    /**
     * The graph output of a role.
     *
     * @param role the role to look for
     * @return the output, or null when the model has none of that role
     */
    public IoSpec output(IoSpec.Role role) {
        for (IoSpec io : outputs) if (io.role() == role) return io;
        return null;
    }

    /**
     * Number of learned scalars, as ONNX stores them (the embedding, W, R, both biases, the head's matrices, biases and scales).
     *
     * @return the parameter count
     */
    public long parameterCount() {
        long n = (long) vocabulary * inputSize();
        for (LayerSpec l : layers) {
            long h = l.hiddenSize();
            n += l.direction().count * (4 * h * l.inputSize() + 4 * h * h + 8 * h + (l.peepholes() ? 3 * h : 0));
            // biases are counted even when the ONNX node had none (they are stored as zeros)
        }
        for (HeadOp op : head) {
            if (op.kind() == HeadOp.Kind.DENSE) n += (long) op.outputSize() * op.inputSize() + op.outputSize();
            else if (op.kind() == HeadOp.Kind.LAYER_NORM) n += 2L * op.outputSize();
        }
        return n;
    }
}
