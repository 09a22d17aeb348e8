package dev.vlstm;

import dev.vlstm.format.IoSpec;
import dev.vlstm.kernel.LstmKernels;

/**
 * What a session runs, built once when it opens: the input stage, a stage per layer direction (each with its
 * weights and the widths of its rows), pipelines between layers where the thread count allows them, and the output
 * stage (the head's operations among them); and the workspace they share. {@link #run} and {@link #step} walk it.
 *
 * <p>The fast paths are the stages' own: a direction's zero start and its column or row split
 * ({@link DirectionStage}), two layers' pipeline in time ({@link LayerPipeline}). One belongs to the plan as a whole:
 * the row split of a single timestep ({@link #runRows}), where each thread runs its own batch rows through every
 * layer and the head.
 */
final class Plan {
    final Workspace ws = new Workspace();
    private final Model model;
    private final InputStage input;
    private final DirectionStage[][] layers;
    private final LayerPipeline[] pipelines;  // [l]: layers l and l + 1 as a pipeline, or null
    final OutputStage output;
    private final StateSlots slots;
    private final int threads;
    private final boolean allDefault;       // every layer the default cell (a row split's condition)
    private final boolean rowSplits;        // and no per-layer Y output (a run's row split)
    private final DirectionStage.RowWidths rowWidths;
    private final Pass pass = new Pass();
    private final Team.Job runRows = this::runRows, stepRows = this::stepRows;
    private RunArgs rowRun;                 // the run a row split is working on
    private LstmState[] rowStates;          // the step a row split is working on
    private float[] rowX, rowOut;
    private int rowStreams;

    Plan(Model model, LstmKernels k, int threads) {
        this.model = model;
        this.threads = threads;
        this.input = new InputStage(model);
        this.output = new OutputStage(model, k);
        this.slots = new StateSlots(model);
        this.rowWidths = DirectionStage.RowWidths.of(model.layers);
        boolean allDefault = true;
        layers = new DirectionStage[model.layers.length][];
        int width = input.width, rowStride = input.width;
        for (int l = 0; l < layers.length; l++) {
            Model.LayerWeights layer = model.layers[l];
            layers[l] = new DirectionStage[layer.directions().length];
            for (int d = 0; d < layers[l].length; d++)
                layers[l][d] = new DirectionStage(k, layer, d, width, rowStride, ws, rowWidths);
            width = layers[l][0].outWidth;
            rowStride = rowWidths.output();
            allDefault &= layer.defaultCell();
        }
        pipelines = new LayerPipeline[layers.length];
        for (int l = 0; l + 1 < layers.length; l++) pipelines[l] = LayerPipeline.of(layers[l], layers[l + 1], threads);
        this.allDefault = allDefault;
        rowSplits = allDefault && model.spec().output(IoSpec.Role.LAYER_Y) == null;
    }

    /** A token-ids step's input: the rows of {@code n} checked ids, in the workspace. */
    float[] stepInput(int[] ids, int n) {
        return input.stepRows(ids, n, ws);
    }

    /** The pipeline of layers l and l + 1, or null when they never take one (for tests). */
    LayerPipeline pipelineAbove(int l) {
        return pipelines[l];
    }

    /** Grows the workspace to a run of {@code seq × batch}. */
    void reserve(int seq, int batch) {
        ws.reserve(model, threads, output.oneRow, output.gatheredWidth, seq, batch);
    }

    /** A checked run, the workspace reserved for its shape. */
    void run(RunArgs a, Team team) {
        float[] rows = input.rows(a, ws);
        if (takesRowSplit(a)) {
            rowRun = a;
            rowX = rows;
            try {
                team.run(runRows);
            } finally {
                rowRun = null;
                rowX = null;
            }
            return;
        }
        Pass p = pass.set(a.seq, a.batch, a.sequenceLengths, team);
        float[] x = input.timeMajor(rows, a.seq, a.batch, ws);
        int slot = 0;
        for (int l = 0; l < layers.length; l++) {
            float[] y = ws.layerOutput(l);
            if (pipelines[l] != null && LayerPipeline.pays(p.seq, p.batch, p.lengths, threads)) {
                DirectionStage lower = layers[l][0], upper = layers[l + 1][0];
                slots.load(a, slot, lower.hidden, ws.h, ws.c, lower.hidden, 0, a.batch);
                slots.load(a, slot + 1, upper.hidden, ws.hUpper, ws.cUpper, upper.hidden, 0, a.batch);
                float[] yUpper = ws.layerOutput(l + 1);
                pipelines[l].run(p, x, y, yUpper, ws);
                slots.store(ws.h, ws.c, lower.hidden, a, slot, lower.hidden, 0, a.batch);
                slots.store(ws.hUpper, ws.cUpper, upper.hidden, a, slot + 1, upper.hidden, 0, a.batch);
                slot += 2;
                x = yUpper;
                l++;
                continue;
            }
            for (DirectionStage dir : layers[l]) {
                slots.load(a, slot, dir.hidden, ws.h, ws.c, dir.hidden, 0, a.batch);
                try {
                    dir.bind(p, x, y, ws.h, ws.c, ws.gates).run();
                } finally {
                    dir.unbind();
                }
                slots.store(ws.h, ws.c, dir.hidden, a, slot++, dir.hidden, 0, a.batch);
            }
            x = y;
        }
        if (a.output != null) output.write(p, x, layers[layers.length - 1][0].outWidth, a.output, ws);
        p.set(0, 0, null, null);
    }

