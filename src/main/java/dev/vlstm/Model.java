package dev.vlstm;

import dev.vlstm.format.IoSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.VlstmFile;
import dev.vlstm.format.VlstmFormatException;
import dev.vlstm.kernel.GateLines;
import dev.vlstm.kernel.ReducedMatrix;
import dev.vlstm.kernel.Kernels;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * A loaded .vlstm model: the file is read ({@link #load(Path)}) or memory-mapped ({@link #map(Path)}), fully validated
 * (sizes, offsets, checksums), and its packed weights are copied once into float arrays on the Java heap, which the
 * kernels read (inside the sessions, C2 compiled the segment loads with bounds checks and stack spills; with arrays
 * and the 6-row kernel, W4 runs 1.3-1.4x faster; see BENCHMARKS.md). The file is released as soon as the weights are copied. A model is
 * immutable and may be shared by any number of threads; each thread runs it through its own {@link Session}.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("lstm.vlstm"))) {
 *     Session session = model.newSession();
 *     float[] y = session.run(x, seq, batch);     // x: [seq, batch, inputSize], y: [seq, batch, outputSize]
 * }
 * }</pre>
 *
 * Closing the model makes its sessions throw {@link IllegalStateException} on their next call (a call already running
 * finishes normally: the weights are heap arrays, nothing is unmapped under it); the weights are freed by the garbage
 * collector once the model and its sessions are unreachable.
 */
public final class Model implements AutoCloseable {
    private final VlstmFile file;
    private volatile boolean open = true;
    final LayerWeights[] layers;
    /** The head's plan, or null when the model ends with its last layer. */
    final Head head;
    /** The model's constant sequence lengths (format role 5), or null: every run uses them. */
    final int[] constantLengths;
    /** A token-ids model's embedding table (format 2.2), or null for a model of float features. */
    final Embedding embedding;

