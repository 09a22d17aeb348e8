package dev.vlstm;

import dev.vlstm.format.GateActivations;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.kernel.LstmKernels;

import java.util.Arrays;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * One direction of one layer, a stage of a session's {@link Plan}: its weights, the widths of its rows, and the fast
 * paths it may take, each decided here from them and from the call's {@link Pass}.
 *
 * <p>The input projection for all timesteps is one matrix product (or, for a folded embedding, one table row per
 * token: {@link #projectInput}). Then, for the default cell (sigmoid/tanh/tanh, no clip, peepholes or coupling) and
 * sequences of equal length, each step is one fused kernel call ({@link #fused}), and a first step from a zero state
 * skips h·R and the forget gate ({@link #zeroStart}). Everything else — other activations, clip, peepholes,
 * input_forget, per-row sequence lengths — takes the general path: the recurrent product is still one kernel call per
 * step, and the cell update runs per element in plain Java, ONNX's equations written out.
 *
 * <p>With the session's threads the fused path splits ({@link #runPart}): by panels of gate columns at batch 1, each
 * core streaming its share of W and R, by batch rows otherwise; the general path splits only its input projection.
 * For a single timestep a session's threads may instead each run their own rows through every layer ({@link #stepRows}).
 */
final class DirectionStage {
    private final LstmKernels k;
    final Model.DirectionWeights wts;
    private final LayerSpec spec;
    /** Units; panels of 16 of them; floats per row of pre-activations (panels × 4 gates × 16). */
    final int hidden, panels, gateWidth;
    /** Direction 0 or 1; its first column in the layer's output; the layer's input and output widths. */
    final int d, column, inWidth, outWidth;
    /** The default cell (the fused kernels apply); steps run backwards in time. */
    final boolean defaultCell, reverse;
    private final Workspace ws;
    /** A row split's row strides (the widest layer's) and this layer's input stride in one. */
    private final RowWidths rowWidths;
    private final int rowInStride;
    private final Team.Job splitRun = this::runPart, splitProjection = this::projectShare;

    // The run in progress, set by bind and read by its parts on the session's threads.
    private Pass pass;
    private float[] in, y, h, c, gates;
    private boolean zero;
    private boolean skipForgetOfShares;    // the split projection's: set before the team runs it

    DirectionStage(LstmKernels k, Model.LayerWeights layer, int d, int inWidth, int rowInStride, Workspace ws,
                   RowWidths rowWidths) {
        this.k = k;
        this.wts = layer.directions()[d];
        this.spec = layer.spec();
        this.hidden = spec.hiddenSize();
        this.panels = (hidden + PANEL - 1) / PANEL;
        this.gateWidth = panels * 4 * PANEL;
        this.d = d;
        this.column = d * hidden;
        this.inWidth = inWidth;
        this.outWidth = hidden * layer.directions().length;
        this.defaultCell = layer.defaultCell();
        this.reverse = layer.reverse() || d == 1;
        this.ws = ws;
        this.rowWidths = rowWidths;
        this.rowInStride = rowInStride;
    }

    /**
     * Sets the run this stage works on next: {@code in} {@code [seq][batch][inWidth]} into its columns of {@code y}
     * {@code [seq][batch][outWidth]}; h and c {@code [batch][hidden]} hold the initial state and will hold the final
     * one; {@code gates} is the pre-activation buffer to use.
     */
    DirectionStage bind(Pass pass, float[] in, float[] y, float[] h, float[] c, float[] gates) {
        this.pass = pass;
        this.in = in;
        this.y = y;
        this.h = h;
        this.c = c;
        this.gates = gates;
        return this;
    }

    /** Drops the references to the run's arrays, so none outlives the call. */
    void unbind() {
        pass = null;
        in = y = h = c = gates = null;
    }

    /** The bound run, whole: the projection, then every step, on the pass's threads where that pays. */
    void run() {
        int seq = pass.seq, batch = pass.batch, parts = pass.parts();
        boolean fused = defaultCell && pass.lengths == null;
        zero = false;
        if (fused) decideZeroStart();
        if (fused && parts > 1 && (batch >= parts || panels >= parts)) {
            pass.team.run(splitRun);
        } else {
            projectAll(zero && seq == 1);
            if (fused) fused(0, batch, 0, panels, null, 0, seq, ws.widened[0]);
            else general();
        }
        if (fused) finalH();
    }

    /**
     * Part {@code part} of a split run. Batch 1 (fewer rows than threads): each part projects and steps its own panels
     * of gate columns, so each core streams only its share of W and R (at hidden 256 each share of R fits its core's
     * L2), and all parts meet at a barrier after every step. More rows than threads: the projection is split by rows,
     * then each part runs its own batch rows through all steps with no barrier at all.
     */
    private void runPart(int part, int parts) {
        int seq = pass.seq, batch = pass.batch;
        boolean skipForget = zero && seq == 1;
        if (batch >= parts) {
            projectPart(part, parts, skipForget, ws.widened[part]);
            pass.team.barrier();
            fused(Rows.start(batch, part, parts), Rows.start(batch, part + 1, parts), 0, panels, null, 0, seq,
                    ws.widened[part]);
        } else {
            int q0 = Team.start(panels, part, parts), q1 = Team.start(panels, part + 1, parts);
            projectInput(in, inWidth, gates, gateWidth, 0, seq * batch, q0, q1, skipForget, ws.widened[part]);
            fused(0, batch, q0, q1, pass.team, 0, seq, ws.widened[part]);
        }
    }

    /** The bound run's input projection, all rows and panels, split by rows across the threads when that pays. */
    private void projectAll(boolean skipForget) {
        int rows = pass.seq * pass.batch;
        if (pass.team == null || rows < 4 * pass.parts()) {
            projectInput(in, inWidth, gates, gateWidth, 0, rows, 0, panels, skipForget, ws.widened[0]);
        } else {
            skipForgetOfShares = skipForget;
            pass.team.run(splitProjection);
        }
    }

    private void projectShare(int part, int parts) {
        projectPart(part, parts, skipForgetOfShares, ws.widened[part]);
    }

    /** Part {@code part} of {@code parts} of the bound run's input projection over all panels, by rows ({@link Rows#start}). */
    void projectPart(int part, int parts, boolean skipForget, float[] scratch) {
        int rows = pass.seq * pass.batch;
        projectInput(in, inWidth, gates, gateWidth, Rows.start(rows, part, parts), Rows.start(rows, part + 1, parts), 0,
                panels, skipForget, scratch);
    }

    /**
     * Rows {@code r0 .. r1-1} of the bound input, from row {@code r0} (bound runs: the first step ready for the upper
     * layer of a {@link LayerPipeline}), through all panels into the bound gates.
     */
    void projectRows(int r0, int r1, float[] scratch) {
        projectInput(in, inWidth, gates, gateWidth, r0, r1, 0, panels, false, scratch);
    }

    /**
     * Rows {@code r0 .. r1-1} of x (row r at {@code x[r * xStride]}, {@link #inWidth} values), panels
     * {@code q0 .. q1-1}, into rows of gate pre-activations (row r at {@code out[r * outStride]}): x·Wᵀ + b by the
     * kernels, or for a direction with a folded embedding ({@link Embedding}) a copy of each id's row of its lookup
     * table, x then holding one id per row. {@code skipForget}: gate f's columns may be left out (a first step from zero
     * does not read them).
     */
    private void projectInput(float[] x, int xStride, float[] out, int outStride, int r0, int r1, int q0, int q1,
                              boolean skipForget, float[] scratch) {
        if (wts.lookup() == null && r1 - r0 == 1 && wts.reducedW() != null) {
            // One row (a step's projection) streams all of W, as a step does R: read it reduced, from the bias.
            int from = q0 * 4 * PANEL;
            System.arraycopy(wts.bias(), from, out, r0 * outStride + from, (q1 - q0) * 4 * PANEL);
            k.accumulateRow(x, r0 * xStride, wts.reducedW(), q0, q1 - q0, out, r0 * outStride);
            return;
        }
        if (wts.reducedW() != null) {      // W only in its reduced form: widened a panel at a time
            k.project(x, r0 * xStride, xStride, r1 - r0, wts.reducedW(), wts.bias(), q0, q1 - q0, skipForget, scratch, out,
                    r0 * outStride, outStride);
            return;
        }
        if (wts.lookup() == null) {
            k.project(x, r0 * xStride, xStride, r1 - r0, inWidth, wts.w(), wts.bias(), q0, q1 - q0, 4, skipForget, out,
                    r0 * outStride, outStride, gateWidth);
            return;
        }
        int from = q0 * 4 * PANEL, n = (q1 - q0) * 4 * PANEL;
        for (int r = r0; r < r1; r++)
            System.arraycopy(wts.lookup(), (int) x[r * xStride] * gateWidth + from, out, r * outStride + from, n);
    }

    /**
     * Steps {@code s0 .. s1-1} of the bound run, batch rows {@code b0 .. b1-1}, units of panels {@code q0 .. q1-1},
     * each step one fused kernel call; with a barrier, all parts meet after every step but the sequence's last (they
     * split one step's panels, and the next step reads all of h; after the last, the job's end is the meeting). Does
     * not copy the final h ({@link #finalH} does, for all rows).
     */
    void fused(int b0, int b1, int q0, int q1, Team stepBarrier, int s0, int s1, float[] scratch) {
        int seq = pass.seq, batch = pass.batch, rows = b1 - b0;
        for (int s = s0; s < s1; s++) {
            int t = reverse ? seq - 1 - s : s;
            int prev = reverse ? t + 1 : t - 1;
            int pre = (t * batch + b0) * gateWidth, out = (t * batch + b0) * outWidth + column;
            // The previous h: the initial state (null from zero) on the first step, else the last step's output.
            float[] hPrev = s > 0 ? y : zero ? null : h;
            int hAt = s > 0 ? (prev * batch + b0) * outWidth + column : b0 * hidden, hStride = s > 0 ? outWidth : hidden;
            if (wts.reducedR() != null) {      // R only in its reduced form (bf16, int8)
                k.lstmStep(rows, hidden, q0, q1 - q0, wts.reducedR(), scratch, gates, pre, gateWidth, hPrev, hAt, hStride,
                        c, b0 * hidden, hidden, y, out, outWidth);
            } else {
                k.lstmStep(rows, hidden, q0, q1 - q0, wts.r(), gates, pre, gateWidth, hPrev, hAt, hStride, c, b0 * hidden,
                        hidden, y, out, outWidth);
            }
            // The last timestep needs no barrier: the job ends there, and the team's join is one.
            if (stepBarrier != null && s + 1 < seq) stepBarrier.barrier();
        }
    }

    /**
     * Whether the bound run's first step may start from zero ({@link #zeroStart}), decided for its batch rows: their
     * input at timestep 0, or the last one for a reverse direction.
     */
    void decideZeroStart() {
        int first = reverse ? pass.seq - 1 : 0;
        zero = zeroStart(in, first * pass.batch * inWidth, inWidth, pass.batch, h, c, 0, hidden);
    }

    /** h = the last step's output of a fused run, {@code [batch][hidden]}. */
    void finalH() {
        int t = reverse ? 0 : pass.seq - 1;
        Rows.copy(y, t * pass.batch * outWidth + column, outWidth, h, 0, hidden, pass.batch, hidden);
    }

    /**
     * Whether the first step of {@code rows} rows may start from a zero state ({@link LstmKernels#lstmStep} with a
     * null h, which skips h·R and the forget gate): their h and c (from {@code stateAt}, {@code stateStride} apart) are
     * all zero, R is finite, and their input (from {@code x[xAt]}, {@code xStride} apart, {@link #inWidth} values) is
     * within the direction's {@code forgetInputLimit}. Then the skip changes no bit of the result. It is every
     * sequence of W1b (one step, no initial state): there the input projection leaves out a quarter of its work
     * and the cell update one activation of five.
     */
    boolean zeroStart(float[] x, int xAt, int xStride, int rows, float[] h, float[] c, int stateAt, int stateStride) {
        return wts.finiteR() && k.allAbsAtMost(h, stateAt, stateStride, rows, hidden, 0f)
                && k.allAbsAtMost(c, stateAt, stateStride, rows, hidden, 0f)
                && k.allAbsAtMost(x, xAt, xStride, rows, inWidth, wts.forgetInputLimit());
    }

    /**
     * One timestep of batch rows {@code b0 .. b1-1} of a default-cell direction, on the calling thread: the rows'
     * input projection, one fused step, and h = the step's output. With a single timestep, rows depend on nothing but
     * themselves, so a session's threads each run their own rows through every layer this way and never meet until
     * the end (the plan's row split). Every buffer is addressed by row at the strides of {@link RowWidths}, the same
     * for all layers (the widest layer's): a part may still be in one layer while another is in the next, and rows
     * laid out at each layer's own width would overlap between them. Parts call it at once: it writes no field.
     *
     * @param in row b at {@code in[b * rowInStride]}; y, h and c row b at {@code b * } their row width
     */
    void stepRows(float[] in, float[] y, float[] h, float[] c, int b0, int b1, float[] scratch) {
        int rows = b1 - b0, state = rowWidths.state(), out = rowWidths.output(), gateStride = rowWidths.gates();
        boolean zero = zeroStart(in, b0 * rowInStride, rowInStride, rows, h, c, b0 * state, state);
        projectInput(in, rowInStride, ws.gates, gateStride, b0, b1, 0, panels, zero, scratch);
        if (wts.reducedR() != null)
            k.lstmStep(rows, hidden, 0, panels, wts.reducedR(), scratch, ws.gates, b0 * gateStride, gateStride,
                    zero ? null : h, b0 * state, state, c, b0 * state, state, y, b0 * out + column, out);
        else
            k.lstmStep(rows, hidden, 0, panels, wts.r(), ws.gates, b0 * gateStride, gateStride, zero ? null : h,
                    b0 * state, state, c, b0 * state, state, y, b0 * out + column, out);
        Rows.copy(y, b0 * out + column, out, h, b0 * state, state, rows, hidden);
    }

    /**
     * The general path over the bound run: per step one recurrent product for all rows, then ONNX's cell equations
     * per element, with each row's own length (steps past it are zeros in y; a reverse direction starts at the row's
     * last step).
     */
    private void general() {
        int seq = pass.seq, batch = pass.batch;
        int[] lens = pass.lengths;
        GateActivations act = spec.activations().get(d);
        float clip = spec.clip();
        float[] p = wts.peepholes();
        for (int b = 0; b < batch; b++) {
            int len = lens == null ? seq : lens[b];
            for (int t = len; t < seq; t++) Arrays.fill(y, (t * batch + b) * outWidth + column, (t * batch + b) * outWidth + column + hidden, 0f);
            if (len == 0) { // as ONNX Runtime: a sequence of length 0 ends with zero states
                Arrays.fill(h, b * hidden, (b + 1) * hidden, 0f);
                Arrays.fill(c, b * hidden, (b + 1) * hidden, 0f);
            }
        }
        float[] rec = ws.rec;
        for (int s = 0; s < seq; s++) {
            if (wts.reducedR() != null) k.project(h, 0, hidden, batch, wts.reducedR(), null, 0, panels, false, ws.widened[0], rec, 0, gateWidth);
            else k.project(h, 0, hidden, batch, hidden, wts.r(), null, panels, 4, rec, 0, gateWidth, gateWidth);
            for (int b = 0; b < batch; b++) {
                int len = lens == null ? seq : lens[b];
                if (s >= len) continue;
                int t = reverse ? len - 1 - s : s;
                int pre = (t * batch + b) * gateWidth, recRow = b * gateWidth, out = (t * batch + b) * outWidth + column;
                for (int u = 0; u < hidden; u++) {
                    int lane = (u / PANEL) * 4 * PANEL + u % PANEL;
                    int peep = (u / PANEL) * 3 * PANEL + u % PANEL;
                    float cPrev = c[b * hidden + u];
                    float ai = gates[pre + lane] + rec[recRow + lane];
                    float ao = gates[pre + lane + PANEL] + rec[recRow + lane + PANEL];
                    float af = gates[pre + lane + 2 * PANEL] + rec[recRow + lane + 2 * PANEL];
                    float ac = gates[pre + lane + 3 * PANEL] + rec[recRow + lane + 3 * PANEL];
                    if (p != null) {
                        ai += p[peep] * cPrev;
                        af += p[peep + 2 * PANEL] * cPrev;
                    }
                    float i = CellMath.apply(act.f(), CellMath.clip(ai, clip));
                    float f = spec.inputForget() ? 1 - i : CellMath.apply(act.f(), CellMath.clip(af, clip));
                    float g = CellMath.apply(act.g(), CellMath.clip(ac, clip));
                    float cNew = f * cPrev + i * g;
                    if (p != null) ao += p[peep + PANEL] * cNew;
                    float o = CellMath.apply(act.f(), CellMath.clip(ao, clip));
                    float hNew = o * CellMath.apply(act.h(), cNew);
                    c[b * hidden + u] = cNew;
                    h[b * hidden + u] = hNew;
                    y[out + u] = hNew;
                }
            }
        }
    }

    /**
     * The row strides of a row split: the widest layer's h and c ({@code state}), output ({@code output}: hidden ×
     * directions) and pre-activations ({@code gates}). The work buffers hold batch rows of each (the workspace sizes
     * them for the widest layer).
     */
    record RowWidths(int state, int output, int gates) {
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
}