    /**
     * Whether a run takes the row split: several threads, one timestep, at least a row per thread, every layer the
     * default cell, no sequence lengths and no per-layer Y output (its ONNX order interleaves directions and rows).
     */
    boolean takesRowSplit(RunArgs a) {
        return threads > 1 && a.seq == 1 && a.batch >= threads && rowSplits && a.sequenceLengths == null;
    }

    /**
     * Part {@code part} of a row split: this part's batch rows through every layer and the head, from the initial
     * states to the output and final states, with {@link DirectionStage#stepRows}. One timestep leaves the rows
     * independent, so the parts meet only when the run ends: one hand-off per call instead of one per layer, and no
     * state row crosses between cores (vlstm bench, W1b on 2 threads: 30.6 to 28.8 us per call when the two cores
     * are near, 50 to 38-47 when they are far apart; BENCHMARKS.md). With one timestep, batch-first and time-major
     * layouts are the same.
     */
    private void runRows(int part, int parts) {
        RunArgs a = rowRun;
        int b0 = Rows.start(a.batch, part, parts), b1 = Rows.start(a.batch, part + 1, parts), slot = 0;
        float[] x = rowX;
        int state = rowWidths.state();
        for (int l = 0; l < layers.length; l++) {
            float[] y = ws.layerOutput(l);
            for (DirectionStage dir : layers[l]) {
                slots.load(a, slot, dir.hidden, ws.h, ws.c, state, b0, b1);
                dir.stepRows(x, y, ws.h, ws.c, b0, b1, ws.widened[part]);
                slots.store(ws.h, ws.c, state, a, slot++, dir.hidden, b0, b1);
            }
            x = y;
        }
        if (a.output != null) output.writeRows(x, layers[layers.length - 1][0].outWidth, rowWidths.output(), b0, b1, a.output, ws);
    }

    /**
     * One timestep of {@code n} streams, checked, the workspace reserved for one step of them: on the session's
     * threads by rows of streams when there are enough, else each layer with them.
     */
    void step(LstmState[] states, int n, float[] x, float[] out, Team team) {
        if (threads > 1 && n >= threads && allDefault) {     // the row split, as in run
            rowStates = states;
            rowX = x;
            rowOut = out;
            rowStreams = n;
            try {
                team.run(stepRows);
            } finally {
                rowStates = null;
                rowX = rowOut = null;
            }
            return;
        }
        stepStreams(states, n, x, out, 0, n, team, ws.widened[0]);
        pass.set(0, 0, null, null);
    }

    /** Part {@code part} of a step's row split: its own streams through every layer and the head. */
    private void stepRows(int part, int parts) {
        int n = rowStreams;
        stepStreams(rowStates, n, rowX, rowOut, Rows.start(n, part, parts), Rows.start(n, part + 1, parts), null,
                ws.widened[part]);
    }

    /**
     * Streams b0 .. b1-1 of an n-stream step through every layer and the head: each layer gathers their states into
     * the workspace, steps and scatters them back. With {@code team} null and fewer than n rows, the calling thread
     * does just these rows (a part of a row split, each layer's rows at the widest layer's strides, see
     * {@link DirectionStage#stepRows}); otherwise all n rows, each layer with the team, if any.
     */
    private void stepStreams(LstmState[] states, int n, float[] x, float[] out, int b0, int b1, Team team,
                             float[] scratch) {
        boolean rowsOnly = b1 - b0 < n;
        float[] in = x;
        int width = input.width, stride = input.width;
        for (int l = 0; l < layers.length; l++) {
            DirectionStage dir = layers[l][0];
            int hidden = dir.hidden;
            int rowState = rowsOnly ? rowWidths.state() : hidden, rowOutput = rowsOnly ? rowWidths.output() : hidden;
            float[] y = ws.layerOutput(l);
            for (int b = b0; b < b1; b++) {
                System.arraycopy(states[b].h, states[b].offsets[l], ws.h, b * rowState, hidden);
                System.arraycopy(states[b].c, states[b].offsets[l], ws.c, b * rowState, hidden);
            }
            if (rowsOnly) {
                dir.stepRows(in, y, ws.h, ws.c, b0, b1, scratch);
            } else {
                try {
                    dir.bind(pass.set(1, n, null, team), in, y, ws.h, ws.c, ws.gates).run();
                } finally {
                    dir.unbind();
                }
            }
            for (int b = b0; b < b1; b++) {
                System.arraycopy(ws.h, b * rowState, states[b].h, states[b].offsets[l], hidden);
                System.arraycopy(ws.c, b * rowState, states[b].c, states[b].offsets[l], hidden);
            }
            in = y;
            width = hidden;
            stride = rowOutput;
        }
        output.writeRows(in, width, stride, b0, b1, out, ws);
    }
}
