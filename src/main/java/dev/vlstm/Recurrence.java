package dev.vlstm;

import dev.vlstm.format.GateActivations;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.kernel.LstmKernels;

import java.util.Arrays;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * Runs one direction of one layer over a whole batch of sequences.
 *
 * <p>The input projection for all timesteps is one matrix product. Then, for the default cell (sigmoid/tanh/tanh, no
 * clip, peepholes or coupling) and sequences of equal length, each step is one fused kernel call. Everything else —
 * other activations, clip, peepholes, input_forget, per-row sequence lengths — takes the general path: the recurrent
 * product is still one kernel call per step, and the cell update runs per element in plain Java, ONNX's equations
 * written out.
 *
 * <p>With a session's {@link Team}, the fused path splits across threads ({@link Split}: gate columns at batch 1, batch
 * rows otherwise); the general path splits only its input projection ({@link RowProjection}).
 */
final class Recurrence {
    private Recurrence() {
    }

    /** Work buffers, owned by the session. */
    static final class Buffers {
        float[] gates = new float[0];  // [seq*batch][panels*4*PANEL] pre-activations
        float[] rec = new float[0];    // [batch][panels*4*PANEL] h·R of one step (general path)
        float[] upperGates = new float[0];  // the upper layer's pre-activations in a LayerPipeline
        final LayerPipeline pipeline = new LayerPipeline();
        final Split split = new Split();
        final RowProjection projection = new RowProjection();
    }

    /**
     * @param in     layer input, time-major {@code [seq][batch][inWidth]}
     * @param y      layer output, time-major {@code [seq][batch][yWidth]}; this direction writes columns d*H .. d*H+H-1
     * @param h      in: initial h {@code [batch][H]}; out: final h
     * @param c      in: initial c {@code [batch][H]}; out: final c
     * @param lens   per-row sequence lengths, or null for all {@code seq}
     * @param team   the session's threads, or null to run on the calling thread alone
     */
    static void run(LstmKernels k, Model.LayerWeights layer, int d, float[] in, int inWidth, int seq, int batch,
                    float[] y, int yWidth, float[] h, float[] c, int[] lens, Buffers buf, Team team) {
        LayerSpec spec = layer.spec();
        Model.DirectionWeights wts = layer.directions()[d];
        int hidden = spec.hiddenSize();
        int panels = (hidden + PANEL - 1) / PANEL;
        int gs = panels * 4 * PANEL;
        boolean reverse = layer.reverse() || d == 1;
        boolean fused = layer.defaultCell() && lens == null;
        int parts = team == null ? 1 : team.parts();
        // The first step's input rows: timestep 0, or the last one for a reverse direction.
        boolean zero = fused && zeroStart(k, wts, in, (reverse ? seq - 1 : 0) * batch * inWidth, inWidth, batch, inWidth,
                h, c, 0, hidden, hidden);
        if (fused && parts > 1 && (batch >= parts || panels >= parts)) {
            buf.split.set(k, wts, hidden, d, in, inWidth, seq, batch, reverse, y, yWidth, h, c, zero, buf, team);
            team.run(buf.split);
        } else {
            if (wts.lookup() != null) projectInput(k, wts, in, 0, inWidth, seq * batch, inWidth, 0, panels, false, buf.gates, 0, gs);
            else project(k, in, 0, inWidth, seq * batch, wts.w(), wts.bias(), panels, 4, zero && seq == 1, buf.gates, gs, gs,
                    buf, team);
            if (fused) {
                fused(k, wts, buf.gates, hidden, gs, d, seq, batch, reverse, y, yWidth, h, c, 0, batch, 0, panels, null,
                        zero, 0, seq);
            } else {
                general(k, spec, wts, hidden, gs, d, seq, batch, reverse, y, yWidth, h, c, lens, buf);
            }
        }
        if (fused) copyFinalH(y, yWidth, d * hidden, hidden, seq, batch, reverse, h);
    }

