package dev.vlstm;

import dev.vlstm.format.IoSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.kernel.LstmKernels;

/**
 * Runs a {@link Model} over whole sequences. A session owns its work buffers and is reusable but not thread-safe: use
 * one per thread. Once its buffers have grown to a shape, running that shape again allocates nothing
 * ({@link #run(float[], int, int, float[])} and {@link #run(RunArgs)} write into the caller's arrays).
 *
 * <p>Per layer and direction, the input projection {@code x·Wᵀ + b} for all timesteps is one matrix product; then each
 * timestep is one fused pass (recurrent product, activations, cell update); the head's operations, if any, follow.
 * The session builds this once as a {@link Plan} of stages and checks each call against the model before it runs.
 *
 * <pre>{@code
 * Session session = model.newSession();                      // one per thread
 * float[] out = new float[(int) session.mainOutputSize(seq, batch)];
 * session.run(x, seq, batch, out);                           // x: [seq, batch, model.inputSize()]
 * }</pre>
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final ModelSpec spec;
    private final LstmKernels kernels;
    private final Plan plan;
    private final RunArgs simple = new RunArgs();
    private final LstmState[] single = new LstmState[1];
    private final int[] stepIds = new int[1];
    // Read once: the spec's lookups iterate lists and streams, and a run must allocate nothing.
    private final boolean hasSequenceOutput, hasLastStepOutput, hasLayerY, hasSequenceLengths, batchFirst;
    private final boolean hasFinalStateOutput;  // format role 21: the top layer's final h of every direction
    private final boolean pools;                // format role 22: the head's first operation pools over time
    private final boolean oneRowOutput;         // one output row per sequence: last-step, final-state or pooled output
    private final IoSpec[] ioByRole = new IoSpec[23];
    private final int stateSlots, stateHidden, inputSize, outputSize;
    private final int threads;
    private Team team;                      // started by the first run that uses it, stopped by close

    Session(Model model, int maxSeq, int maxBatch, int threads, LstmKernels kernels) {
        if (threads < 1 || threads > MAX_THREADS)
            throw new IllegalArgumentException("threads " + threads + ", expected 1.." + MAX_THREADS);
        this.threads = threads;
        this.model = model;
        this.spec = model.spec();
        this.kernels = kernels;
        for (IoSpec io : spec.inputs()) ioByRole[io.role().code] = io;
        for (IoSpec io : spec.outputs()) ioByRole[io.role().code] = io;
        hasSequenceOutput = spec.output(IoSpec.Role.SEQUENCE_OUTPUT) != null;
        hasLastStepOutput = spec.output(IoSpec.Role.LAST_STEP_OUTPUT) != null;
        hasFinalStateOutput = spec.output(IoSpec.Role.FINAL_STATE_OUTPUT) != null;
        pools = spec.pools();
        oneRowOutput = hasLastStepOutput || hasFinalStateOutput || pools;
        hasLayerY = spec.output(IoSpec.Role.LAYER_Y) != null;
        hasSequenceLengths = spec.input(IoSpec.Role.SEQUENCE_LENS) != null;
        batchFirst = spec.layout() == SequenceLayout.BATCH_SEQ;
        stateSlots = spec.stateSlots();
        stateHidden = spec.layers().getFirst().hiddenSize();
        // Layer 0's input values per timestep: a folded embedding's layer reads the id itself (Embedding).
        inputSize = model.embedding != null ? model.embedding.rowWidth() : spec.inputSize();
        outputSize = spec.outputSize();
        plan = new Plan(model, kernels, threads);
        model.checkOpen();
        plan.reserve(maxSeq, maxBatch);
    }

    /** The most intra-op threads a session takes (the calling thread included). */
    public static final int MAX_THREADS = 64;

    /**
     * Intra-op threads of this session, the calling thread included (1: everything runs on the calling thread).
     *
     * @return 1 to {@link #MAX_THREADS}
     */
    public int threads() {
        return threads;
    }

    /** The stages this session runs (for tests). */
    Plan plan() {
        return plan;
    }

    /** The session's threads, started on first use; null for a single-threaded session. */
    Team team() {
        if (threads == 1) return null;
        if (team == null) team = new Team(threads, "vlstm-" + model.source().replaceAll(".*/", ""));
        return team;
    }

    /**
     * The kernel implementation in use, e.g. {@code vector (16 lanes)} or {@code scalar}.
     *
     * @return the kernels' name and vector width
     */
    public String kernels() {
        return kernels.name();
    }

    /**
     * Runs a batch of sequences and returns the model's main output in a new array: {@code [seq, batch, outputSize]}
     * (batch-first models: {@code [batch, seq, outputSize]}; many-to-one models: {@code [batch, outputSize]}).
     *
     * @param input {@code [seq, batch, inputSize]} row-major (batch-first models: {@code [batch, seq, inputSize]})
     * @param seq   timesteps
     * @param batch sequences
     * @return the main output
     */
    public float[] run(float[] input, int seq, int batch) {
        float[] out = new float[Math.toIntExact(mainOutputSize(seq, batch))];
        run(input, seq, batch, out);
        return out;
    }

    /**
     * Like {@link #run(float[], int, int)}, into {@code output}; allocates nothing once the buffers have this shape.
     *
     * @param input  as for {@link #run(float[], int, int)}
     * @param seq    timesteps
     * @param batch  sequences
     * @param output {@link #mainOutputSize(int, int)} values
     * @throws IllegalArgumentException when a size does not match, naming what was expected
     * @throws IllegalStateException    when the model is closed
     */
    public void run(float[] input, int seq, int batch, float[] output) {
        run(mainOutputInto(output).input(input, seq, batch));
    }

    /** The session's reused args with only the main output set, into {@code output}: a sequence-type output or final h. */
    private RunArgs mainOutputInto(float[] output) {
        boolean sequenceOutput = hasSequenceOutput || oneRowOutput || hasLayerY;
        return simple.initialStates(null, null).sequenceLengths(null).output(sequenceOutput ? output : null)
                .finalStates(sequenceOutput ? null : output, null);
    }

    /**
     * Runs with every input and output the model has: initial states (null for zeros), sequence lengths (null for
     * all full length), the sequence or last-step output and the final states (null to skip).
     *
     * @param a the call's inputs and outputs
     */
    public void run(RunArgs a) {
        model.checkOpen();
        check(a);
        plan.reserve(a.seq, a.batch);
        int[] lengths = a.sequenceLengths;
        if (model.constantLengths != null) a.sequenceLengths = model.constantLengths; // for this call only (check: none given)
        try {
            plan.run(a, team());
        } finally {
            a.sequenceLengths = lengths;
        }
    }

    /**
     * Runs a token-ids model ({@code nn.Embedding} before the first layer) on {@code [seq, batch]} ids (batch-first
     * models: {@code [batch, seq]}) and returns its main output in a new array, as {@link #run(float[], int, int)}.
     *
     * @param ids   the ids, row-major
     * @param seq   timesteps
     * @param batch sequences
     * @return the main output
     * @throws IllegalArgumentException for an id outside the vocabulary (naming it, its position and the vocabulary
     *                                  size), a wrong count, or a model that takes float features
     */
    public float[] run(int[] ids, int seq, int batch) {
        float[] out = new float[Math.toIntExact(mainOutputSize(seq, batch))];
        run(mainOutputInto(out).tokens(ids, seq, batch));
        return out;
    }

    /**
     * {@link #run(int[], int, int)} with int64 ids.
     *
     * @param ids   the ids, row-major
     * @param seq   timesteps
     * @param batch sequences
     * @return the main output
     */
    public float[] run(long[] ids, int seq, int batch) {
        float[] out = new float[Math.toIntExact(mainOutputSize(seq, batch))];
        run(mainOutputInto(out).tokens(ids, seq, batch));
        return out;
    }

    /**
     * One timestep of one stream: consumes {@code x} ({@code [inputSize]}), advances {@code state}, and writes this
     * step's output ({@code [outputSize]}: the head's, or the last layer's h). Stepping a sequence one step at a time
     * gives the same numbers as {@link #run} on the whole sequence. Allocates nothing.
     *
     * @param state the stream's state, advanced in place
     * @param x     this timestep's input
     * @param out   this timestep's output
     */
    public void step(LstmState state, float[] x, float[] out) {
        single[0] = state;
        try {
            step(single, 1, x, out);
        } finally {
            single[0] = null;
        }
    }

    /**
     * One timestep of {@code n} independent streams together, as one batch (micro-batching): row {@code b} of
     * {@code x} ({@code [n][inputSize]}) advances {@code states[b]} and fills row b of {@code out}
     * ({@code [n][outputSize]}). Equals stepping each stream alone. The states are gathered into the session's batch
     * buffers and scattered back (a copy of h and c per layer and stream, small next to the step's matrix work).
     *
     * @param states one state per stream (the first {@code n} are used)
     * @param n      streams in this step
     * @param x      {@code [n][inputSize]} row-major
     * @param out    {@code [n][outputSize]} row-major
     */
    public void step(LstmState[] states, int n, float[] x, float[] out) {
        model.checkOpen();
        if (model.embedding != null)
            throw new IllegalArgumentException("input '" + model.inputName() + "' takes token ids; step with int ids");
        checkedStep(states, n, x, x.length, out);
    }

    /**
     * One timestep of a token-ids model's stream: the row of {@code id}, then as {@link #step(LstmState, float[], float[])}.
     *
     * @param state the stream's state, advanced in place
     * @param id    this timestep's token id
     * @param out   this timestep's output
     */
    public void step(LstmState state, int id, float[] out) {
        single[0] = state;
        stepIds[0] = id;
        try {
            step(single, 1, stepIds, out);
        } finally {
            single[0] = null;
        }
    }

    /**
     * One timestep of {@code n} streams of a token-ids model, {@code ids[b]} for stream b: as {@link #step(LstmState[], int, float[], float[])}.
     *
     * @param states one state per stream (the first {@code n} are used)
     * @param n      streams in this step
     * @param ids    one id per stream
     * @param out    {@code [n][outputSize]} row-major
     */
    public void step(LstmState[] states, int n, int[] ids, float[] out) {
        model.checkOpen();
        if (model.embedding == null)
            throw new IllegalArgumentException("token ids given, but input '" + model.inputName() + "' takes "
                    + inputSize + " float features per timestep");
        if (n < 1 || n > states.length || ids.length < n)
            throw new IllegalArgumentException("n " + n + ", expected 1.." + Math.min(states.length, ids.length)
                    + " (states and ids given)");
        model.embedding.check(ids, null, n, model.inputName());
        plan.reserve(1, n);
        checkedStep(states, n, plan.stepInput(ids, n), (long) n * inputSize, out);
    }

    /** A step of {@code x}'s first {@code xValues} values (the caller's whole array, or the session's looked-up ids). */
    private void checkedStep(LstmState[] states, int n, float[] x, long xValues, float[] out) {
        if (n < 1 || n > states.length) throw new IllegalArgumentException("n " + n + ", expected 1.." + states.length);
        if (xValues != (long) n * inputSize)
            throw new IllegalArgumentException("x has " + xValues + " values, expected " + n + " streams x " + inputSize);
        if (out.length != (long) n * outputSize)
            throw new IllegalArgumentException("out has room for " + out.length + " values, expected " + n + " streams x " + outputSize);
        for (int b = 0; b < n; b++) {
            if (states[b] == null || states[b].model != model)
                throw new IllegalArgumentException("state " + b + " is " + (states[b] == null ? "null" : "another model's"));
            for (int o = 0; o < b; o++)
                if (states[o] == states[b]) throw new IllegalArgumentException("state " + b + " is given twice");
        }
        plan.reserve(1, n);
        plan.step(states, n, x, out, team());
    }

    /**
     * Values in the main output of a run of this shape (see {@link #run(float[], int, int)}): the size of its array.
     *
     * @param seq   timesteps
     * @param batch sequences
     * @return the number of floats
     */
    public long mainOutputSize(int seq, int batch) {
        IoSpec main = model.mainOutput();
        return switch (main.role()) {
            case LAST_STEP_OUTPUT, FINAL_STATE_OUTPUT, POOLED_OUTPUT -> (long) batch * spec.outputSize();
            case FINAL_H, FINAL_C -> stateSize(batch);
            default -> checkedSize(seq, batch, spec.outputSize(), "output");
        };
    }

    private long stateSize(int batch) {
        return (long) stateSlots * batch * stateHidden;
    }

    private void check(RunArgs a) {
        boolean ids = a.tokens != null || a.longTokens != null;
        if (model.embedding != null && a.x != null)
            throw new IllegalArgumentException("input '" + model.inputName() + "' takes token ids (RunArgs.tokens), not float features");
        if (model.embedding == null && ids)
            throw new IllegalArgumentException("token ids given, but input '" + model.inputName() + "' takes "
                    + inputSize + " float features per timestep (RunArgs.input)");
        if (a.x == null && !ids) throw new IllegalArgumentException("no input '" + model.inputName() + "' given");
        if (a.seq < 1 || a.batch < 1) throw new IllegalArgumentException("seq " + a.seq + " and batch " + a.batch + " must be >= 1");
        if (a.seq > model.limits.maxSequence())
            throw new IllegalArgumentException(Limits.exceeded("sequence length", a.seq, "maxSequence", model.limits.maxSequence()));
        long inSize = checkedSize(a.seq, a.batch, inputSize, "input");
        if (ids) {
            int n = a.tokens != null ? a.tokens.length : a.longTokens.length;
            if (n != (long) a.seq * a.batch)
                throw new IllegalArgumentException("input '" + model.inputName() + "' has " + n + " token ids, expected "
                        + shape(a));
            model.embedding.check(a.tokens, a.longTokens, n, model.inputName());
        } else if (a.x.length != inSize) {
            throw new IllegalArgumentException("input '" + model.inputName() + "' has " + a.x.length + " values, expected "
                    + inSize + " = " + shape(a) + " x " + inputSize + " features");
        }
        checkRole(a.initialH, IoSpec.Role.INITIAL_H, stateSize(a.batch), "initial h");
        checkRole(a.initialC, IoSpec.Role.INITIAL_C, stateSize(a.batch), "initial c");
        checkRole(a.finalH, IoSpec.Role.FINAL_H, stateSize(a.batch), "final h");
        checkRole(a.finalC, IoSpec.Role.FINAL_C, stateSize(a.batch), "final c");
        if (a.output != null) {
            IoSpec.Role role = hasLastStepOutput ? IoSpec.Role.LAST_STEP_OUTPUT : hasFinalStateOutput
                    ? IoSpec.Role.FINAL_STATE_OUTPUT : pools ? IoSpec.Role.POOLED_OUTPUT
                    : hasLayerY ? IoSpec.Role.LAYER_Y : IoSpec.Role.SEQUENCE_OUTPUT;
            long n = oneRowOutput ? (long) a.batch * outputSize : checkedSize(a.seq, a.batch, outputSize, "output");
            checkRole(a.output, role, n, "output");
        }
        if (model.constantLengths != null) {
            IoSpec lens = ioByRole[IoSpec.Role.CONSTANT_SEQUENCE_LENS.code];
            if (a.sequenceLengths != null)
                throw new IllegalArgumentException("sequence lengths given, but the model's sequence_lens '" + lens.name()
                        + "' is a constant of the graph; give none");
            if (a.batch != model.constantLengths.length)
                throw new IllegalArgumentException("batch " + a.batch + ", but the model's sequence_lens '" + lens.name()
                        + "' is a constant for batch " + model.constantLengths.length + " only");
            for (int b = 0; b < a.batch; b++)
                if (model.constantLengths[b] > a.seq)
                    throw new IllegalArgumentException("the model's constant sequence length " + model.constantLengths[b]
                            + " of batch row " + b + " ('" + lens.name() + "') exceeds seq " + a.seq);
        }
        if (a.sequenceLengths != null) {
            if (!hasSequenceLengths)
                throw new IllegalArgumentException("sequence lengths given, but the model has no sequence_lens input");
            if (a.sequenceLengths.length != a.batch)
                throw new IllegalArgumentException("sequence lengths '" + spec.input(IoSpec.Role.SEQUENCE_LENS).name() + "' has "
                        + a.sequenceLengths.length + " values, expected batch " + a.batch);
            for (int b = 0; b < a.batch; b++)
                if (a.sequenceLengths[b] < 0 || a.sequenceLengths[b] > a.seq)
                    throw new IllegalArgumentException("sequence length " + a.sequenceLengths[b] + " of batch row " + b
                            + ", expected 0.." + a.seq);
        }
    }

    /** The call's sequence shape in the model's layout, for messages: {@code seq 3 x batch 2}. */
    private String shape(RunArgs a) {
        return batchFirst ? "batch " + a.batch + " x seq " + a.seq : "seq " + a.seq + " x batch " + a.batch;
    }

    private void checkRole(float[] array, IoSpec.Role role, long expected, String what) {
        if (array == null) return;
        IoSpec io = ioByRole[role.code];
        if (io == null) throw new IllegalArgumentException(what + " given, but the model has no such " + (role.code < 16 ? "input" : "output"));
        if (array.length != expected)
            throw new IllegalArgumentException(what + " '" + io.name() + "' has " + (role.code < 16 ? "" : "room for ")
                    + array.length + " values, expected " + expected + " " + io.shapeText());
    }

    private static long checkedSize(int seq, int batch, int features, String what) {
        long n = (long) seq * batch * features;
        if (n > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException(what + " of seq " + seq + " x batch " + batch + " x " + features
                    + " values does not fit a Java array");
        return n;
    }

    /** Stops the session's threads and releases the work buffers; a later run starts and grows them again. */
    @Override
    public void close() {
        if (team != null) {
            team.close();
            team = null;
        }
        plan.ws.release();
    }
}