    /** The {@code sequence_lens} tensor as ints; each value must be a whole number 0 .. 2^24 (format-spec.md). */
    private static int[] constantLengths(ModelSpec spec, VlstmFile file) {
        if (spec.input(IoSpec.Role.CONSTANT_SEQUENCE_LENS) == null) return null;
        float[] v = file.tensorFloats("sequence_lens");
        int[] lengths = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0 && v[i] <= 1 << 24 && v[i] == Math.rint(v[i])))
                throw new dev.vlstm.format.VlstmFormatException(file.source() + ": tensor 'sequence_lens': value " + v[i]
                        + " at row " + i + ", expected a whole number 0.." + (1 << 24));
            lengths[i] = (int) v[i];
        }
        return lengths;
    }

    /** One layer: its spec and the packed tensors of each direction (forward half first). */
    record LayerWeights(LayerSpec spec, DirectionWeights[] directions, boolean defaultCell, boolean reverse) {
        int hiddenSize() {
            return spec.hiddenSize();
        }

        int inputSize() {
            return spec.inputSize();
        }
    }

    /**
     * Packed tensors of one direction, as float arrays: W and R in the kernels' order ({@link GateLines}; null when
     * held reduced, {@code reducedW}, {@code reducedR}), the bias
     * [panels][4][16], peepholes [panels][3][16] or null. What a first step from a zero state may skip
     * ({@code LstmKernels.lstmStep} with a null h) is decided from two facts found here once:
     * {@code finiteR}, R holds no Inf or NaN, so a zero h contributes exactly nothing to the gates; and
     * {@code forgetInputLimit}, an input whose every |x| is at most this gives no NaN forget pre-activation x·W_f + b,
     * so f × 0 adds exactly nothing to the cell.
     */
    record DirectionWeights(float[] w, float[] r, float[] bias, float[] peepholes, boolean finiteR,
                            float forgetInputLimit, float[] lookup, ReducedMatrix reducedR, ReducedMatrix reducedW) {
        DirectionWeights(float[] w, float[] r, float[] bias, float[] peepholes) {
            this(w, r, bias, peepholes, allFinite(r), forgetInputLimit(w, bias), null, null, null);
        }

        DirectionWeights(float[] w, float[] r, float[] bias, float[] peepholes, boolean finiteR, float forgetInputLimit,
                         float[] lookup) {
            this(w, r, bias, peepholes, finiteR, forgetInputLimit, lookup, null, null);
        }

        /**
         * This direction with W and R in its file's reduced form only ({@code w} and {@code r} null): steps, the
         * general path and the input projections read {@code reduced} and {@code reducedW} ({@code LstmKernels}'
         * lstmStep, project and accumulateRow with a ReducedMatrix), so each matrix is held once, in half or a quarter
         * of fp32's bytes. {@code finiteR} and {@code forgetInputLimit} were decided from the decoded weights; a
         * direction that reads a folded embedding's lookup table keeps no W at all.
         */
        DirectionWeights withReduced(ReducedMatrix reduced, ReducedMatrix reducedW) {
            return new DirectionWeights(null, null, bias, peepholes, finiteR, forgetInputLimit, lookup, reduced,
                    lookup == null ? reducedW : null);
        }

        /**
         * Layer 0's direction of a token-ids model with its embedding folded in: {@code lookup} holds each id's gate
         * pre-activations (table row · Wᵀ + b, {@code [vocabulary][bias.length]}), and the layer's input is the ids.
         * A first step from zero may skip the forget gate exactly when no pre-activation is Inf or NaN.
         */
        DirectionWeights withLookup(float[] lookup) {
            return new DirectionWeights(w, r, bias, peepholes, finiteR, allFinite(lookup) ? Float.MAX_VALUE : -1f, lookup,
                    reducedR, null);
        }

        private static boolean allFinite(float[] a) {
            for (float v : a) if (!Float.isFinite(v)) return false;
            return true;
        }

        /**
         * The largest |x| for which no partial sum of x·W_f + b_f can exceed Float.MAX_VALUE / 2, so none overflows
         * and none is Inf − Inf or 0 × Inf: max over f's columns of sum_k |W_f[k]|, with the largest |b_f| taken off
         * the room. -1 (no input qualifies) when W_f or b_f holds an Inf or NaN. W in gate-line order, bias
         * [panels][4][PANEL], so k is w.length / bias.length.
         */
        static float forgetInputLimit(float[] w, float[] bias) {
            int lines = bias.length / PANEL, k = w.length / bias.length;
            double columnMax = 0, biasMax = 0;
            double[] sums = new double[PANEL];
            for (int line = 2; line < lines; line += 4) {            // gate f of each panel: i, o, f, c~
                Arrays.fill(sums, 0);
                for (int kk = 0; kk < k; kk++) {
                    for (int j = 0; j < PANEL; j++) sums[j] += Math.abs(w[(line * k + kk) * PANEL + j]);
                }
                for (int j = 0; j < PANEL; j++) {
                    columnMax = Math.max(columnMax, sums[j]);          // NaN stays NaN through Math.max
                    biasMax = Math.max(biasMax, Math.abs(bias[line * PANEL + j]));
                }
            }
            double room = Float.MAX_VALUE / 2.0 - biasMax;
            if (!(columnMax < Double.POSITIVE_INFINITY) || !(room > 0)) return -1f;
            return columnMax == 0 ? Float.MAX_VALUE : (float) Math.min(Float.MAX_VALUE, room / columnMax);
        }
    }

    private final byte[] fingerprint;

    final Limits limits;

    private Model(VlstmFile file, Limits limits) {
        this.file = file;
        this.limits = limits;
        this.fingerprint = file.fingerprint();
        ModelSpec spec = file.spec();
        layers = new LayerWeights[spec.layers().size()];
        for (int l = 0; l < layers.length; l++) {
            LayerSpec s = spec.layers().get(l);
            DirectionWeights[] dirs = new DirectionWeights[s.direction().count];
            for (int d = 0; d < dirs.length; d++) {
                String prefix = "l" + l + ".d" + d + ".";
                float[] r = GateLines.fromFileOrder(file.tensorFloats(prefix + "r"), s.hiddenSize());
                float[] w = GateLines.fromFileOrder(file.tensorFloats(prefix + "w"), s.inputSize());
                dirs[d] = new DirectionWeights(w, r, file.tensorFloats(prefix + "b"),
                        s.peepholes() ? file.tensorFloats(prefix + "p") : null);
            }
            layers[l] = new LayerWeights(s, dirs, s.hasDefaultCell(), s.direction() == dev.vlstm.format.Direction.REVERSE);
        }
        head = Head.of(spec, file);
        constantLengths = constantLengths(spec, file);
        embedding = Embedding.of(spec, file, limits);
        if (embedding != null && embedding.folded) {
            DirectionWeights[] first = layers[0].directions();
            for (int d = 0; d < first.length; d++) first[d] = first[d].withLookup(embedding.fold(first[d], Kernels.get()));
        }
        // After the fold, which reads the fp32 W: a reduced model keeps W and R in their reduced form only, but for an
        // int8 model small enough to run faster decoded (Limits.maxDecodedInt8Bytes).
        boolean reduce = switch (spec.weights()) {
            case FP32 -> false;
            case BF16 -> true;
            case INT8 -> matrixFloats(layers) * Float.BYTES > limits.maxDecodedInt8Bytes();
        };
        for (int l = 0; reduce && l < layers.length; l++) {
            LayerSpec s = spec.layers().get(l);
            DirectionWeights[] dirs = layers[l].directions();
            for (int d = 0; d < dirs.length; d++) {
                String prefix = "l" + l + ".d" + d + ".";
                dirs[d] = spec.weights() == dev.vlstm.format.WeightType.BF16
                        ? dirs[d].withReduced(ReducedMatrix.bf16(dirs[d].r(), s.hiddenSize()), ReducedMatrix.bf16(dirs[d].w(), s.inputSize()))
                        : dirs[d].withReduced(int8(file, prefix + "r", s.hiddenSize()), int8(file, prefix + "w", s.inputSize()));
            }
        }
    }

    /**
     * Floats of every layer's W and R in fp32 (a folded embedding's W not counted): what a step streams at batch 1,
     * all layers' matrices, so the working set {@link Limits#maxDecodedInt8Bytes()} weighs.
     */
    private static long matrixFloats(LayerWeights[] layers) {
        long n = 0;
        for (LayerWeights l : layers)
            for (DirectionWeights d : l.directions()) n += (d.lookup() == null ? d.w().length : 0) + (long) d.r().length;
        return n;
    }

    /** Tensor {@code name} of an int8 file with its scales, as the kernels read it (k its input width). */
    private static ReducedMatrix int8(VlstmFile file, String name, int k) {
        return ReducedMatrix.int8(file.tensor(name).toArray(ValueLayout.JAVA_BYTE), file.tensorFloats(name + ".scale"), k);
    }

    /**
     * Maps and validates a .vlstm file.
     *
     * @param file a .vlstm file
     * @return the model, open
     * @throws VlstmFormatException naming the file and field when the file is not a valid model
     * @throws IOException          when it cannot be read
     */
    public static Model load(Path file) throws IOException {
        return load(file, Limits.defaults());
    }

    /**
     * {@link #load(Path)} with the caller's caps on file size, layers, hidden size and sequence length.
     *
     * @param file   a .vlstm file
     * @param limits the caps to check the file against
     * @return the model, open
     * @throws IOException when the file cannot be read
     */
    public static Model load(Path file, Limits limits) throws IOException {
        long size = java.nio.file.Files.size(file);
        if (size > limits.maxFileBytes())
            throw new IllegalArgumentException(file + ": " + Limits.exceeded("file of", size, "maxFileBytes", limits.maxFileBytes()) + " (bytes)");
        return open(VlstmFile.read(file), limits);
    }

    /**
     * Like {@link #load(Path)}, but memory-maps the file instead of reading it into a buffer first, so opening a large
     * model needs no second copy of it outside the heap. The weights are copied to the heap during the call and the
     * file is unmapped before it returns; it must not be truncated while this call runs (a vanished page raises
     * SIGBUS, which the JVM turns into an error in most code but cannot guarantee to in vectorized loops).
     *
     * @param file a .vlstm file
     * @return the model, open
     * @throws IOException when the file cannot be read
     */
    public static Model map(Path file) throws IOException {
        return open(VlstmFile.map(file), Limits.defaults());
    }

    private static Model open(VlstmFile f, Limits limits) {
        try {
            limits.check(f.spec(), f.source());
            checkHeap(f);
            return new Model(f, limits);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException(f.source() + ": the Java heap ran out while copying the weights ("
                    + mebibytes(weightBytes(f)) + " MiB); raise the heap limit (-Xmx)", e);
        } finally {
            f.close();      // the weights are on the heap now, or the open failed
        }
    }

    /**
     * Refuses, before copying, a model whose weights cannot fit in the heap the JVM has left: all of them, plus the
     * largest once more (a gate matrix is read, then copied into the kernels' order).
     */
    private static void checkHeap(VlstmFile f) {
        Runtime rt = Runtime.getRuntime();
        long largest = 0;
        for (VlstmFile.TensorEntry e : f.entries().values()) largest = Math.max(largest, heapBytes(e));
        String shortfall = heapShortfall(f.source(), weightBytes(f) + largest,
                rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()), rt.maxMemory());
        if (shortfall != null) throw new IllegalStateException(shortfall);
    }

    /** The error for weights of {@code need} bytes when {@code free} of the {@code max} heap bytes are free, or null. */
    static String heapShortfall(String source, long need, long free, long max) {
        if (need <= free) return null;
        return source + ": the weights need " + mebibytes(need) + " MiB of Java heap, but only " + mebibytes(free)
                + " MiB of the " + mebibytes(max) + " MiB maximum is free; raise the heap limit (-Xmx)";
    }

    private static long weightBytes(VlstmFile f) {
        long bytes = 0;
        for (VlstmFile.TensorEntry e : f.entries().values()) bytes += heapBytes(e);
        return bytes;
    }

    /** A tensor's bytes once decoded into a float array: bf16 and int8 matrices are widened to fp32 when they load. */
    private static long heapBytes(VlstmFile.TensorEntry e) {
        return e.length() / dev.vlstm.format.WeightType.ofCode(e.dtype()).bytes * 4;
    }

    private static long mebibytes(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    /**
     * Loads a model held in memory (for models shipped inside a jar, and for tests).
     *
     * @param bytes      the file's contents
     * @param sourceName what error messages call it, e.g. a resource name
     * @return the model, open
     */
    public static Model load(byte[] bytes, String sourceName) {
        return load(bytes, sourceName, Limits.defaults());
    }

    /**
     * {@link #load(byte[], String)} with the caller's caps.
     *
     * @param bytes      the file's contents
     * @param sourceName what error messages call it
     * @param limits     the caps to check the contents against
     * @return the model, open
     */
    public static Model load(byte[] bytes, String sourceName, Limits limits) {
        return open(VlstmFile.parse(bytes, sourceName), limits);
    }

    /**
     * Layers, head, and input/output names and shapes as in the source ONNX graph.
     *
     * @return the model's description
     */
    public ModelSpec spec() {
        return file.spec();
    }

    /**
     * Producer, source file and its SHA-256, opset, conversion time (format-spec.md, "Metadata section").
     *
     * @return the metadata, unmodifiable, in file order
     */
    public Map<String, String> metadata() {
        return file.metadata();
    }

    /**
     * Features per timestep the model reads: for a token-ids model, the embedding's width (each id is one row).
     *
     * @return the width of one timestep's input
     */
    public int inputSize() {
        return file.spec().inputSize();
    }

    /**
     * Whether the model reads token ids ({@code nn.Embedding}): run it with {@link RunArgs#tokens}.
     *
     * @return true for a token-ids model
     */
    public boolean takesTokenIds() {
        return embedding != null;
    }

    /**
     * A token-ids model's vocabulary size (ids 0 .. size − 1); 0 for a model of float features.
     *
     * @return the number of distinct ids, or 0
     */
    public int vocabularySize() {
        return embedding == null ? 0 : embedding.vocabulary;
    }

    /**
     * Features per timestep the model writes.
     *
     * @return the width of one row of the main output
     */
    public int outputSize() {
        return file.spec().outputSize();
    }

    /**
     * The ONNX graph's sequence input name, e.g. {@code images}.
     *
     * @return the input's name in the ONNX graph
     */
    public String inputName() {
        IoSpec x = file.spec().input(IoSpec.Role.SEQUENCE_INPUT);
        return (x != null ? x : file.spec().input(IoSpec.Role.TOKEN_IDS)).name();
    }

    /**
     * The ONNX graph's name for the model's main output: the sequence (or last-step) output, e.g. {@code prob}; for a
     * model that returns only states, the final h.
     *
     * @return the main output's name in the ONNX graph
     */
    public String outputName() {
        return mainOutput().name();
    }

    IoSpec mainOutput() {
        ModelSpec s = file.spec();
        IoSpec o = s.output(IoSpec.Role.SEQUENCE_OUTPUT);
        if (o == null) o = s.output(IoSpec.Role.LAST_STEP_OUTPUT);
        if (o == null) o = s.output(IoSpec.Role.LAYER_Y);
        if (o == null) o = s.output(IoSpec.Role.FINAL_STATE_OUTPUT);
        if (o == null) o = s.output(IoSpec.Role.POOLED_OUTPUT);
        return o != null ? o : s.outputs().getFirst();
    }

    /**
     * Where the model was loaded from.
     *
     * @return the path, or the name given to {@link #load(byte[], String)}
     */
    public String source() {
        return file.source();
    }

    /**
     * A new session with buffers that grow to the largest sequence and batch it has run. One per thread.
     *
     * @return a single-threaded session
     */
    public Session newSession() {
        return new Session(this, 1, 1, 1, Kernels.get());
    }

    /**
     * A new session with buffers sized up front, so no call up to these sizes allocates. One per thread.
     *
     * @param maxSeq   the longest sequence to size the buffers for
     * @param maxBatch the largest batch to size the buffers for
     * @return a single-threaded session
     */
    public Session newSession(int maxSeq, int maxBatch) {
        return new Session(this, maxSeq, maxBatch, 1, Kernels.get());
    }

    /**
     * A session that runs each call on {@code threads} threads: the calling thread and {@code threads - 1} workers,
     * started by the first call and stopped by {@link Session#close()} (close it: the workers spin briefly and then
     * park, but they are threads). At batch 1 a layer's gate columns are split across the threads, so each core
     * streams its own part of the weights, meeting once per timestep; with at least as many batch rows as threads the
     * batch is split. Layers narrower than {@code 16 * threads} units, and layers that take the general path
     * (sequence lengths, clip, peepholes, other activations), split only their input projection. Still one session
     * per calling thread.
     *
     * @param maxSeq   the longest sequence to size the buffers for
     * @param maxBatch the largest batch to size the buffers for
     * @param threads  threads per call, the caller's included
     * @return a session; close it to stop its workers
     * @throws IllegalArgumentException unless {@code 1 <= threads <= }{@link Session#MAX_THREADS}
     */
    public Session newSession(int maxSeq, int maxBatch, int threads) {
        return new Session(this, maxSeq, maxBatch, threads, Kernels.get());
    }

    /**
     * A zero state for one stream, to advance one timestep at a time with {@link Session#step}. Only models whose
     * layers all run forward can stream: a reverse or bidirectional layer needs the whole sequence.
     *
     * @return a zero state of this model
     * @throws UnsupportedOperationException for a model with reverse or bidirectional layers
     */
    public LstmState newState() {
        checkOpen();
        for (int l = 0; l < layers.length; l++)
            if (layers[l].spec().direction() != dev.vlstm.format.Direction.FORWARD)
                throw new UnsupportedOperationException(file.source() + ": layer " + l + " is "
                        + layers[l].spec().direction().onnxName + "; it needs the whole sequence, so this model cannot "
                        + "stream one step at a time (use Session.run)");
        if (constantLengths != null)
            throw new UnsupportedOperationException(file.source() + ": the model's sequence lengths are constants of the"
                    + " graph, which one step at a time cannot apply; use Session.run");
        if (file.spec().pools())
            throw new UnsupportedOperationException(file.source() + ": the head starts with "
                    + file.spec().head().getFirst().kind().onnxName + ", which needs the whole sequence, so this model"
                    + " cannot stream one step at a time (use Session.run)");
        return new LstmState(this);
    }

    /**
     * A state from {@link LstmState#toBytes()}; refuses a snapshot of another model or a damaged one.
     *
     * @param snapshot bytes from {@link LstmState#toBytes()} of this model
     * @return the state the snapshot holds
     */
    public LstmState restoreState(byte[] snapshot) {
        LstmState s = newState();       // refuses a closed model, or one that cannot stream, as newState does
        s.restore(snapshot);
        return s;
    }

    byte[] fingerprint() {
        return fingerprint;
    }

    /**
     * Whether the model may still run.
     *
     * @return false once {@link #close()} has been called
     */
    public boolean isOpen() {
        return open;
    }

    void checkOpen() {
        if (!open) throw new IllegalStateException(file.source() + ": the model is closed");
    }

    /**
     * Closes the model: its sessions throw {@link IllegalStateException} on their next call, and so do
     * {@link #newState()} and {@link #newSession()}. Idempotent.
     */
    @Override
    public void close() {
        open = false;
    }
}