    /**
     * One timestep of batch rows {@code b0 .. b1-1} of one direction of a default-cell layer, on the calling thread:
     * the rows' input projection, one fused step, and h = the step's output. With a single timestep, rows depend on
     * nothing but themselves, so a session's threads each run their own rows through every layer this way and never
     * meet until the end ({@code Session}'s row split). Every buffer is addressed by row at a stride the caller keeps
     * the same for all layers (the widest layer's width): a part may still be in one layer while another is in the
     * next, and rows laid out at each layer's own width would overlap between them.
     *
     * @param in          layer input, row b at {@code in[b * inStride]}, {@code inWidth} values
     * @param y           layer output, row b at {@code y[b * yStride]}; this direction writes columns d*H .. d*H+H-1
     * @param h           in: initial h, row b at {@code h[b * stateStride]}; out: final h
     * @param c           in: initial c, the same layout; out: final c
     * @param gates       pre-activations, row b at {@code gates[b * gateStride]}
     */
    static void stepRows(LstmKernels k, Model.DirectionWeights wts, int hidden, int d, float[] in, int inWidth,
                         int inStride, int b0, int b1, float[] y, int yStride, float[] h, float[] c, int stateStride,
                         float[] gates, int gateStride) {
        int panels = (hidden + PANEL - 1) / PANEL, gs = panels * 4 * PANEL, rows = b1 - b0, col = d * hidden;
        boolean zero = zeroStart(k, wts, in, b0 * inStride, inStride, rows, inWidth, h, c, b0 * stateStride, stateStride,
                hidden);
        projectInput(k, wts, in, b0 * inStride, inStride, rows, inWidth, 0, panels, zero, gates, b0 * gateStride, gateStride);
        k.lstmStep(rows, hidden, 0, panels, wts.r(), gates, b0 * gateStride, gateStride,
                zero ? null : h, b0 * stateStride, stateStride,
                c, b0 * stateStride, stateStride, y, b0 * yStride + col, yStride);
        copyRows(y, b0 * yStride + col, yStride, h, b0 * stateStride, stateStride, rows, hidden);
    }

    /** h = the last step's output of a fused run: rows of y at column {@code col}, {@code [batch][H]}. */
    static void copyFinalH(float[] y, int yWidth, int col, int hidden, int seq, int batch, boolean reverse, float[] h) {
        int t = reverse ? 0 : seq - 1;
        copyRows(y, t * batch * yWidth + col, yWidth, h, 0, hidden, batch, hidden);
    }

    /**
     * {@code rows} rows of {@code width} floats, {@code fromStride} apart from {@code from[fromAt]}, to
     * {@code toStride} apart from {@code to[toAt]}: one copy when both are dense (W1b's 150 rows of 16 units per layer
     * were 150 calls, about 5 % of its time at 1 thread).
     */
    static void copyRows(float[] from, int fromAt, int fromStride, float[] to, int toAt, int toStride, int rows, int width) {
        if (fromStride == width && toStride == width) {
            System.arraycopy(from, fromAt, to, toAt, rows * width);
            return;
        }
        for (int r = 0; r < rows; r++) System.arraycopy(from, fromAt + r * fromStride, to, toAt + r * toStride, width);
    }

    /**
     * {@code rows} rows of x (from xOffset, width and stride {@code width}) through a panel matrix into out (from 0,
     * stride outStride), split by rows across the team when there are enough rows to be worth a hand-off.
     */
    static void project(LstmKernels k, float[] x, int xOffset, int width, int rows, float[] w, float[] bias,
                        int panels, int gates, boolean skipForget, float[] out, int outStride, int outColumns,
                        Buffers buf, Team team) {
        if (team == null || rows < 4 * team.parts()) {
            k.project(x, xOffset, width, rows, width, w, bias, 0, panels, gates, skipForget, out, 0, outStride, outColumns);
            return;
        }
        buf.projection.set(k, x, xOffset, width, rows, w, bias, panels, gates, skipForget, out, outStride, outColumns);
        team.run(buf.projection);
    }

