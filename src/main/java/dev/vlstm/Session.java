package dev.vlstm;

import dev.vlstm.format.HeadOp;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.StateLayout;
import dev.vlstm.kernel.LstmKernels;

import java.util.Arrays;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * Runs a {@link Model} over whole sequences. A session owns its work buffers and is reusable but not thread-safe: use
 * one per thread. Once its buffers have grown to a shape, running that shape again allocates nothing
 * ({@link #run(float[], int, int, float[])} and {@link #run(RunArgs)} write into the caller's arrays).
 *
 * <p>Per layer and direction, the input projection {@code x·Wᵀ + b} for all timesteps is one matrix product; then each
 * timestep is one fused pass (recurrent product, activations, cell update) — see {@link Recurrence}. The head, if any,
 * is one matrix product at the end.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final ModelSpec spec;
    private final LstmKernels kernels;
    private final Recurrence.Buffers buffers = new Recurrence.Buffers();
    private final Head.Work headWork = new Head.Work(buffers);
    private final RunArgs simple = new RunArgs();
    private final LstmState[] single = new LstmState[1];
    private final int[] stepIds = new int[1];
    private float[] embedded = new float[0]; // a token-ids run's layer-0 input: [seq*batch][inputSize], the input layout
    private float[] xTime = new float[0];   // batch-first input, transposed to time-major
    private float[] outTime = new float[0]; // batch-first output, before transposing back
    private float[] hiddenA = new float[0]; // [seq][batch][H*dirs] outputs of even layers
    private float[] hiddenB = new float[0]; // outputs of odd layers
    private float[] h = new float[0];       // [batch][H] state of one direction
    private float[] c = new float[0];
    private float[] hUpper = new float[0];  // the upper layer's state in a LayerPipeline
    private float[] cUpper = new float[0];
    // Read once: the spec's lookups iterate lists and streams, and a run must allocate nothing.
    private final boolean hasSequenceOutput, hasLastStepOutput, hasLayerY, hasSequenceLengths, batchFirst, layerMajorStates;
    private final boolean hasFinalStateOutput;  // format role 21: the top layer's final h of every direction
    private final HeadOp.Kind pooling;          // format role 22: the head's first operation, pooling over time; or null
    private final boolean oneRowOutput;         // one output row per sequence: last-step, final-state or pooled output
    private final int topWidth;                 // the top layer's output width: hidden × directions
    private float[] finalRows = new float[0];   // [batch][topWidth] a final-state or pooled output's rows before the head
    private final IoSpec[] ioByRole = new IoSpec[23];
    private final int stateSlots, stateHidden, inputSize, outputSize;
    private final int threads;
    private Team team;                      // started by the first run that uses it, stopped by close
    private final boolean allDefaultCells;  // every layer takes the fused path (a row split's condition)
    private final RowWidths rowWidths;      // a row split's row strides, the same in every layer
    private final Team.Job rowSplit = this::forwardRows;
    private RunArgs rowSplitArgs;           // the run a row split is working on
    private final Team.Job stepSplit = this::stepPart;
    private LstmState[] stepStates;         // the step a row split is working on
    private float[] stepX, stepOut;
    private int stepStreams;

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
        pooling = spec.pools() ? spec.head().getFirst().kind() : null;
        oneRowOutput = hasLastStepOutput || hasFinalStateOutput || pooling != null;
        topWidth = spec.layers().getLast().outputSize();
        hasLayerY = spec.output(IoSpec.Role.LAYER_Y) != null;
        hasSequenceLengths = spec.input(IoSpec.Role.SEQUENCE_LENS) != null;
        batchFirst = spec.layout() == SequenceLayout.BATCH_SEQ;
        layerMajorStates = spec.stateLayout() == StateLayout.LAYER_MAJOR;
        stateSlots = spec.stateSlots();
        stateHidden = spec.layers().getFirst().hiddenSize();
        // Layer 0's input values per timestep: a folded embedding's layer reads the id itself (Embedding).
        inputSize = model.embedding != null ? model.embedding.rowWidth() : spec.inputSize();
        outputSize = spec.outputSize();
        allDefaultCells = Arrays.stream(model.layers).allMatch(Model.LayerWeights::defaultCell);
        rowWidths = RowWidths.of(model.layers);
        model.checkOpen();
        reserve(maxSeq, maxBatch);
    }

    /** The most intra-op threads a session takes (the calling thread included). */
    public static final int MAX_THREADS = 64;

    /** Intra-op threads of this session, the calling thread included (1: everything runs on the calling thread). */
    public int threads() {
        return threads;
    }

    /** The session's threads, started on first use; null for a single-threaded session. */
    Team team() {
        if (threads == 1) return null;
        if (team == null) team = new Team(threads, "vlstm-" + model.source().replaceAll(".*/", ""));
        return team;
    }

    /** The kernel implementation in use, e.g. {@code vector (16 lanes)} or {@code scalar}. */
    public String kernels() {
        return kernels.name();
    }

    /**
     * Runs a batch of sequences and returns the model's main output in a new array: {@code [seq, batch, outputSize]}
     * (batch-first models: {@code [batch, seq, outputSize]}; many-to-one models: {@code [batch, outputSize]}).
     *
     * @param input {@code [seq, batch, inputSize]} row-major (batch-first models: {@code [batch, seq, inputSize]})
     */
    public float[] run(float[] input, int seq, int batch) {
        float[] out = new float[Math.toIntExact(mainOutputSize(seq, batch))];
        run(input, seq, batch, out);
        return out;
    }

    /**
     * Like {@link #run(float[], int, int)}, into {@code output}; allocates nothing once the buffers have this shape.
     *
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
     */
    public void run(RunArgs a) {
        model.checkOpen();
        check(a);
        reserve(a.seq, a.batch);
        int[] lengths = a.sequenceLengths;
        if (model.constantLengths != null) a.sequenceLengths = model.constantLengths; // for this call only (check: none given)
        if (model.embedding != null) {      // the ids' rows are the input, for this call only
            model.embedding.lookUp(a.tokens, a.longTokens, a.seq * a.batch, embedded);
            a.x = embedded;
        }
        try {
            forward(a);
        } finally {
            a.sequenceLengths = lengths;
            if (model.embedding != null) a.x = null;
        }
    }

    /**
     * Runs a token-ids model ({@code nn.Embedding} before the first layer) on {@code [seq, batch]} ids (batch-first
     * models: {@code [batch, seq]}) and returns its main output in a new array, as {@link #run(float[], int, int)}.
     *
     * @throws IllegalArgumentException for an id outside the vocabulary (naming it, its position and the vocabulary
     *                                  size), a wrong count, or a model that takes float features
     */
    public float[] run(int[] ids, int seq, int batch) {
        float[] out = new float[Math.toIntExact(mainOutputSize(seq, batch))];
        run(mainOutputInto(out).tokens(ids, seq, batch));
        return out;
    }

    /** {@link #run(int[], int, int)} with int64 ids. */
    public float[] run(long[] ids, int seq, int batch) {
        float[] out = new float[Math.toIntExact(mainOutputSize(seq, batch))];
        run(mainOutputInto(out).tokens(ids, seq, batch));
        return out;
    }

    private void forward(RunArgs a) {
        if (takesRowSplit(a)) {
            rowSplitArgs = a;
            try {
                team().run(rowSplit);
            } finally {
                rowSplitArgs = null;
            }
            return;
        }
        int seq = a.seq, batch = a.batch, rows = seq * batch;
        float[] x = a.x;
        int width = inputSize;
        if (batchFirst) {
            swapSeqBatch(a.x, xTime, batch, seq, width);
            x = xTime;
        }
        int slot = 0;
        Model.LayerWeights[] layers = model.layers;
        for (int l = 0; l < layers.length; l++) {
            Model.LayerWeights layer = layers[l];
            int hidden = layer.hiddenSize();
            int dirs = layer.directions().length;
            float[] y = (l & 1) == 0 ? hiddenA : hiddenB;
            if (l + 1 < layers.length && LayerPipeline.applies(layer, layers[l + 1], seq, batch, a.sequenceLengths, threads)) {
                int upper = layers[l + 1].hiddenSize();
                float[] yUpper = (l & 1) == 0 ? hiddenB : hiddenA;
                loadStates(a, h, c, hidden, slot, 0, batch, batch, hidden);
                loadStates(a, hUpper, cUpper, upper, slot + 1, 0, batch, batch, upper);
                buffers.pipeline.run(kernels, layer, layers[l + 1], x, width, seq, batch, y, h, c, yUpper, hUpper, cUpper,
                        buffers, team());
                storeStates(h, c, hidden, a, slot, 0, batch, batch, hidden);
                storeStates(hUpper, cUpper, upper, a, slot + 1, 0, batch, batch, upper);
                slot += 2;
                x = yUpper;
                width = upper;
                l++;
                continue;
            }
            for (int d = 0; d < dirs; d++, slot++) {
                loadStates(a, h, c, hidden, slot, 0, batch, batch, hidden);
                Recurrence.run(kernels, layer, d, x, width, seq, batch, y, hidden * dirs, h, c, a.sequenceLengths, buffers,
                        team());
                storeStates(h, c, hidden, a, slot, 0, batch, batch, hidden);
            }
            x = y;
            width = hidden * dirs;
        }
        if (a.output == null) return;
        if (hasLayerY && !batchFirst) {  // [seq][batch][dirs*H] -> ONNX's [seq][dirs][batch][H]
            int hidden = layers[layers.length - 1].hiddenSize(), dirs = width / hidden;
            for (int t = 0; t < seq; t++)
                for (int b = 0; b < batch; b++)
                    for (int d = 0; d < dirs; d++)
                        System.arraycopy(x, (t * batch + b) * width + d * hidden, a.output, ((t * dirs + d) * batch + b) * hidden, hidden);
            return;
        }
        boolean lastStep = oneRowOutput;
        int from = lastStep ? (seq - 1) * batch * width : 0;
        if (hasFinalStateOutput || pooling != null) {
            if (pooling != null) poolOverTime(x, width, seq, batch, pooling == HeadOp.Kind.MAX_OVER_TIME);
            else gatherFinalStates(x, width, seq, batch, a.sequenceLengths);
            x = finalRows;
            from = 0;
        }
        int outRows = lastStep ? batch : rows;
        boolean transpose = batchFirst && !lastStep;
        float[] target = transpose ? outTime : a.output;
        int units = outputSize;
        if (model.head != null) {
            model.head.run(kernels, x, from, width, 0, outRows, target, headWork, team());
        } else {
            System.arraycopy(x, from, target, 0, outRows * width);
        }
        if (transpose) swapSeqBatch(outTime, a.output, seq, batch, units);
    }

    /**
     * The top layer's final h of every direction into {@link #finalRows}, row b at {@code b * width}: a forward
     * direction's output at the row's last step (len - 1; zeros for a row of length 0), a reverse direction's at t = 0,
     * both read from the top layer's output {@code y} ({@code [seq][batch][width]}).
     */
    private void gatherFinalStates(float[] y, int width, int seq, int batch, int[] lengths) {
        Model.LayerWeights top = model.layers[model.layers.length - 1];
        int hidden = top.hiddenSize(), dirs = top.directions().length;
        for (int b = 0; b < batch; b++) {
            int len = lengths == null ? seq : lengths[b];
            for (int d = 0; d < dirs; d++) {
                boolean reverse = d == 1 || top.reverse();
                int to = b * width + d * hidden;
                if (!reverse && len == 0) Arrays.fill(finalRows, to, to + hidden, 0f);
                else System.arraycopy(y, ((reverse ? 0 : len - 1) * batch + b) * width + d * hidden, finalRows, to, hidden);
            }
        }
    }

    /**
     * The mean (or max) over all seq timesteps of the top layer's output {@code y} into {@link #finalRows}, row b at
     * {@code b * width}: what the ONNX graph's ReduceMean (ReduceMax) on the time axis computes, so with sequence
     * lengths the steps past a row's length count as the zeros the LSTM writes there. The inner loops run along one
     * row's contiguous features, which C2 vectorises.
     */
    private void poolOverTime(float[] y, int width, int seq, int batch, boolean max) {
        for (int b = 0; b < batch; b++) {
            int to = b * width;
            System.arraycopy(y, b * width, finalRows, to, width);
            for (int t = 1; t < seq; t++) {
                int from = (t * batch + b) * width;
                if (max) for (int j = 0; j < width; j++) finalRows[to + j] = Math.max(finalRows[to + j], y[from + j]);
                else for (int j = 0; j < width; j++) finalRows[to + j] += y[from + j];
            }
            if (!max) for (int j = 0; j < width; j++) finalRows[to + j] /= seq;
        }
    }

    /**
     * One timestep of one stream: consumes {@code x} ({@code [inputSize]}), advances {@code state}, and writes this
     * step's output ({@code [outputSize]}: the head's, or the last layer's h). Stepping a sequence one step at a time
     * gives the same numbers as {@link #run} on the whole sequence. Allocates nothing.
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
     */
    public void step(LstmState[] states, int n, float[] x, float[] out) {
        model.checkOpen();
        if (model.embedding != null)
            throw new IllegalArgumentException("input '" + model.inputName() + "' takes token ids; step with int ids");
        checkedStep(states, n, x, x.length, out);
    }

    /** One timestep of a token-ids model's stream: the row of {@code id}, then as {@link #step(LstmState, float[], float[])}. */
    public void step(LstmState state, int id, float[] out) {
        single[0] = state;
        stepIds[0] = id;
        try {
            step(single, 1, stepIds, out);
        } finally {
            single[0] = null;
        }
    }

    /** One timestep of {@code n} streams of a token-ids model, {@code ids[b]} for stream b: as {@link #step(LstmState[], int, float[], float[])}. */
    public void step(LstmState[] states, int n, int[] ids, float[] out) {
        model.checkOpen();
        if (model.embedding == null)
            throw new IllegalArgumentException("token ids given, but input '" + model.inputName() + "' takes "
                    + inputSize + " float features per timestep");
        if (n < 1 || n > states.length || ids.length < n)
            throw new IllegalArgumentException("n " + n + ", expected 1.." + Math.min(states.length, ids.length)
                    + " (states and ids given)");
        model.embedding.check(ids, null, n, model.inputName());
        reserve(1, n);
        model.embedding.lookUp(ids, null, n, embedded);
        checkedStep(states, n, embedded, (long) n * inputSize, out);
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
        reserve(1, n);
        stepForward(states, n, x, out);
    }

    private void stepForward(LstmState[] states, int n, float[] x, float[] out) {
        if (threads > 1 && n >= threads && allDefaultCells) {     // the row split, as in run
            stepStates = states;
            stepX = x;
            stepOut = out;
            stepStreams = n;
            try {
                team().run(stepSplit);
            } finally {
                stepStates = null;
                stepX = stepOut = null;
            }
            return;
        }
        stepStreamRows(states, n, x, out, 0, n, false);
    }

    /** Part {@code part} of a step's row split: its own streams through every layer and the head. */
    private void stepPart(int part, int parts) {
        int n = stepStreams;
        stepStreamRows(stepStates, n, stepX, stepOut, Recurrence.rowStart(n, part, parts),
                Recurrence.rowStart(n, part + 1, parts), true);
    }

    /**
     * Streams b0 .. b1-1 of an n-stream step through every layer and the head: each layer gathers their states into
     * the batch buffers, steps and scatters them back. {@code rowsOnly}: the calling thread does just these rows
     * (a part of a row split); otherwise all n rows, each layer with the session's threads, if any.
     */
    private void stepStreamRows(LstmState[] states, int n, float[] x, float[] out, int b0, int b1, boolean rowsOnly) {
        float[] in = x;
        int width = inputSize, stride = inputSize;
        Model.LayerWeights[] layers = model.layers;
        for (int l = 0; l < layers.length; l++) {
            int hidden = layers[l].hiddenSize();
            // A part of a row split keeps every layer's rows at the widest layer's stride (see Recurrence.stepRows).
            int rowState = rowsOnly ? rowWidths.state : hidden, rowOutput = rowsOnly ? rowWidths.output : hidden;
            float[] y = (l & 1) == 0 ? hiddenA : hiddenB;
            for (int b = b0; b < b1; b++) {
                System.arraycopy(states[b].h, states[b].offsets[l], h, b * rowState, hidden);
                System.arraycopy(states[b].c, states[b].offsets[l], c, b * rowState, hidden);
            }
            if (rowsOnly) {
                Recurrence.stepRows(kernels, layers[l].directions()[0], hidden, 0, in, width, stride, b0, b1, y,
                        rowOutput, h, c, rowState, buffers.gates, rowWidths.gates);
            } else {
                Recurrence.run(kernels, layers[l], 0, in, width, 1, n, y, hidden, h, c, null, buffers, team());
            }
            for (int b = b0; b < b1; b++) {
                System.arraycopy(h, b * rowState, states[b].h, states[b].offsets[l], hidden);
                System.arraycopy(c, b * rowState, states[b].c, states[b].offsets[l], hidden);
            }
            in = y;
            width = hidden;
            stride = rowOutput;
        }
        rowsOut(in, width, stride, b0, b1, out);
    }

    /**
     * Whether a run takes the row split: several threads, one timestep, at least a row per thread, every layer the
     * default cell, no sequence lengths and no per-layer Y output (its ONNX order interleaves directions and rows).
     */
    boolean takesRowSplit(RunArgs a) {
        return threads > 1 && a.seq == 1 && a.batch >= threads && allDefaultCells && a.sequenceLengths == null
                && !hasLayerY;
    }

    /**
     * Part {@code part} of a row split: this part's batch rows through every layer and the head, from the initial
     * states to the output and final states, with {@link Recurrence#stepRows}. One timestep leaves the rows
     * independent, so the parts meet only when the run ends: one hand-off per call instead of one per layer, and no
     * state row crosses between cores (vlstm bench, W1b on 2 threads: 30.6 to 28.8 us per call when the two cores
     * are near, 50 to 38-47 when they are far apart; BENCHMARKS.md). With one timestep, batch-first and time-major
     * layouts are the same.
     */
    private void forwardRows(int part, int parts) {
        RunArgs a = rowSplitArgs;
        int batch = a.batch, b0 = Recurrence.rowStart(batch, part, parts), b1 = Recurrence.rowStart(batch, part + 1, parts);
        float[] x = a.x;
        int width = inputSize, stride = inputSize, slot = 0;
        Model.LayerWeights[] layers = model.layers;
        for (int l = 0; l < layers.length; l++) {
            int hidden = layers[l].hiddenSize(), dirs = layers[l].directions().length;
            float[] y = (l & 1) == 0 ? hiddenA : hiddenB;
            for (int d = 0; d < dirs; d++, slot++) {
                loadStates(a, h, c, rowWidths.state, slot, b0, b1, batch, hidden);
                Recurrence.stepRows(kernels, layers[l].directions()[d], hidden, d, x, width, stride, b0, b1, y,
                        rowWidths.output, h, c, rowWidths.state, buffers.gates, rowWidths.gates);
                storeStates(h, c, rowWidths.state, a, slot, b0, b1, batch, hidden);
            }
            x = y;
            width = hidden * dirs;
            stride = rowWidths.output;
        }
        if (a.output != null) rowsOut(x, width, stride, b0, b1, a.output);
    }

    /** Rows b0 .. b1-1 of the last layer's output (row b at {@code x[b * stride]}) through the head, or copied, to out. */
    private void rowsOut(float[] x, int width, int stride, int b0, int b1, float[] out) {
        if (model.head != null) {
            model.head.run(kernels, x, b0 * stride, stride, b0, b1 - b0, out, headWork, null);
        } else {
            Recurrence.copyRows(x, b0 * stride, stride, out, b0 * width, width, b1 - b0, width);
        }
    }

    /**
     * The row strides of a row split: the widest layer's h and c ({@code state}), output ({@code output}: hidden ×
     * directions) and pre-activations ({@code gates}). The work buffers hold batch rows of each (reserve sizes them
     * for the widest layer).
     */
    private record RowWidths(int state, int output, int gates) {
        static RowWidths of(Model.LayerWeights[] layers) {
            int state = 0, output = 0, gates = 0;
            for (Model.LayerWeights l : layers) {
                state = Math.max(state, l.hiddenSize());
                output = Math.max(output, l.hiddenSize() * l.directions().length);
                gates = Math.max(gates, (l.hiddenSize() + PANEL - 1) / PANEL * 4 * PANEL);
            }
            return new RowWidths(state, output, gates);
        }
    }

    /** {@code [a][b][w]} → {@code [b][a][w]}. */
    private static void swapSeqBatch(float[] src, float[] dst, int a, int b, int w) {
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++) System.arraycopy(src, (i * b + j) * w, dst, (j * a + i) * w, w);
    }

    private int stateOffset(int slot, int row, int batch, int hidden) {
        return layerMajorStates ? (slot * batch + row) * hidden : (row * stateSlots + slot) * hidden;
    }

    private void loadState(float[] from, float[] into, int stride, int slot, int b0, int b1, int batch, int hidden) {
        if (from == null && stride == hidden) {     // one fill, not one per row (W1b: 300 rows per call)
            Arrays.fill(into, b0 * hidden, b1 * hidden, 0f);
            return;
        }
        for (int b = b0; b < b1; b++) {
            if (from == null) Arrays.fill(into, b * stride, b * stride + hidden, 0f);
            else System.arraycopy(from, stateOffset(slot, b, batch, hidden), into, b * stride, hidden);
        }
    }

    /**
     * h and c of state slot {@code slot} from the run's initial states (zeros where none is given), rows b0 .. b1-1,
     * row b at {@code b * stride} of h and c.
     */
    private void loadStates(RunArgs a, float[] h, float[] c, int stride, int slot, int b0, int b1, int batch, int hidden) {
        loadState(a.initialH, h, stride, slot, b0, b1, batch, hidden);
        loadState(a.initialC, c, stride, slot, b0, b1, batch, hidden);
    }

    /** h and c of rows b0 .. b1-1 (row b at {@code b * stride}) into state slot {@code slot} of the run's final states. */
    private void storeStates(float[] h, float[] c, int stride, RunArgs a, int slot, int b0, int b1, int batch, int hidden) {
        storeState(h, stride, a.finalH, slot, b0, b1, batch, hidden);
        storeState(c, stride, a.finalC, slot, b0, b1, batch, hidden);
    }

    private void storeState(float[] from, int stride, float[] into, int slot, int b0, int b1, int batch, int hidden) {
        if (into == null) return;
        for (int b = b0; b < b1; b++) System.arraycopy(from, b * stride, into, stateOffset(slot, b, batch, hidden), hidden);
    }

    /** Values in the main output of a run of this shape (see {@link #run(float[], int, int)}): the size of its array. */
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
                    ? IoSpec.Role.FINAL_STATE_OUTPUT : pooling != null ? IoSpec.Role.POOLED_OUTPUT
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

    /** Grows the work buffers to hold {@code seq × batch}; does nothing when they are already large enough. */
    private void reserve(int seq, int batch) {
        long rows = (long) seq * batch;
        long gateNeed = 0, hiddenNeed = 0, stateNeed = 0, recNeed = 0;
        for (Model.LayerWeights l : model.layers) {
            long panels = (l.hiddenSize() + PANEL - 1) / PANEL;
            gateNeed = Math.max(gateNeed, rows * panels * 4 * PANEL);
            hiddenNeed = Math.max(hiddenNeed, rows * l.hiddenSize() * l.directions().length);
            stateNeed = Math.max(stateNeed, (long) batch * l.hiddenSize());
            recNeed = Math.max(recNeed, batch * panels * 4 * PANEL);
        }
        long ioNeed = spec.layout() == SequenceLayout.BATCH_SEQ ? rows * Math.max(spec.inputSize(), spec.outputSize()) : 0;
        long headNeed = model.head == null ? 0 : rows * model.head.workWidth;
        if (Math.max(Math.max(gateNeed, headNeed), Math.max(hiddenNeed, ioNeed)) > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("seq " + seq + " x batch " + batch + " needs work buffers of " + gateNeed
                    + " floats, more than a Java array holds; run fewer timesteps or a smaller batch per call");
        if (buffers.gates.length < gateNeed) buffers.gates = new float[(int) gateNeed];
        if (buffers.rec.length < recNeed) buffers.rec = new float[(int) recNeed];
        if (hiddenA.length < hiddenNeed) hiddenA = new float[(int) hiddenNeed];
        if (model.layers.length > 1 && hiddenB.length < hiddenNeed) hiddenB = new float[(int) hiddenNeed];
        if (h.length < stateNeed) h = new float[(int) stateNeed];
        if (c.length < stateNeed) c = new float[(int) stateNeed];
        if (threads > 1 && batch < threads && model.layers.length > 1) {    // what a LayerPipeline may need
            if (buffers.upperGates.length < gateNeed) buffers.upperGates = new float[(int) gateNeed];
            if (hUpper.length < stateNeed) hUpper = new float[(int) stateNeed];
            if (cUpper.length < stateNeed) cUpper = new float[(int) stateNeed];
        }
        if (model.head != null) headWork.reserve((oneRowOutput ? batch : rows) * model.head.workWidth);
        if ((hasFinalStateOutput || pooling != null) && finalRows.length < batch * topWidth) finalRows = new float[batch * topWidth];
        if (xTime.length < ioNeed) xTime = new float[(int) ioNeed];
        if (model.embedding != null && embedded.length < rows * inputSize) embedded = new float[(int) (rows * inputSize)];
        if (outTime.length < ioNeed) outTime = new float[(int) ioNeed];
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
        buffers.gates = buffers.rec = new float[0];
        headWork.release();
        xTime = outTime = hiddenA = hiddenB = h = c = finalRows = embedded = new float[0];
    }
}
