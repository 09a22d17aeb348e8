package dev.vlstm;

import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.VlstmFile;
import dev.vlstm.format.VlstmFormatException;
import dev.vlstm.kernel.Kernels;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

/**
 * A loaded .vlstm model: the file is memory-mapped, fully validated (sizes, offsets, checksums) and its weights are used
 * in place. A model is immutable and may be shared by any number of threads; each thread runs it through its own
 * {@link Session}.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("lstm.vlstm"))) {
 *     Session session = model.newSession();
 *     float[] y = session.run(x, seq, batch);     // x: [seq, batch, inputSize], y: [seq, batch, outputSize]
 * }
 * }</pre>
 *
 * Closing the model unmaps the file; sessions of a closed model throw {@link IllegalStateException}.
 */
public final class Model implements AutoCloseable {
    private final VlstmFile file;
    final LayerWeights[] layers;
    final MemorySegment headWeight;
    final MemorySegment headBias;

    /** The packed tensors of one layer (one direction). */
    record LayerWeights(int inputSize, int hiddenSize, MemorySegment w, MemorySegment r, MemorySegment bias) {
    }

    private Model(VlstmFile file) {
        this.file = file;
        ModelSpec spec = file.spec();
        if (spec.layout() != SequenceLayout.SEQ_BATCH)
            throw unsupported("sequence layout " + spec.layout());
        if (spec.inputs().size() != 1 || spec.outputs().size() != 1
                || spec.outputs().getFirst().role() != dev.vlstm.format.IoSpec.Role.SEQUENCE_OUTPUT)
            throw unsupported("inputs " + spec.inputs() + " and outputs " + spec.outputs());
        layers = new LayerWeights[spec.layers().size()];
        for (int l = 0; l < layers.length; l++) {
            LayerSpec s = spec.layers().get(l);
            if (!s.hasDefaultCell() || s.direction() != dev.vlstm.format.Direction.FORWARD)
                throw unsupported("layer " + l + " (" + s.direction() + ", clip " + s.clip() + ", activations "
                        + s.activations() + ", input_forget " + s.inputForget() + ", peepholes " + s.peepholes() + ")");
            layers[l] = new LayerWeights(s.inputSize(), s.hiddenSize(), file.tensor("l" + l + ".d0.w"),
                    file.tensor("l" + l + ".d0.r"), file.tensor("l" + l + ".d0.b"));
        }
        headWeight = spec.head() == null ? null : file.tensor("head.w");
        headBias = spec.head() == null ? null : file.tensor("head.b");
    }

    private VlstmFormatException unsupported(String what) {
        return new VlstmFormatException(file.source() + ": " + what + " is not supported by this vlstm runtime (0.1 runs "
                + "forward layers with the default activations, no clip, [seq, batch, features] input)");
    }

    /**
     * Maps and validates a .vlstm file.
     *
     * @throws VlstmFormatException naming the file and field when the file is not a valid model
     * @throws IOException          when it cannot be read
     */
    public static Model load(Path file) throws IOException {
        VlstmFile f = VlstmFile.map(file);
        try {
            return new Model(f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Loads a model held in memory (for models shipped inside a jar, and for tests). */
    public static Model load(byte[] bytes, String sourceName) {
        VlstmFile f = VlstmFile.parse(bytes, sourceName);
        try {
            return new Model(f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Layers, head, and input/output names and shapes as in the source ONNX graph. */
    public ModelSpec spec() {
        return file.spec();
    }

    /** Producer, source file and its SHA-256, opset, conversion time (format-spec.md, "Metadata section"). */
    public Map<String, String> metadata() {
        return file.metadata();
    }

    /** Features per timestep the model reads. */
    public int inputSize() {
        return file.spec().inputSize();
    }

    /** Features per timestep the model writes. */
    public int outputSize() {
        return file.spec().outputSize();
    }

    /** The ONNX graph's input name, e.g. {@code images}. */
    public String inputName() {
        return file.spec().inputs().getFirst().name();
    }

    /** The ONNX graph's output name, e.g. {@code prob}. */
    public String outputName() {
        return file.spec().outputs().getFirst().name();
    }

    /** Where the model was loaded from. */
    public String source() {
        return file.source();
    }

    /** A new session with buffers that grow to the largest sequence and batch it has run. One per thread. */
    public Session newSession() {
        return new Session(this, 1, 1, Kernels.get());
    }

    /** A new session with buffers sized up front, so no call up to these sizes allocates. One per thread. */
    public Session newSession(int maxSeq, int maxBatch) {
        return new Session(this, maxSeq, maxBatch, Kernels.get());
    }

    public boolean isOpen() {
        return file.isOpen();
    }

    void checkOpen() {
        if (!file.isOpen()) throw new IllegalStateException(file.source() + ": the model is closed");
    }

    /** Unmaps the file. Idempotent. Sessions of this model throw {@link IllegalStateException} afterwards. */
    @Override
    public void close() {
        file.close();
    }
}