    /**
     * Steps {@code s0 .. s1-1} of {@code seq} timesteps of batch rows {@code b0 .. b1-1}, units of panels
     * {@code q0 .. q1-1}, each step one fused kernel call; with a barrier, all parts meet after every step but the
     * sequence's last (they split one step's panels, and the next step reads all of h; after the last, the job's end
     * is the meeting). Does not copy the final h (the caller does, for all rows). {@code zero}: the first step starts
     * from a zero state ({@link #zeroStart}).
     */
    static void fused(LstmKernels k, Model.DirectionWeights wts, float[] gates, int hidden, int gs, int d,
                      int seq, int batch, boolean reverse, float[] y, int yWidth, float[] h, float[] c, int b0, int b1,
                      int q0, int q1, Team stepBarrier, boolean zero, int s0, int s1) {
        int col = d * hidden, rows = b1 - b0;
        for (int s = s0; s < s1; s++) {
            int t = reverse ? seq - 1 - s : s;
            int prev = reverse ? t + 1 : t - 1;
            int pre = (t * batch + b0) * gs, out = (t * batch + b0) * yWidth + col;
            if (s == 0) {
                k.lstmStep(rows, hidden, q0, q1 - q0, wts.r(), gates, pre, gs, zero ? null : h, b0 * hidden, hidden,
                        c, b0 * hidden, hidden, y, out, yWidth);
            } else {
                k.lstmStep(rows, hidden, q0, q1 - q0, wts.r(), gates, pre, gs, y, (prev * batch + b0) * yWidth + col,
                        yWidth, c, b0 * hidden, hidden, y, out, yWidth);
            }
            // The last timestep needs no barrier: the job ends there, and the team's join is one.
            if (stepBarrier != null && s + 1 < seq) stepBarrier.barrier();
        }
    }

    /**
     * Whether the first step of {@code rows} rows may start from a zero state ({@link LstmKernels#lstmStep} with a
     * null h, which skips h·R and the forget gate): their h and c (from {@code stateAt}, {@code stateStride} apart) are
     * all zero, R is finite, and their input (from {@code x[xAt]}, {@code xStride} apart, {@code width} values) is
     * within the direction's {@code forgetInputLimit}. Then the skip changes no bit of the result. It is every
     * sequence of W1b (one step, no initial state): there the input projection leaves out a quarter of its work
     * and the cell update one activation of five.
     */
    static boolean zeroStart(LstmKernels k, Model.DirectionWeights wts, float[] x, int xAt, int xStride, int rows,
                             int width, float[] h, float[] c, int stateAt, int stateStride, int hidden) {
        return wts.finiteR() && k.allAbsAtMost(h, stateAt, stateStride, rows, hidden, 0f)
                && k.allAbsAtMost(c, stateAt, stateStride, rows, hidden, 0f)
                && k.allAbsAtMost(x, xAt, xStride, rows, width, wts.forgetInputLimit());
    }

    private static void general(LstmKernels k, LayerSpec spec, Model.DirectionWeights wts, int hidden, int gs, int d,
                                int seq, int batch, boolean reverse, float[] y, int yWidth, float[] h, float[] c,
                                int[] lens, Buffers buf) {
        int col = d * hidden;
        GateActivations act = spec.activations().get(d);
        float clip = spec.clip();
        float[] p = wts.peepholes();
        for (int b = 0; b < batch; b++) {
            int len = lens == null ? seq : lens[b];
            for (int t = len; t < seq; t++) Arrays.fill(y, (t * batch + b) * yWidth + col, (t * batch + b) * yWidth + col + hidden, 0f);
            if (len == 0) { // as ONNX Runtime: a sequence of length 0 ends with zero states
                Arrays.fill(h, b * hidden, (b + 1) * hidden, 0f);
                Arrays.fill(c, b * hidden, (b + 1) * hidden, 0f);
            }
        }
        for (int s = 0; s < seq; s++) {
            k.project(h, 0, hidden, batch, hidden, wts.r(), null, (hidden + PANEL - 1) / PANEL, 4, buf.rec, 0, gs, gs);
            for (int b = 0; b < batch; b++) {
                int len = lens == null ? seq : lens[b];
                if (s >= len) continue;
                int t = reverse ? len - 1 - s : s;
                int pre = (t * batch + b) * gs, rec = b * gs, out = (t * batch + b) * yWidth + col;
                for (int u = 0; u < hidden; u++) {
                    int lane = (u / PANEL) * 4 * PANEL + u % PANEL;
                    int peep = (u / PANEL) * 3 * PANEL + u % PANEL;
                    float cPrev = c[b * hidden + u];
                    float ai = buf.gates[pre + lane] + buf.rec[rec + lane];
                    float ao = buf.gates[pre + lane + PANEL] + buf.rec[rec + lane + PANEL];
                    float af = buf.gates[pre + lane + 2 * PANEL] + buf.rec[rec + lane + 2 * PANEL];
                    float ac = buf.gates[pre + lane + 3 * PANEL] + buf.rec[rec + lane + 3 * PANEL];
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
     * One layer direction on several threads, the fused path. Batch 1 (fewer rows than threads): each part projects
     * and steps its own panels of gate columns, so each core streams only its share of W and R (at hidden 256 each
     * share of R fits its core's L2), and all parts meet at a barrier after every step. More rows than threads: the
     * projection is split by rows, then each part runs its own batch rows through all steps with no barrier at all.
     * Reused by its session, so a run allocates nothing.
     */
    static final class Split implements Team.Job {
        private LstmKernels k;
        private Model.DirectionWeights wts;
        private int hidden, d, inWidth, seq, batch, yWidth;
        private boolean reverse;
        private float[] in, y, h, c;
        private boolean zero;
        private Buffers buf;
        private Team team;

        void set(LstmKernels k, Model.DirectionWeights wts, int hidden, int d, float[] in, int inWidth, int seq,
                 int batch, boolean reverse, float[] y, int yWidth, float[] h, float[] c, boolean zero, Buffers buf,
                 Team team) {
            this.k = k; this.wts = wts; this.hidden = hidden; this.d = d; this.in = in; this.inWidth = inWidth;
            this.seq = seq; this.batch = batch; this.reverse = reverse; this.y = y; this.yWidth = yWidth;
            this.h = h; this.c = c; this.zero = zero; this.buf = buf; this.team = team;
        }

        @Override
        public void run(int part, int parts) {
            int panels = (hidden + PANEL - 1) / PANEL, gs = panels * 4 * PANEL, rows = seq * batch;
            boolean skipForget = zero && seq == 1;
            if (batch >= parts) {
                projectInputRows(k, wts, in, inWidth, rows, skipForget, buf.gates, part, parts);
                team.barrier();
                fused(k, wts, buf.gates, hidden, gs, d, seq, batch, reverse, y, yWidth, h, c,
                        rowStart(batch, part, parts), rowStart(batch, part + 1, parts), 0, panels, null, zero, 0, seq);
            } else {
                int q0 = Team.start(panels, part, parts), q1 = Team.start(panels, part + 1, parts);
                projectInput(k, wts, in, 0, inWidth, rows, inWidth, q0, q1 - q0, skipForget, buf.gates, 0, gs);
                fused(k, wts, buf.gates, hidden, gs, d, seq, batch, reverse, y, yWidth, h, c, 0, batch, q0, q1, team,
                        zero, 0, seq);
            }
        }
    }

    /**
     * First row of part {@code part} (batch rows, or the rows of a split projection): an even share, moved to a
     * multiple of 6 when every part still gets at least 6 rows, because the kernels take rows 6 at a time (then 4,
     * then singly) and a single row costs about three times a blocked one: 64 rows on 2 threads split 30 + 34
     * (5 blocks; 5 blocks + 4), not 32 + 32 (5 blocks + 2 single rows each).
     */
    static int rowStart(int batch, int part, int parts) {
        int even = Team.start(batch, part, parts);
        if (part == 0 || part == parts || batch < 6 * parts) return even;
        return Math.round(even / 6f) * 6;
    }

    /** A projection split by rows across the team; reused by its session. */
    static final class RowProjection implements Team.Job {
        private LstmKernels k;
        private float[] x, out;
        private int xOffset, width, rows, panels, gates, outStride, outColumns;
        private boolean skipForget;
        private float[] w, bias;

        void set(LstmKernels k, float[] x, int xOffset, int width, int rows, float[] w, float[] bias,
                 int panels, int gates, boolean skipForget, float[] out, int outStride, int outColumns) {
            this.k = k; this.x = x; this.xOffset = xOffset; this.width = width; this.rows = rows; this.w = w; this.bias = bias;
            this.panels = panels; this.gates = gates; this.skipForget = skipForget; this.out = out;
            this.outStride = outStride; this.outColumns = outColumns;
        }

        @Override
        public void run(int part, int parts) {
            projectRows(k, x, xOffset, width, rows, w, bias, panels, gates, skipForget, out, outStride, outColumns,
                    part, parts);
        }
    }

    /**
     * A layer direction's input projection of {@code rows} rows, panels {@code q0 .. q0 + panels - 1}, into rows of
     * gate pre-activations from {@code out[outOffset]}, {@code outStride} apart: x·Wᵀ + b by the kernels, or for a
     * direction with a folded embedding ({@link Embedding}) a copy of each id's row of its lookup table, x then holding
     * one id per row. {@code skipForget}: gate f's columns may be left out (a first step from zero does not read them).
     */
    static void projectInput(LstmKernels k, Model.DirectionWeights wts, float[] x, int xOffset, int xStride, int rows,
                             int width, int q0, int panels, boolean skipForget, float[] out, int outOffset, int outStride) {
        int gs = wts.bias().length;
        if (wts.lookup() == null) {
            k.project(x, xOffset, xStride, rows, width, wts.w(), wts.bias(), q0, panels, 4, skipForget, out, outOffset,
                    outStride, gs);
            return;
        }
        int from = q0 * 4 * PANEL, n = panels * 4 * PANEL;
        for (int r = 0; r < rows; r++)
            System.arraycopy(wts.lookup(), (int) x[xOffset + r * xStride] * gs + from, out, outOffset + r * outStride + from, n);
    }

    /** Part {@code part} of {@code parts} of a direction's {@link #projectInput} over all panels, by rows ({@link #rowStart}). */
    static void projectInputRows(LstmKernels k, Model.DirectionWeights wts, float[] x, int width, int rows,
                                 boolean skipForget, float[] out, int part, int parts) {
        int r0 = rowStart(rows, part, parts), r1 = rowStart(rows, part + 1, parts), gs = wts.bias().length;
        projectInput(k, wts, x, r0 * width, width, r1 - r0, width, 0, gs / (4 * PANEL), skipForget, out, r0 * gs, gs);
    }

    /** Part {@code part} of {@code parts} of {@link #project}'s rows: the same product over an even share of them. */
    static void projectRows(LstmKernels k, float[] x, int xOffset, int width, int rows, float[] w, float[] bias,
                            int panels, int gates, boolean skipForget, float[] out, int outStride, int outColumns,
                            int part, int parts) {
        int r0 = rowStart(rows, part, parts), r1 = rowStart(rows, part + 1, parts);
        k.project(x, xOffset + r0 * width, width, r1 - r0, width, w, bias, 0, panels, gates, skipForget, out,
                r0 * outStride, outStride, outColumns);
    }
}
