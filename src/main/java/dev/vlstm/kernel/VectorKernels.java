package dev.vlstm.kernel;

import static dev.vlstm.kernel.PanelSpecies.LANES;
import static dev.vlstm.kernel.PanelSpecies.SLICES;
import static dev.vlstm.kernel.PanelSpecies.SPECIES;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link LstmKernels} on the Vector API, ncnn style: weights are gate-packed panels, so one vector load holds the same
 * gate for {@link PanelSpecies#LANES} consecutive output units. The kernels broadcast one input value at a time and FMA
 * it into independent accumulators (no horizontal reductions), and block rows so each weight load serves several rows.
 *
 * <p>Loaded only through {@link Kernels}, by name, so no class touching {@code jdk.incubator.vector} is loaded when the
 * module is absent. Vectors of 512, 256 or 128 bits all work.
 *
 * <h2>One rule: no vector crosses a method boundary</h2>
 * Every method here takes and returns only arrays and numbers; vectors live inside one method, built and
 * consumed by Vector API calls (which are always inlined). C2 stops inlining our own methods once a compilation grows
 * past NodeCountInliningCutoff, and the Vector API is large in its eyes; a vector passed to or returned from a method
 * that was not inlined is boxed. Measured before this rule: a 4-row step block that inlined the activations ran 12x
 * slower (356 us instead of 30 us, H = 256, batch 4), and after a test suite had polluted the profiles a session
 * allocated 1 KB per step. So the recurrent product writes its sums back into {@code pre}, and the activations and
 * the cell update run as small array-in, array-out passes over it.
 *
 * <h2>Column vectors</h2>
 * Both operations are one product: {@code acc[r][col] += sum_k x[r][k] * w(col, k)}. The output columns of a panel
 * matrix come in "column vectors" of LANES consecutive columns; column vector {@code cv} is slice
 * {@code cv % SLICES} of gate line {@code cv / SLICES} (that is, of gate {@code g} in panel {@code q} with
 * {@code cv / SLICES = q*gates + g}). Its weights are one vector every {@code PANEL} floats, one per k, in the gate
 * line's own block ({@link GateLines}). With 256-bit vectors a pair of column vectors is one gate line, 64 contiguous
 * bytes per k, and 8 are a panel's four gate lines, read side by side.
 *
 * <h2>Block shapes (measured on the build machine: Zen 3, AVX2, 16 vector registers, 256-bit vectors)</h2>
 * The FMA unit needs 8 independent chains to stay busy (4-cycle latency, 2 per cycle); its peak here is about
 * 101 GFLOP/s per core (FmaPeakBenchmark: 12 register-only chains).
 * <ul>
 * <li>6 rows x 2 column vectors (LSTM gate matrices), 12 accumulators: 2 weight loads and 6 broadcasts feed 12 FMAs,
 *     and 12 chains leave slack over the 8 needed. Weights come from a heap array at index {@code w0 + kk * K_STEP},
 *     so C2 removes the range checks and the loop is 2 loads, 6 broadcasts, 12 FMAs and 13 integer instructions.
 *     ProjectBenchmark at W4's step (64 x 256 x 1024): the 4 x 2 block it replaced ran 1.3x slower from a native
 *     MemorySegment (bounds checks and stack spills in the loop) and 1.1-1.2x slower from an array. Tried and
 *     dropped: unrolling k by two (C2 hoists the next loads and spills 4 accumulators), the same block on rows
 *     packed [k][6] (a broadcast hoisted too far: one spill), and 5 x 2 (no faster). In the file's order, where a
 *     pair's weights for consecutive k were 256 bytes apart, it ran about 12 % slower (GateLines).
 * <li>4 x 2 for a last block of 4 rows (rows % 6 >= 4), 4 x 1 and single rows for heads (gates = 1): heads are small
 *     next to the layers.
 * <li>1 row x 8 column vectors for single rows (batch 1, row tails): 8 independent FMA chains cover the FMA latency,
 *     and one panel (AVX2) or two (AVX-512) stream once per row, their 4 (8) gate lines side by side: a batch-1 step
 *     streams R at about the L3's bandwidth. Then 1 x 2 and 1 x 1 for the last column vectors.
 * </ul>
 * Column pairs are the outer loop, rows the inner one, so a pair's weights stay in L1 while the rows pass. All block
 * loads and stores are whole, unmasked vectors; a head's partial last column vector has its own small kernels with a
 * masked store (masked loads feeding the accumulators made C2 box them: 30x slower).
 */
final class VectorKernels implements LstmKernels {

    /**
     * Floats between one k and the next in a gate line ({@link GateLines}: each gate line is its own {@code [k][PANEL]}
     * block, in layers and heads alike). A constant, so that C2 sees the weight index as {@code w0 + kk * K_STEP} and
     * drops its range checks from the loop (with the step as an argument, each weight load kept a bounds check and the
     * 6-row kernel spilled registers to the stack).
     */
    private static final int K_STEP = PANEL;
    /**
     * k per widening of a reduced panel in a step of several rows: 128 × 256 bytes, 32 KB of scratch, read from L1 by
     * the row blocks. Against the whole panel at once (64 KB at hidden 256, from L2), W4 on an Intel Xeon with AVX-512:
     * int8 128.2 → 118.0 ms, bf16 130.8 → 121.9 (fp32 119–122); 64 gave int8 131.9 (BENCHMARKS.md, 2026-12-08).
     */
    static final int WIDEN_K = 128;
    /** A row of zeros as wide as a panel: the start of int8's sums (an init row of stride 0 for {@link #accumulate}). */
    private static final float[] ZEROS = new float[4 * PANEL];

    /**
     * Floats from a column vector's weights to the next column vector's when both are slices of one gate line (256-bit
     * and 128-bit vectors), as a constant the blocked kernels fold into their loads; 0 with 512-bit vectors, where a
     * column vector is a whole line and the next one is a line (k * PANEL floats) further.
     */
    private static final int NEXT_SLICE = SLICES > 1 ? LANES : 0;

    /**
     * tanh(x) = x * P(x^2) / Q(x^2) for |x| <= TANH_RANGE, a rational minimax fit of degree 4 over 4 in x^2 made by
     * tools/fit_tanh.py (iteratively reweighted least squares on the absolute error; 1.9e-8 in exact arithmetic) over
     * [0, 9]. Past 8 the result is ±1: in float the fit rounds above 1 from 8.09 on (up to 1.0000002), which would
     * make sigmoid a hair negative, and tanh(8) is 1 - 2.3e-7 anyway.
     */
    private static final float TANH_RANGE = 8f,
            TANH_P0 = 0.9999998807907104f, TANH_P1 = 0.13373252749443054f, TANH_P2 = 0.003486646804958582f,
            TANH_P3 = 2.0472885807976127e-05f, TANH_P4 = 1.3185665004300517e-08f,
            TANH_Q1 = 0.4670654833316803f, TANH_Q2 = 0.025842227041721344f, TANH_Q3 = 0.0003271490859333426f,
            TANH_Q4 = 7.70325755183876e-07f;
    private static final int FORGET = 2;        // gate f's index among i, o, f, c~
    /**
     * Gate sums per block of rows in {@link #cellUpdateRows}: 8 KB, which with the block's rows of c and h stays in
     * L1: 32 rows of a one-panel layer (hidden <= 16), 8 of a four-panel one. Wider layers, whose rows are long loops
     * already, keep {@link #cellUpdate} row by row (at hidden 256, blocks of 2 rows were no faster for W4).
     */
    private static final int CELL_BLOCK_FLOATS = 2048, MIN_CELL_BLOCK = 8;
    private static final int SIGN_BIT = 0x8000_0000, ONE_BITS = Float.floatToRawIntBits(1f);


    VectorKernels() {
        // PanelSpecies is initialised by now (VECTOR_BYTES); fail here, not in a hot loop, if the vectors are useless.
        if (LANES < 4)
            throw new UnsupportedOperationException("the preferred vector size is " + SPECIES.vectorBitSize()
                    + " bits; vlstm's vector kernels need at least 128");
    }

    @Override
    public String name() {
        return "vector (" + LANES + " lanes)";
    }

    @Override
    public void project(float[] x, int xOffset, int xStride, int rows, int k,
                        float[] w, float[] bias, int firstPanel, int panels, int gates, boolean skipForget,
                        float[] out, int outOffset, int outStride, int outColumns) {
        int first = firstPanel * gates * SLICES, all = (firstPanel + panels) * gates * SLICES;
        int whole = Math.min(outColumns / LANES, all);
        if (gates == 4 && bias != null) {
            // The accumulators start from the bias (every row's start is the same bias row: stride 0), so out is
            // written once, not filled with the bias and then read back (at W4's projection, 26 MB each way).
            accumulate(x, xOffset, xStride, rows, k, w, gates, skipForget, first, whole, bias, 0, 0, out, outOffset,
                    outStride);
        } else {
            // out starts as the bias (or zero), then the product accumulates in place. Plain copies, not vectors: in
            // this big method the vector loads here were left without their intrinsic once C2's inlining budget ran
            // out, and allocated (JFR, W3 at one thread: 8 KB per call).
            int from = first * LANES, length = (whole - first) * LANES;
            for (int r = 0; r < rows; r++) {
                int row = outOffset + r * outStride + from;
                if (bias == null) Arrays.fill(out, row, row + length, 0f);
                else System.arraycopy(bias, from, out, row, length);
            }
            accumulate(x, xOffset, xStride, rows, k, w, gates, skipForget, first, whole, out, outOffset, outStride, out,
                    outOffset, outStride);
        }
        int col = whole * LANES;
        if (col < outColumns && whole < all) {     // a partial last column vector: only a head narrower than panels
            partialColumn(x, xOffset, xStride, rows, k, w, columnBase(whole, k), bias, out, outOffset, outStride, col,
                    outColumns);
        }
    }

    @Override
    public boolean allAbsAtMost(float[] a, int offset, int stride, int rows, int width, float limit) {
        if (stride == width) {      // dense rows are one long row: no tail per row (W1b's input rows are 100 wide)
            width *= rows;
            rows = 1;
        }
        int whole = width - width % LANES, quads = width - width % (4 * LANES);
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            // Four vectors a round, four masks: independent compares, and over FreqInlineSize bytes of bytecode, so
            // this compiles on its own instead of inside the session's methods (CompileUnitTest).
            VectorMask<Float> w0 = SPECIES.maskAll(true), w1 = w0, w2 = w0, w3 = w0;
            for (int i = 0; i < quads; i += 4 * LANES) {     // LE is false for NaN
                w0 = w0.and(FloatVector.fromArray(SPECIES, a, row + i).abs().compare(VectorOperators.LE, limit));
                w1 = w1.and(FloatVector.fromArray(SPECIES, a, row + i + LANES).abs().compare(VectorOperators.LE, limit));
                w2 = w2.and(FloatVector.fromArray(SPECIES, a, row + i + 2 * LANES).abs().compare(VectorOperators.LE, limit));
                w3 = w3.and(FloatVector.fromArray(SPECIES, a, row + i + 3 * LANES).abs().compare(VectorOperators.LE, limit));
            }
            for (int i = quads; i < whole; i += LANES) {
                w0 = w0.and(FloatVector.fromArray(SPECIES, a, row + i).abs().compare(VectorOperators.LE, limit));
            }
            if (!w0.and(w1).and(w2).and(w3).allTrue()) return false;
            for (int i = row + whole; i < row + width; i++) if (!(Math.abs(a[i]) <= limit)) return false;
        }
        return true;
    }

    /**
     * One LSTM step in passes over {@code pre}: (1) the recurrent product adds hPrev·R to pre in place ({@link #project}'s
     * product with k = hidden); (2) {@link #cellUpdate} (one row) or {@link #cellUpdateRows} (blocks of rows) activates
     * the gates in place, then computes the cell and the hidden output from them. Each pass is a small method over
     * arrays (see the class comment).
     */
    @Override
    public void lstmStep(int batch, int hidden, int firstPanel, int panels, float[] r,
                         float[] pre, int preOffset, int preStride,
                         float[] hPrev, int hPrevOffset, int hPrevStride,
                         float[] c, int cOffset, int cStride,
                         float[] hOut, int hOutOffset, int hOutStride) {
        step(batch, hidden, firstPanel, panels, r, null, null, pre, preOffset, preStride, hPrev, hPrevOffset, hPrevStride,
                c, cOffset, cStride, hOut, hOutOffset, hOutStride);
    }

    /**
     * One row reads R in its reduced form ({@link ReducedKernels#accumulate}); several rows widen it a panel at a time
     * into {@code scratch} and run {@link #accumulate}'s fp32 blocks over that panel; the cell update is the fp32
     * step's.
     */
    @Override
    public void lstmStep(int batch, int hidden, int firstPanel, int panels, ReducedMatrix r, float[] scratch,
                         float[] pre, int preOffset, int preStride,
                         float[] hPrev, int hPrevOffset, int hPrevStride,
                         float[] c, int cOffset, int cStride,
                         float[] hOut, int hOutOffset, int hOutStride) {
        step(batch, hidden, firstPanel, panels, null, r, scratch, pre, preOffset, preStride, hPrev, hPrevOffset,
                hPrevStride, c, cOffset, cStride, hOut, hOutOffset, hOutStride);
    }

    /**
     * Both steps, over an fp32 R ({@code reduced} null) or a reduced one. One method, large enough to be a compilation
     * root, so the two public ones reach no vector code of their own and inline into any caller harmlessly; the
     * vector code itself is in accumulate, ReducedKernels' blocks and the cell update, each a root (CompileUnitTest).
     */
    private static void step(int batch, int hidden, int firstPanel, int panels, float[] r, ReducedMatrix reduced,
                             float[] scratch, float[] pre, int preOffset, int preStride,
                             float[] hPrev, int hPrevOffset, int hPrevStride,
                             float[] c, int cOffset, int cStride,
                             float[] hOut, int hOutOffset, int hOutStride) {
        int cv0 = firstPanel * 4 * SLICES, cv1 = (firstPanel + panels) * 4 * SLICES;
        if (hPrev == null) {
            // a zero state: nothing to add
        } else if (reduced != null && reduced.lanes != LANES) {
            // Laid out for another width (a matrix built while another implementation was the default): plain Java,
            // whose rows too get the same bits whatever the batch.
            ScalarKernels.reducedRows(batch, hidden, firstPanel, panels, reduced, scratch, pre, preOffset, preStride,
                    hPrev, hPrevOffset, hPrevStride);
        } else if (reduced != null && batch == 1) {
            ReducedKernels.accumulate(hPrev, hPrevOffset, reduced, cv0, cv1, pre, preOffset);
        } else if (reduced != null) {
            // A panel's k in chunks of WIDEN_K: widened into a scratch that stays in L1 (WIDEN_K × 256 bytes) and read
            // from there by the row blocks, each chunk summed in place, so the sums are the same operations in the same
            // order as one pass over the whole panel, and as a row alone gives (ReducedKernels.accumulate): bf16 from
            // pre; int8 from 0, into scratch after the chunk, then scaled once and added to pre (scaleSums).
            boolean int8 = reduced.int8 != null;
            int sums = 4 * Math.min(WIDEN_K, hidden) * PANEL;
            float[] acc = int8 ? scratch : pre;                 // where the chunks sum: int8's sums, else pre itself
            int accStride = int8 ? 4 * PANEL : preStride;
            for (int q = firstPanel; q < firstPanel + panels; q++) {
                int at = preOffset + q * 4 * PANEL, a = int8 ? sums : at;
                for (int k0 = 0; k0 < hidden; k0 += WIDEN_K) {
                    int kn = Math.min(WIDEN_K, hidden - k0);
                    boolean fromZero = int8 && k0 == 0;
                    ReducedKernels.widenPanel(reduced, q, k0, kn, scratch);
                    accumulate(hPrev, hPrevOffset + k0, hPrevStride, batch, kn, scratch, 4, false, 0, 4 * SLICES,
                            fromZero ? ZEROS : acc, fromZero ? 0 : a, fromZero ? 0 : accStride, acc, a, accStride);
                }
                if (int8) scaleSums(batch, scratch, sums, accStride, reduced.scales, q * 4 * PANEL, pre, at, preStride, pre, at, preStride);
            }
        } else if (batch == 1 && cv1 - cv0 == 8) {
            // One row over 8 column vectors (one AVX2 panel, two AVX-512 ones): W1's steps. The same block1x8 call
            // that accumulate makes for such a row, without its dispatch (vlstm bench W1, 1 thread: 67-70 -> 61-65 us).
            int at = preOffset + cv0 * LANES;
            block1x8(hPrev, hPrevOffset, hidden, r, columnBase(cv0, hidden), pre, at, pre, at);
        } else {
            accumulate(hPrev, hPrevOffset, hPrevStride, batch, hidden, r, 4, false, cv0, cv1, pre, preOffset, preStride,
                    pre, preOffset, preStride);
        }
        // The cell update sees the panels as a smaller LSTM: rows start at the first panel's unit.
        int unit = firstPanel * PANEL, units = Math.min(hidden - unit, panels * PANEL), gateColumn = firstPanel * 4 * PANEL;
        int block = CELL_BLOCK_FLOATS / (panels * 4 * PANEL);
        if (batch == 1 || block < MIN_CELL_BLOCK) {
            for (int b = 0; b < batch; b++) {
                cellUpdate(units, pre, preOffset + b * preStride + gateColumn, c, cOffset + b * cStride + unit,
                        hOut, hOutOffset + b * hOutStride + unit, hPrev == null);
            }
            return;
        }
        for (int b = 0; b < batch; b += block) {
            cellUpdateRows(Math.min(block, batch - b), units, pre, preOffset + b * preStride + gateColumn, preStride,
                    c, cOffset + b * cStride + unit, cStride, hOut, hOutOffset + b * hOutStride + unit, hOutStride,
                    hPrev == null);
        }
    }

    @Override
    public int lanes() {
        return LANES;
    }

    @Override
    public void accumulateRow(float[] x, int xOffset, ReducedMatrix w, int firstPanel, int panels, float[] out,
                              int outOffset) {
        if (w.lanes == LANES) {
            ReducedKernels.accumulate(x, xOffset, w, firstPanel * 4 * SLICES, (firstPanel + panels) * 4 * SLICES, out,
                    outOffset);
        } else {
            ScalarKernels.reducedProduct(w.k, firstPanel, panels, w, out, outOffset, x, xOffset);
        }
    }

    /**
     * A reduced matrix's product, a panel at a time from {@code scratch} with {@link #accumulate}, each row as a row
     * alone gives it ({@link #accumulateRow}): bf16 from the panel's bias (stride 0, as {@link #project}'s) or, with
     * none, from zeros written to out first; int8 from zeros (its sums written to out), then scaled once and the bias
     * added ({@link #scaleSums}).
     */
    @Override
    public void project(float[] x, int xOffset, int xStride, int rows, ReducedMatrix w, float[] bias, int firstPanel,
                        int panels, boolean skipForget, float[] scratch, float[] out, int outOffset, int outStride) {
        if (w.lanes != LANES) {     // laid out for another width: plain Java, each row as accumulateRow gives it
            ScalarKernels.reducedProject(x, xOffset, xStride, rows, w, bias, firstPanel, panels, scratch, out, outOffset,
                    outStride);
            return;
        }
        for (int q = firstPanel; q < firstPanel + panels; q++) {
            ReducedKernels.widenPanel(w, q, 0, w.k, scratch);
            int at = outOffset + q * 4 * PANEL, column = q * 4 * PANEL;
            if (w.int8 != null) {
                accumulate(x, xOffset, xStride, rows, w.k, scratch, 4, skipForget, 0, 4 * SLICES, ZEROS, 0, 0, out, at,
                        outStride);
                scaleSums(rows, out, at, outStride, w.scales, column, bias == null ? ZEROS : bias,
                        bias == null ? 0 : column, 0, out, at, outStride);
            } else if (bias != null) {
                accumulate(x, xOffset, xStride, rows, w.k, scratch, 4, skipForget, 0, 4 * SLICES, bias, column, 0,
                        out, at, outStride);
            } else {
                for (int r = 0; r < rows; r++) Arrays.fill(out, at + r * outStride, at + r * outStride + 4 * PANEL, 0f);
                accumulate(x, xOffset, xStride, rows, w.k, scratch, 4, skipForget, 0, 4 * SLICES, out, at, outStride,
                        out, at, outStride);
            }
        }
    }

    /**
     * int8's last step over one panel's columns of {@code rows} rows: {@code out = sum × scale + add}, one fused
     * operation per vector, as the one-row blocks end ({@code ReducedKernels.int8Block1x8}); {@code add}'s rows
     * {@code addStride} apart (0: one row for all, a bias). Four vectors of two rows per iteration, a body C2 compiles
     * as its own unit; with an odd count the last row is both rows of its iteration, which is harmless even when
     * {@code add} is {@code out}, since all eight results are computed before any is stored.
     */
    private static void scaleSums(int rows, float[] sums, int s0, int sumsStride, float[] scales, int c0,
                                  float[] add, int a0, int addStride, float[] out, int o0, int outStride) {
        for (int v = 0; v < 4 * PANEL; v += 4 * LANES) {
            FloatVector m0 = FloatVector.fromArray(SPECIES, scales, c0 + v);
            FloatVector m1 = FloatVector.fromArray(SPECIES, scales, c0 + v + LANES);
            FloatVector m2 = FloatVector.fromArray(SPECIES, scales, c0 + v + 2 * LANES);
            FloatVector m3 = FloatVector.fromArray(SPECIES, scales, c0 + v + 3 * LANES);
            for (int r = 0; r < rows; r += 2) {
                int r2 = Math.min(r + 1, rows - 1);
                int s = s0 + r * sumsStride + v, a = a0 + r * addStride + v, o = o0 + r * outStride + v;
                int t = s0 + r2 * sumsStride + v, b = a0 + r2 * addStride + v, p = o0 + r2 * outStride + v;
                FloatVector e0 = FloatVector.fromArray(SPECIES, sums, s).fma(m0, FloatVector.fromArray(SPECIES, add, a));
                FloatVector e1 = FloatVector.fromArray(SPECIES, sums, s + LANES).fma(m1, FloatVector.fromArray(SPECIES, add, a + LANES));
                FloatVector e2 = FloatVector.fromArray(SPECIES, sums, s + 2 * LANES).fma(m2, FloatVector.fromArray(SPECIES, add, a + 2 * LANES));
                FloatVector e3 = FloatVector.fromArray(SPECIES, sums, s + 3 * LANES).fma(m3, FloatVector.fromArray(SPECIES, add, a + 3 * LANES));
                FloatVector f0 = FloatVector.fromArray(SPECIES, sums, t).fma(m0, FloatVector.fromArray(SPECIES, add, b));
                FloatVector f1 = FloatVector.fromArray(SPECIES, sums, t + LANES).fma(m1, FloatVector.fromArray(SPECIES, add, b + LANES));
                FloatVector f2 = FloatVector.fromArray(SPECIES, sums, t + 2 * LANES).fma(m2, FloatVector.fromArray(SPECIES, add, b + 2 * LANES));
                FloatVector f3 = FloatVector.fromArray(SPECIES, sums, t + 3 * LANES).fma(m3, FloatVector.fromArray(SPECIES, add, b + 3 * LANES));
                e0.intoArray(out, o); e1.intoArray(out, o + LANES); e2.intoArray(out, o + 2 * LANES); e3.intoArray(out, o + 3 * LANES);
                f0.intoArray(out, p); f1.intoArray(out, p + LANES); f2.intoArray(out, p + 2 * LANES); f3.intoArray(out, p + 3 * LANES);
            }
        }
    }

    /**
     * The activations and the cell update for one row whose gate sums are at pre[preRow ..]. Its own method, so that
     * C2 compiles it as a unit with the small passes inlined (inside lstmStep the product already used up the
     * inlining budget). The passes are phases over the whole row, each a loop of independent vectors, so the
     * out-of-order core overlaps the long dependency chains of the activations. {@code zeroState}: c is zero on entry,
     * so f is neither activated nor read (W1b, one step of 150 rows: 4 activations per unit instead of 5).
     */
    private static void cellUpdate(int hidden, float[] pre, int preRow, float[] c, int cRow, float[] hOut, int hRow,
                                   boolean zeroState) {
        int slices = (hidden + LANES - 1) / LANES;       // slices wholly past hidden are not updated
        int panels = (hidden + PANEL - 1) / PANEL;
        // A panel's gate sums are 4 * SLICES vectors in a row: i, o, f (sigmoid), then c~ (tanh). One call per panel
        // (two from a zero state: i and o, then c~); the slices of a last partial panel past hidden are activated too,
        // harmlessly (zeros in pre's padding).
        // Gate i of slice t (LANES units) is at t * LANES + t / SLICES * 3 * PANEL in the row: slice t % SLICES of panel
        // t / SLICES. Written out, not a method: C2, its inlining budget spent here, called one (2 % of W1b's samples).
        if (zeroState) {
            for (int q = 0; q < panels; q++) {
                activateInPlace(pre, preRow + q * 4 * PANEL, 1, 0, 2 * SLICES, 2 * SLICES);
                activateInPlace(pre, preRow + q * 4 * PANEL + 3 * PANEL, 1, 0, SLICES, 0);
            }
            for (int t = 0; t < slices; t++) {
                cellFromZero(pre, preRow + t * LANES + t / SLICES * 3 * PANEL, c, cRow + t * LANES, t * LANES, hidden);
            }
        } else {
            for (int q = 0; q < panels; q++) activateInPlace(pre, preRow + q * 4 * PANEL, 1, 0, 4 * SLICES, 3 * SLICES);
            for (int t = 0; t < slices; t++) {
                cellInPlace(pre, preRow + t * LANES + t / SLICES * 3 * PANEL, c, cRow + t * LANES, t * LANES, hidden);
            }
        }
        for (int q = 0; q < panels; q++) activateInPlace(pre, preRow + q * 4 * PANEL + 3 * PANEL, 1, 0, SLICES, 0);  // tanh(c)
        for (int t = 0; t < slices; t++) {
            hiddenOut(pre, preRow + t * LANES + t / SLICES * 3 * PANEL, hOut, hRow + t * LANES, t * LANES, hidden);
        }
    }

    /**
     * {@link #cellUpdate} for a block of {@code rows} rows, {@code preStride} floats apart in pre ({@code cStride} in c,
     * {@code hStride} in hOut): each pass covers every row of the block, one call per gate line or slice instead of one
     * per row, so a narrow layer's many rows (W1b: 150 rows of hidden 16) make long loops of independent vectors, not
     * hundreds of calls over one or two vectors each. vlstm bench, W1b: 40.1-41.7 -> 35.0-38.6 us at 1 thread. A
     * single row keeps {@link #cellUpdate} and its one-row helpers: through these loops W1's steps, whose cell update is
     * on each step's dependency chain, ran 3-6 % slower.
     */
    private static void cellUpdateRows(int rows, int hidden, float[] pre, int preRow, int preStride, float[] c, int cRow,
                                       int cStride, float[] hOut, int hRow, int hStride, boolean zeroState) {
        int slices = (hidden + LANES - 1) / LANES;
        int panels = (hidden + PANEL - 1) / PANEL;
        for (int q = 0; q < panels; q++) {
            int p = preRow + q * 4 * PANEL;
            if (zeroState) {
                activateInPlace(pre, p, rows, preStride, 2 * SLICES, 2 * SLICES);
                activateInPlace(pre, p + 3 * PANEL, rows, preStride, SLICES, 0);
            } else {
                activateInPlace(pre, p, rows, preStride, 4 * SLICES, 3 * SLICES);
            }
        }
        for (int t = 0; t < slices; t++) {
            cellRows(rows, pre, preRow + t * LANES + t / SLICES * 3 * PANEL, preStride, c, cRow + t * LANES, cStride,
                    t * LANES, hidden, zeroState);
        }
        for (int q = 0; q < panels; q++) activateInPlace(pre, preRow + q * 4 * PANEL + 3 * PANEL, rows, preStride, SLICES, 0);
        for (int t = 0; t < slices; t++) {
            hiddenRows(rows, pre, preRow + t * LANES + t / SLICES * 3 * PANEL, preStride, hOut, hRow + t * LANES, hStride,
                    t * LANES, hidden);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The product over whole column vectors firstVector .. vectors - 1:
    //     out[r][cv] = init[r][cv] + sum_k x[r][k] * w(cv, k)
    // where init[r][cv] is the vector at init[initOffset + r * initStride + cv * LANES]: out itself (in place), or a
    // bias row with initStride = 0. Every block loads its accumulators from init and stores them to out.
    // ---------------------------------------------------------------------------------------------------------------

    private static void accumulate(float[] x, int xOffset, int xStride, int rows, int k, float[] w, int gates,
                                   boolean skipForget, int firstVector, int vectors, float[] init, int initOffset,
                                   int initStride, float[] out, int outOffset, int outStride) {
        if (gates != 4) {       // heads: always in place (project fills out with the bias first)
            accumulateHead(x, xOffset, xStride, rows, k, w, firstVector, vectors, out, outOffset, outStride);
            return;
        }
        int rows6 = rows - rows % 6;                         // rows in blocks of 6, then one block of 4 if it fits
        int blocked = rows - rows6 >= 4 ? rows6 + 4 : rows6;
        // With 4 gates, column vectors come in pairs (one gate line with AVX2, two lines with AVX-512), and a group of
        // 8 fills one AVX2 panel's 4 gate lines (two AVX-512 panels).
        for (int cv = firstVector; cv < vectors; cv += 8) {
            int n = Math.min(8, vectors - cv);
            // With 512-bit vectors a panel is 4 column vectors, one per gate line: 6 rows x the whole panel, 24
            // accumulators of AVX-512's 32 registers, 4 weight loads and 6 broadcasts per 24 FMAs (6 x 2: 8 per 12).
            // The last rows (fewer than 6) take the pairs below. Its f lines are computed even when skipForget.
            int quadRows = SLICES == 1 ? rows6 : 0;
            for (int v = 0; v < n && quadRows > 0; v += 4) {
                int w0 = columnBase(cv + v, k), o = outOffset + (cv + v) * LANES, i = initOffset + (cv + v) * LANES;
                for (int r = 0; r < quadRows; r += 6) {
                    block6x4(x, xOffset + r * xStride, xStride, k, w, w0, k * PANEL, init, i + r * initStride,
                            initStride, out, o + r * outStride, outStride);
                }
            }
            // Each pair's weights stay in L1 while the row blocks pass.
            for (int v = 0; v < n && quadRows < blocked; v += 2) {
                // A pair wholly in gate f (a gate line with AVX2) is left out; with AVX-512 f shares its pair with c~.
                if (skipForget && gateOf(cv + v) == FORGET && gateOf(cv + v + 1) == FORGET) continue;
                int w0 = columnBase(cv + v, k), w1 = columnBase(cv + v + 1, k), o = outOffset + (cv + v) * LANES;
                int i = initOffset + (cv + v) * LANES;
                for (int r = quadRows; r < rows6; r += 6) {
                    block6x2(x, xOffset + r * xStride, xStride, k, w, w0, w1, init, i + r * initStride, initStride,
                            out, o + r * outStride, outStride);
                }
                if (blocked > rows6) {
                    block4x2(x, xOffset + rows6 * xStride, xStride, k, w, w0, w1, init, i + rows6 * initStride,
                            initStride, out, o + rows6 * outStride, outStride);
                }
            }
            // The last rows one at a time, across all n column vectors.
            for (int r = blocked; r < rows; r++) {
                int xRow = xOffset + r * xStride, outRow = outOffset + r * outStride, initRow = initOffset + r * initStride;
                if (n == 8) {
                    block1x8(x, xRow, k, w, columnBase(cv, k), init, initRow + cv * LANES, out, outRow + cv * LANES);
                } else {
                    for (int v = 0; v < n; v += 2) {
                        block1x2(x, xRow, k, w, columnBase(cv + v, k), columnBase(cv + v + 1, k),
                                init, initRow + (cv + v) * LANES, out, outRow + (cv + v) * LANES);
                    }
                }
            }
        }
    }

    /**
     * The product for a head (gates = 1), in place: small next to the layers, so plainer blocks, all written out in
     * this one method (one compilation unit, CompileUnitTest): rows in blocks of 4 over one column vector at a time,
     * then the last rows one at a time over 4 column vectors at a time (4 independent FMA chains: a batch-1 head of k
     * 1024 is latency-bound otherwise), then 1.
     */
    private static void accumulateHead(float[] x, int xOffset, int xStride, int rows, int k, float[] w,
                                       int firstVector, int vectors, float[] out, int outOffset, int outStride) {
        int blocked = rows - rows % 4;
        for (int cv = firstVector; cv < vectors; cv++) {       // a column vector's weights stay in L1 while rows pass
            int w0 = columnBase(cv, k);
            for (int r = 0; r < blocked; r += 4) {
                int x0 = xOffset + r * xStride, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
                int o0 = outOffset + r * outStride + cv * LANES, o1 = o0 + outStride, o2 = o1 + outStride, o3 = o2 + outStride;
                FloatVector a0 = FloatVector.fromArray(SPECIES, out, o0), a1 = FloatVector.fromArray(SPECIES, out, o1);
                FloatVector a2 = FloatVector.fromArray(SPECIES, out, o2), a3 = FloatVector.fromArray(SPECIES, out, o3);
                for (int kk = 0, at = w0; kk < k; kk++, at += K_STEP) {
                    FloatVector v = FloatVector.fromArray(SPECIES, w, at);
                    a0 = v.fma(FloatVector.broadcast(SPECIES, x[x0 + kk]), a0);
                    a1 = v.fma(FloatVector.broadcast(SPECIES, x[x1 + kk]), a1);
                    a2 = v.fma(FloatVector.broadcast(SPECIES, x[x2 + kk]), a2);
                    a3 = v.fma(FloatVector.broadcast(SPECIES, x[x3 + kk]), a3);
                }
                a0.intoArray(out, o0);
                a1.intoArray(out, o1);
                a2.intoArray(out, o2);
                a3.intoArray(out, o3);
            }
        }
        for (int r = blocked; r < rows; r++) {
            int x0 = xOffset + r * xStride, row = outOffset + r * outStride, cv = firstVector;
            for (; cv + 4 <= vectors; cv += 4) {
                int w0 = columnBase(cv, k), w1 = columnBase(cv + 1, k), w2 = columnBase(cv + 2, k);
                int w3 = columnBase(cv + 3, k), o = row + cv * LANES;
                FloatVector a0 = FloatVector.fromArray(SPECIES, out, o), a1 = FloatVector.fromArray(SPECIES, out, o + LANES);
                FloatVector a2 = FloatVector.fromArray(SPECIES, out, o + 2 * LANES);
                FloatVector a3 = FloatVector.fromArray(SPECIES, out, o + 3 * LANES);
                for (int kk = 0; kk < k; kk++) {
                    int at = kk * K_STEP;
                    FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
                    a0 = FloatVector.fromArray(SPECIES, w, w0 + at).fma(s, a0);
                    a1 = FloatVector.fromArray(SPECIES, w, w1 + at).fma(s, a1);
                    a2 = FloatVector.fromArray(SPECIES, w, w2 + at).fma(s, a2);
                    a3 = FloatVector.fromArray(SPECIES, w, w3 + at).fma(s, a3);
                }
                a0.intoArray(out, o);
                a1.intoArray(out, o + LANES);
                a2.intoArray(out, o + 2 * LANES);
                a3.intoArray(out, o + 3 * LANES);
            }
            for (; cv < vectors; cv++) {
                int o = row + cv * LANES;
                FloatVector a = FloatVector.fromArray(SPECIES, out, o);
                for (int kk = 0, at = columnBase(cv, k); kk < k; kk++, at += K_STEP) {
                    a = FloatVector.fromArray(SPECIES, w, at).fma(FloatVector.broadcast(SPECIES, x[x0 + kk]), a);
                }
                a.intoArray(out, o);
            }
        }
    }

    /** The gate (0 i, 1 o, 2 f, 3 c~) of column vector {@code cv} of an LSTM panel matrix. */
    private static int gateOf(int cv) {
        return cv / SLICES % 4;
    }

    /** Index in the weights of column vector {@code cv}'s weight for k = 0 (gate line cv / SLICES, {@link GateLines}). */
    static int columnBase(int cv, int k) {
        int line = cv / SLICES;                   // q*gates + g
        return line * k * PANEL + (cv - line * SLICES) * LANES;
    }

    /** Offset in the weights of column vector {@code j} of a group of 8 from its first: {@code line} floats per gate line. */
    static int vectorOffset(int j, int line) {
        return j / SLICES * line + j % SLICES * LANES;
    }

    /** {@code w1}, the second column vector of a pair, as its offset from {@code w0} when that is a constant. */
    private static int nextVector(int w0, int w1, int at) {
        return NEXT_SLICE != 0 ? w0 + at + NEXT_SLICE : w1 + at;
    }

    /**
     * Rows r..r+5 (x0, out at o0, strides apart), column vectors at weights w0 and w1 and at out[o + 0], out[o + LANES]:
     * 12 accumulators, so 12 independent FMA chains (the 4-cycle FMA latency times 2 FMA ports needs 8) and 8 loads
     * per 12 FMAs. With the weights in a heap array this leaves the 16 AVX2 registers just enough room: 12 + 2 weights
     * + 1 broadcast. With AVX2 the pair is one gate line, so both weight vectors come from one contiguous 64-byte line
     * per k ({@link #nextVector}).
     */
    private static void block6x2(float[] x, int x0, int xStride, int k, float[] w, int w0, int w1,
                                 float[] init, int i0, int initStride, float[] out, int o0, int outStride) {
        int x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride, x4 = x3 + xStride, x5 = x4 + xStride;
        int o1 = o0 + outStride, o2 = o1 + outStride, o3 = o2 + outStride, o4 = o3 + outStride, o5 = o4 + outStride;
        int i1 = i0 + initStride, i2 = i1 + initStride, i3 = i2 + initStride, i4 = i3 + initStride, i5 = i4 + initStride;
        FloatVector a00 = FloatVector.fromArray(SPECIES, init, i0), a01 = FloatVector.fromArray(SPECIES, init, i0 + LANES);
        FloatVector a10 = FloatVector.fromArray(SPECIES, init, i1), a11 = FloatVector.fromArray(SPECIES, init, i1 + LANES);
        FloatVector a20 = FloatVector.fromArray(SPECIES, init, i2), a21 = FloatVector.fromArray(SPECIES, init, i2 + LANES);
        FloatVector a30 = FloatVector.fromArray(SPECIES, init, i3), a31 = FloatVector.fromArray(SPECIES, init, i3 + LANES);
        FloatVector a40 = FloatVector.fromArray(SPECIES, init, i4), a41 = FloatVector.fromArray(SPECIES, init, i4 + LANES);
        FloatVector a50 = FloatVector.fromArray(SPECIES, init, i5), a51 = FloatVector.fromArray(SPECIES, init, i5 + LANES);
        for (int kk = 0; kk < k; kk++) {
            int at = kk * K_STEP;
            FloatVector v0 = FloatVector.fromArray(SPECIES, w, w0 + at);
            FloatVector v1 = FloatVector.fromArray(SPECIES, w, nextVector(w0, w1, at));
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a00 = v0.fma(s, a00); a01 = v1.fma(s, a01);
            s = FloatVector.broadcast(SPECIES, x[x1 + kk]);
            a10 = v0.fma(s, a10); a11 = v1.fma(s, a11);
            s = FloatVector.broadcast(SPECIES, x[x2 + kk]);
            a20 = v0.fma(s, a20); a21 = v1.fma(s, a21);
            s = FloatVector.broadcast(SPECIES, x[x3 + kk]);
            a30 = v0.fma(s, a30); a31 = v1.fma(s, a31);
            s = FloatVector.broadcast(SPECIES, x[x4 + kk]);
            a40 = v0.fma(s, a40); a41 = v1.fma(s, a41);
            s = FloatVector.broadcast(SPECIES, x[x5 + kk]);
            a50 = v0.fma(s, a50); a51 = v1.fma(s, a51);
        }
        a00.intoArray(out, o0); a01.intoArray(out, o0 + LANES);
        a10.intoArray(out, o1); a11.intoArray(out, o1 + LANES);
        a20.intoArray(out, o2); a21.intoArray(out, o2 + LANES);
        a30.intoArray(out, o3); a31.intoArray(out, o3 + LANES);
        a40.intoArray(out, o4); a41.intoArray(out, o4 + LANES);
        a50.intoArray(out, o5); a51.intoArray(out, o5 + LANES);
    }

    /**
     * Rows r..r+5 times one 512-bit panel: its 4 gate lines at weights w0, w0 + line, w0 + 2 line, w0 + 3 line, into
     * out[o + 0 .. 3 LANES]. 24 accumulators, 4 weights and a broadcast: 29 of AVX-512's 32 vector registers. Per k
     * 10 loads feed 24 FMAs, and the loop's integer work (an index per row and per line) is spread over twice the
     * FMAs of {@link #block6x2}.
     */
    private static void block6x4(float[] x, int x0, int xStride, int k, float[] w, int w0, int line,
                                 float[] init, int i0, int initStride, float[] out, int o0, int outStride) {
        int x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride, x4 = x3 + xStride, x5 = x4 + xStride;
        int w1 = w0 + line, w2 = w1 + line, w3 = w2 + line;
        FloatVector a00 = FloatVector.fromArray(SPECIES, init, i0), a01 = FloatVector.fromArray(SPECIES, init, i0 + LANES);
        FloatVector a02 = FloatVector.fromArray(SPECIES, init, i0 + 2 * LANES);
        FloatVector a03 = FloatVector.fromArray(SPECIES, init, i0 + 3 * LANES);
        int i1 = i0 + initStride;
        FloatVector a10 = FloatVector.fromArray(SPECIES, init, i1), a11 = FloatVector.fromArray(SPECIES, init, i1 + LANES);
        FloatVector a12 = FloatVector.fromArray(SPECIES, init, i1 + 2 * LANES);
        FloatVector a13 = FloatVector.fromArray(SPECIES, init, i1 + 3 * LANES);
        int i2 = i1 + initStride;
        FloatVector a20 = FloatVector.fromArray(SPECIES, init, i2), a21 = FloatVector.fromArray(SPECIES, init, i2 + LANES);
        FloatVector a22 = FloatVector.fromArray(SPECIES, init, i2 + 2 * LANES);
        FloatVector a23 = FloatVector.fromArray(SPECIES, init, i2 + 3 * LANES);
        int i3 = i2 + initStride;
        FloatVector a30 = FloatVector.fromArray(SPECIES, init, i3), a31 = FloatVector.fromArray(SPECIES, init, i3 + LANES);
        FloatVector a32 = FloatVector.fromArray(SPECIES, init, i3 + 2 * LANES);
        FloatVector a33 = FloatVector.fromArray(SPECIES, init, i3 + 3 * LANES);
        int i4 = i3 + initStride;
        FloatVector a40 = FloatVector.fromArray(SPECIES, init, i4), a41 = FloatVector.fromArray(SPECIES, init, i4 + LANES);
        FloatVector a42 = FloatVector.fromArray(SPECIES, init, i4 + 2 * LANES);
        FloatVector a43 = FloatVector.fromArray(SPECIES, init, i4 + 3 * LANES);
        int i5 = i4 + initStride;
        FloatVector a50 = FloatVector.fromArray(SPECIES, init, i5), a51 = FloatVector.fromArray(SPECIES, init, i5 + LANES);
        FloatVector a52 = FloatVector.fromArray(SPECIES, init, i5 + 2 * LANES);
        FloatVector a53 = FloatVector.fromArray(SPECIES, init, i5 + 3 * LANES);
        for (int kk = 0; kk < k; kk++) {
            int at = kk * K_STEP;
            FloatVector v0 = FloatVector.fromArray(SPECIES, w, w0 + at), v1 = FloatVector.fromArray(SPECIES, w, w1 + at);
            FloatVector v2 = FloatVector.fromArray(SPECIES, w, w2 + at), v3 = FloatVector.fromArray(SPECIES, w, w3 + at);
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a00 = v0.fma(s, a00); a01 = v1.fma(s, a01); a02 = v2.fma(s, a02); a03 = v3.fma(s, a03);
            s = FloatVector.broadcast(SPECIES, x[x1 + kk]);
            a10 = v0.fma(s, a10); a11 = v1.fma(s, a11); a12 = v2.fma(s, a12); a13 = v3.fma(s, a13);
            s = FloatVector.broadcast(SPECIES, x[x2 + kk]);
            a20 = v0.fma(s, a20); a21 = v1.fma(s, a21); a22 = v2.fma(s, a22); a23 = v3.fma(s, a23);
            s = FloatVector.broadcast(SPECIES, x[x3 + kk]);
            a30 = v0.fma(s, a30); a31 = v1.fma(s, a31); a32 = v2.fma(s, a32); a33 = v3.fma(s, a33);
            s = FloatVector.broadcast(SPECIES, x[x4 + kk]);
            a40 = v0.fma(s, a40); a41 = v1.fma(s, a41); a42 = v2.fma(s, a42); a43 = v3.fma(s, a43);
            s = FloatVector.broadcast(SPECIES, x[x5 + kk]);
            a50 = v0.fma(s, a50); a51 = v1.fma(s, a51); a52 = v2.fma(s, a52); a53 = v3.fma(s, a53);
        }
        int o1 = o0 + outStride, o2 = o1 + outStride, o3 = o2 + outStride, o4 = o3 + outStride, o5 = o4 + outStride;
        a00.intoArray(out, o0); a01.intoArray(out, o0 + LANES); a02.intoArray(out, o0 + 2 * LANES); a03.intoArray(out, o0 + 3 * LANES);
        a10.intoArray(out, o1); a11.intoArray(out, o1 + LANES); a12.intoArray(out, o1 + 2 * LANES); a13.intoArray(out, o1 + 3 * LANES);
        a20.intoArray(out, o2); a21.intoArray(out, o2 + LANES); a22.intoArray(out, o2 + 2 * LANES); a23.intoArray(out, o2 + 3 * LANES);
        a30.intoArray(out, o3); a31.intoArray(out, o3 + LANES); a32.intoArray(out, o3 + 2 * LANES); a33.intoArray(out, o3 + 3 * LANES);
        a40.intoArray(out, o4); a41.intoArray(out, o4 + LANES); a42.intoArray(out, o4 + 2 * LANES); a43.intoArray(out, o4 + 3 * LANES);
        a50.intoArray(out, o5); a51.intoArray(out, o5 + LANES); a52.intoArray(out, o5 + 2 * LANES); a53.intoArray(out, o5 + 3 * LANES);
    }

    /** {@link #block6x2} for 4 rows: the last block of 4 when rows % 6 >= 4. */
    private static void block4x2(float[] x, int x0, int xStride, int k, float[] w, int w0, int w1,
                                 float[] init, int i0, int initStride, float[] out, int o0, int outStride) {
        int x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        int o1 = o0 + outStride, o2 = o1 + outStride, o3 = o2 + outStride;
        int i1 = i0 + initStride, i2 = i1 + initStride, i3 = i2 + initStride;
        FloatVector a00 = FloatVector.fromArray(SPECIES, init, i0), a01 = FloatVector.fromArray(SPECIES, init, i0 + LANES);
        FloatVector a10 = FloatVector.fromArray(SPECIES, init, i1), a11 = FloatVector.fromArray(SPECIES, init, i1 + LANES);
        FloatVector a20 = FloatVector.fromArray(SPECIES, init, i2), a21 = FloatVector.fromArray(SPECIES, init, i2 + LANES);
        FloatVector a30 = FloatVector.fromArray(SPECIES, init, i3), a31 = FloatVector.fromArray(SPECIES, init, i3 + LANES);
        for (int kk = 0; kk < k; kk++) {
            int at = kk * K_STEP;
            FloatVector v0 = FloatVector.fromArray(SPECIES, w, w0 + at);
            FloatVector v1 = FloatVector.fromArray(SPECIES, w, nextVector(w0, w1, at));
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a00 = v0.fma(s, a00); a01 = v1.fma(s, a01);
            s = FloatVector.broadcast(SPECIES, x[x1 + kk]);
            a10 = v0.fma(s, a10); a11 = v1.fma(s, a11);
            s = FloatVector.broadcast(SPECIES, x[x2 + kk]);
            a20 = v0.fma(s, a20); a21 = v1.fma(s, a21);
            s = FloatVector.broadcast(SPECIES, x[x3 + kk]);
            a30 = v0.fma(s, a30); a31 = v1.fma(s, a31);
        }
        a00.intoArray(out, o0); a01.intoArray(out, o0 + LANES);
        a10.intoArray(out, o1); a11.intoArray(out, o1 + LANES);
        a20.intoArray(out, o2); a21.intoArray(out, o2 + LANES);
        a30.intoArray(out, o3); a31.intoArray(out, o3 + LANES);
    }

    /**
     * One row, 8 column vectors at out[o ...], from weight {@code w0} on: one AVX2 panel (its 4 gate lines, read side
     * by side, two vectors from each) or two AVX-512 panels (8 lines). 8 independent FMA chains, one broadcast per 8
     * weight loads.
     */
    private static void block1x8(float[] x, int x0, int k, float[] w, int w0, float[] init, int i,
                                 float[] out, int o) {
        int line = k * PANEL;
        int w1 = w0 + vectorOffset(1, line), w2 = w0 + vectorOffset(2, line), w3 = w0 + vectorOffset(3, line);
        int w4 = w0 + vectorOffset(4, line), w5 = w0 + vectorOffset(5, line), w6 = w0 + vectorOffset(6, line);
        int w7 = w0 + vectorOffset(7, line);
        FloatVector a0 = FloatVector.fromArray(SPECIES, init, i), a1 = FloatVector.fromArray(SPECIES, init, i + LANES);
        FloatVector a2 = FloatVector.fromArray(SPECIES, init, i + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(SPECIES, init, i + 3 * LANES);
        FloatVector a4 = FloatVector.fromArray(SPECIES, init, i + 4 * LANES);
        FloatVector a5 = FloatVector.fromArray(SPECIES, init, i + 5 * LANES);
        FloatVector a6 = FloatVector.fromArray(SPECIES, init, i + 6 * LANES);
        FloatVector a7 = FloatVector.fromArray(SPECIES, init, i + 7 * LANES);
        for (int kk = 0; kk < k; kk++) {
            int at = kk * K_STEP;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a0 = FloatVector.fromArray(SPECIES, w, w0 + at).fma(s, a0);
            a1 = FloatVector.fromArray(SPECIES, w, w1 + at).fma(s, a1);
            a2 = FloatVector.fromArray(SPECIES, w, w2 + at).fma(s, a2);
            a3 = FloatVector.fromArray(SPECIES, w, w3 + at).fma(s, a3);
            a4 = FloatVector.fromArray(SPECIES, w, w4 + at).fma(s, a4);
            a5 = FloatVector.fromArray(SPECIES, w, w5 + at).fma(s, a5);
            a6 = FloatVector.fromArray(SPECIES, w, w6 + at).fma(s, a6);
            a7 = FloatVector.fromArray(SPECIES, w, w7 + at).fma(s, a7);
        }
        a0.intoArray(out, o); a1.intoArray(out, o + LANES); a2.intoArray(out, o + 2 * LANES);
        a3.intoArray(out, o + 3 * LANES); a4.intoArray(out, o + 4 * LANES); a5.intoArray(out, o + 5 * LANES);
        a6.intoArray(out, o + 6 * LANES); a7.intoArray(out, o + 7 * LANES);
    }

    /**
     * One row, 2 column vectors from weights w0 and w1 (a gate line with AVX2). A version with a second pair of
     * accumulators for odd k (to hide the FMA latency) allocated about 2 KB per call after C2 compiled it (JFR: the
     * Vector API's Java fallback ran inside it), so it stays this simple.
     */
    private static void block1x2(float[] x, int x0, int k, float[] w, int w0, int w1, float[] init, int i,
                                 float[] out, int o) {
        FloatVector a0 = FloatVector.fromArray(SPECIES, init, i), a1 = FloatVector.fromArray(SPECIES, init, i + LANES);
        for (int kk = 0; kk < k; kk++) {
            int at = kk * K_STEP;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a0 = FloatVector.fromArray(SPECIES, w, w0 + at).fma(s, a0);
            a1 = FloatVector.fromArray(SPECIES, w, w1 + at).fma(s, a1);
        }
        a0.intoArray(out, o);
        a1.intoArray(out, o + LANES);
    }

    /**
     * A head's partial last column vector (it starts at column {@code col}; lanes at or past {@code limit} are not
     * stored) for all rows: blocks of 4, then one at a time. Starts from the bias, which always holds whole panels.
     */
    private static void partialColumn(float[] x, int xOffset, int xStride, int rows, int k, float[] w, int w0,
                                      float[] bias, float[] out, int outOffset, int outStride, int col, int limit) {
        VectorMask<Float> live = SPECIES.indexInRange(col, limit);
        FloatVector start = bias == null ? FloatVector.zero(SPECIES) : FloatVector.fromArray(SPECIES, bias, col);
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int x0 = xOffset + r * xStride, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
            FloatVector a0 = start, a1 = start, a2 = start, a3 = start;
            for (int kk = 0, at = w0; kk < k; kk++, at += K_STEP) {
                FloatVector v = FloatVector.fromArray(SPECIES, w, at);
                a0 = v.fma(FloatVector.broadcast(SPECIES, x[x0 + kk]), a0);
                a1 = v.fma(FloatVector.broadcast(SPECIES, x[x1 + kk]), a1);
                a2 = v.fma(FloatVector.broadcast(SPECIES, x[x2 + kk]), a2);
                a3 = v.fma(FloatVector.broadcast(SPECIES, x[x3 + kk]), a3);
            }
            int o0 = outOffset + r * outStride + col;
            a0.intoArray(out, o0, live);
            a1.intoArray(out, o0 + outStride, live);
            a2.intoArray(out, o0 + 2 * outStride, live);
            a3.intoArray(out, o0 + 3 * outStride, live);
        }
        for (; r < rows; r++) {
            int x0 = xOffset + r * xStride;
            FloatVector a = start;
            for (int kk = 0, at = w0; kk < k; kk++, at += K_STEP) {
                a = FloatVector.fromArray(SPECIES, w, at).fma(FloatVector.broadcast(SPECIES, x[x0 + kk]), a);
            }
            a.intoArray(out, outOffset + r * outStride + col, live);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Activations and the cell update: small passes over one slice (LANES units) of pre, c and hOut.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * A head's activation over a run of floats: whole vectors with the gates' sigmoid and tanh, or a LeakyRelu blend,
     * the tail of fewer than LANES floats in plain Java (the scalar kernels' functions, as close to exact); Elu,
     * Softplus and the GELUs are {@link VectorHeadMath}'s.
     */
    @Override
    public void activate(Pointwise f, float alpha, float[] a, int offset, int count) {
        switch (f) {
            case LEAKY_RELU -> leakyReluInPlace(a, offset, count, alpha);
            case SIGMOID, TANH -> {
                int whole = count / LANES;
                activateInPlace(a, offset, 1, 0, whole, f == Pointwise.SIGMOID ? whole : 0);
                for (int i = offset + whole * LANES; i < offset + count; i++) a[i] = ScalarKernels.pointwise(f, alpha, a[i]);
            }
            case ELU -> VectorHeadMath.elu(a, offset, count, alpha);
            case SOFTPLUS -> VectorHeadMath.softplus(a, offset, count);
            case GELU -> VectorHeadMath.gelu(a, offset, count);
            case GELU_TANH -> VectorHeadMath.geluTanh(a, offset, count);
        }
    }

    @Override
    public void softmax(float[] a, int offset, int rows, int width, boolean log) {
        VectorHeadMath.softmax(a, offset, rows, width, log);
    }

    @Override
    public void layerNorm(float[] a, int offset, int rows, int width, float[] scale, float[] bias, float epsilon) {
        VectorHeadMath.layerNorm(a, offset, rows, width, scale, bias, epsilon);
    }

    /**
     * x >= 0 ? x : slope * x over {@code n} floats; LT is false for NaN, which stays NaN. Four independent vectors a
     * round, then single vectors, then the tail in plain Java; over FreqInlineSize bytes of bytecode, so it compiles
     * on its own, never inside the session's methods (CompileUnitTest).
     */
    private static void leakyReluInPlace(float[] a, int at, int count, float slope) {
        int n = count - count % LANES, quads = n - n % (4 * LANES);
        for (int p = at; p < at + quads; p += 4 * LANES) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, a, p), x1 = FloatVector.fromArray(SPECIES, a, p + LANES);
            FloatVector x2 = FloatVector.fromArray(SPECIES, a, p + 2 * LANES), x3 = FloatVector.fromArray(SPECIES, a, p + 3 * LANES);
            x0.blend(x0.mul(slope), x0.compare(VectorOperators.LT, 0f)).intoArray(a, p);
            x1.blend(x1.mul(slope), x1.compare(VectorOperators.LT, 0f)).intoArray(a, p + LANES);
            x2.blend(x2.mul(slope), x2.compare(VectorOperators.LT, 0f)).intoArray(a, p + 2 * LANES);
            x3.blend(x3.mul(slope), x3.compare(VectorOperators.LT, 0f)).intoArray(a, p + 3 * LANES);
        }
        for (int p = at + quads; p < at + n; p += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, p);
            x.blend(x.mul(slope), x.compare(VectorOperators.LT, 0f)).intoArray(a, p);
        }
        for (int p = at + n; p < at + count; p++) if (a[p] < 0) a[p] *= slope;
    }

    /** a[at ..] = sigmoid(a[at ..]), one vector (see {@link #activateInPlace}). */
    static void sigmoidInPlace(float[] a, int at) {
        activateInPlace(a, at, 1, 0, 1, 1);
    }

    /** a[at ..] = tanh(a[at ..]), one vector (see {@link #activateInPlace}). */
    static void tanhInPlace(float[] a, int at) {
        activateInPlace(a, at, 1, 0, 1, 0);
    }

    /**
     * Activates {@code count} consecutive vectors in place in each of {@code rows} rows, from a[at] and
     * {@code rowStride} floats apart: in each row the first {@code sigmoids} with sigmoid, the rest with tanh. Several
     * vectors per call because C2 stops inlining our methods inside the kernels (NodeCountInliningCutoff), so each call
     * is a real one; the independent vectors of one call are what the out-of-order core overlaps.
     *
     * <p>tanh is a rational function, x * P(x^2) / Q(x^2) (constants above), and sigmoid(x) = 0.5 + 0.5 tanh(x / 2):
     * 4 + 4 FMAs and one divide, no exp. Past |x| = 8 tanh is ±1 exactly, so sigmoid saturates to exactly 0 and 1,
     * and neither ever leaves its range (a zero state's skip of f × 0 relies on f >= 0). NaN stays NaN. Absolute
     * error: up to 2.8e-7 for tanh (a few ulp below 1, from rounding: the fit itself is within 1.9e-8) and 1.6e-7 for
     * sigmoid (3.4e-7 for tanh with the range at 9, from its overshoot); ActivationTest holds both to 4e-7 over the
     * float range. The
     * exp-based forms used before were within 8.9e-8, and an LSTM's output tolerance is 1e-5.
     *
     * <p>Measured (ActivationBenchmark, 1024 floats, AVX2, ns): sigmoid 704 against 872 for 1 / (1 + e^-x) with
     * lanewise(EXP); tanh 618 against 844 for (1 - e) / (1 + e) with e = e^-2|x| and 2 188 for lanewise(TANH). In
     * the model (vlstm bench, 1 thread): W1 73 -> 66 us, W1b 67 -> 60 us. lanewise(EXP) calls a native SVML stub, and
     * around each call C2 spills the live vectors. Tried before and slower than lanewise(EXP): written-out Cody-Waite
     * and Cephes exps (sigmoid 1 760 and 910 ns).
     */
    private static void activateInPlace(float[] a, int at, int rows, int rowStride, int count, int sigmoids) {
        // Two loops per row, sigmoids then tanhs, each with the polynomials written out: no per-vector choice, and
        // more than FreqInlineSize bytes of bytecode, so C2 compiles this on its own and never inlines it into a
        // caller (CompileUnitTest). The vectors of a loop are independent: the out-of-order core overlaps them.
        for (int r = 0, row = at; r < rows; r++, row += rowStride) {
            for (int p = row, end = row + sigmoids * LANES; p < end; p += LANES) {
                FloatVector x = FloatVector.fromArray(SPECIES, a, p).mul(0.5f);   // sigmoid(2x) = 0.5 + 0.5 tanh(x)
                FloatVector t = x.mul(x);
                FloatVector num = t.fma(TANH_P4, TANH_P3).fma(t, FloatVector.broadcast(SPECIES, TANH_P2))
                        .fma(t, FloatVector.broadcast(SPECIES, TANH_P1)).fma(t, FloatVector.broadcast(SPECIES, TANH_P0));
                FloatVector den = t.fma(TANH_Q4, TANH_Q3).fma(t, FloatVector.broadcast(SPECIES, TANH_Q2))
                        .fma(t, FloatVector.broadcast(SPECIES, TANH_Q1)).fma(t, FloatVector.broadcast(SPECIES, 1f));
                // Past the fitted range tanh is ±1 in float, and the polynomials may overflow (Inf/Inf): take ±1 from
                // the sign bit. A compare and a blend, not min/max, whose Java NaN semantics cost AVX2 about 8 uops
                // each; NaN compares false, so it keeps its NaN from the polynomials.
                FloatVector unit = x.reinterpretAsInts().and(SIGN_BIT).or(ONE_BITS).reinterpretAsFloats();
                FloatVector tanh = x.mul(num).div(den).blend(unit, x.abs().compare(VectorOperators.GT, TANH_RANGE));
                tanh.fma(0.5f, 0.5f).intoArray(a, p);
            }
            for (int p = row + sigmoids * LANES, end = row + count * LANES; p < end; p += LANES) {
                FloatVector x = FloatVector.fromArray(SPECIES, a, p);
                FloatVector t = x.mul(x);
                FloatVector num = t.fma(TANH_P4, TANH_P3).fma(t, FloatVector.broadcast(SPECIES, TANH_P2))
                        .fma(t, FloatVector.broadcast(SPECIES, TANH_P1)).fma(t, FloatVector.broadcast(SPECIES, TANH_P0));
                FloatVector den = t.fma(TANH_Q4, TANH_Q3).fma(t, FloatVector.broadcast(SPECIES, TANH_Q2))
                        .fma(t, FloatVector.broadcast(SPECIES, TANH_Q1)).fma(t, FloatVector.broadcast(SPECIES, 1f));
                FloatVector unit = x.reinterpretAsInts().and(SIGN_BIT).or(ONE_BITS).reinterpretAsFloats();
                x.mul(num).div(den).blend(unit, x.abs().compare(VectorOperators.GT, TANH_RANGE)).intoArray(a, p);
            }
        }
    }

    /**
     * With the activated gates at pre[p] (i), pre[p + 2*PANEL] (f) and pre[p + 3*PANEL] (c~): c = f*c + i*c~, stored
     * to c for the units below hidden and to the c~ slot of pre (for the tanh that follows). c may be a dense row of
     * exactly {@code hidden} floats: only lanes with u < hidden are read or written.
     */
    private static void cellInPlace(float[] pre, int p, float[] c, int cAt, int unit, int hidden) {
        VectorMask<Float> live = SPECIES.indexInRange(unit, hidden);
        FloatVector i = FloatVector.fromArray(SPECIES, pre, p);
        FloatVector f = FloatVector.fromArray(SPECIES, pre, p + 2 * PANEL);
        FloatVector candidate = FloatVector.fromArray(SPECIES, pre, p + 3 * PANEL);
        FloatVector cell = f.fma(FloatVector.fromArray(SPECIES, c, cAt, live), i.mul(candidate));
        cell.intoArray(c, cAt, live);
        cell.intoArray(pre, p + 3 * PANEL);
    }

    /**
     * {@link #cellInPlace} from a zero state: c and f are not read, and f*c is taken as +0, which it is (sigmoid is
     * never negative: {@link #activateInPlace}); adding +0 keeps i*c~ and turns a -0 into +0, as f*c + i*c~ does. Its
     * own method, so that the step of every other timestep compiles as before.
     */
    private static void cellFromZero(float[] pre, int p, float[] c, int cAt, int unit, int hidden) {
        FloatVector cell = FloatVector.fromArray(SPECIES, pre, p).mul(FloatVector.fromArray(SPECIES, pre, p + 3 * PANEL))
                .add(0f);
        cell.intoArray(c, cAt, SPECIES.indexInRange(unit, hidden));
        cell.intoArray(pre, p + 3 * PANEL);
    }

    /** hOut = o * tanh(c), with o at pre[p + PANEL] and tanh(c) in the c~ slot; lanes with u < hidden only. */
    private static void hiddenOut(float[] pre, int p, float[] hOut, int hAt, int unit, int hidden) {
        FloatVector o = FloatVector.fromArray(SPECIES, pre, p + PANEL);
        o.mul(FloatVector.fromArray(SPECIES, pre, p + 3 * PANEL)).intoArray(hOut, hAt, SPECIES.indexInRange(unit, hidden));
    }

    /** {@link #cellInPlace}, or {@link #cellFromZero} from a zero state, for one slice of {@code rows} rows. */
    private static void cellRows(int rows, float[] pre, int p, int preStride, float[] c, int cAt, int cStride, int unit,
                                 int hidden, boolean zeroState) {
        VectorMask<Float> live = SPECIES.indexInRange(unit, hidden);
        // Two loops: one loop choosing its cell vector by zeroState was compiled with the vector boxed
        // (StreamingTest.stepAllocatesNothingAfterWarmUp: 2.3 KB per step).
        for (int b = 0; b < rows && zeroState; b++, p += preStride, cAt += cStride) {
            FloatVector cell = FloatVector.fromArray(SPECIES, pre, p)
                    .mul(FloatVector.fromArray(SPECIES, pre, p + 3 * PANEL)).add(0f);
            cell.intoArray(c, cAt, live);
            cell.intoArray(pre, p + 3 * PANEL);
        }
        for (int b = 0; b < rows && !zeroState; b++, p += preStride, cAt += cStride) {
            FloatVector cell = FloatVector.fromArray(SPECIES, pre, p + 2 * PANEL)
                    .fma(FloatVector.fromArray(SPECIES, c, cAt, live),
                            FloatVector.fromArray(SPECIES, pre, p).mul(FloatVector.fromArray(SPECIES, pre, p + 3 * PANEL)));
            cell.intoArray(c, cAt, live);
            cell.intoArray(pre, p + 3 * PANEL);
        }
    }

    /** {@link #hiddenOut} for one slice of {@code rows} rows. */
    private static void hiddenRows(int rows, float[] pre, int p, int preStride, float[] hOut, int hAt, int hStride,
                                   int unit, int hidden) {
        VectorMask<Float> live = SPECIES.indexInRange(unit, hidden);
        for (int b = 0; b < rows; b++, p += preStride, hAt += hStride) {
            FloatVector o = FloatVector.fromArray(SPECIES, pre, p + PANEL);
            o.mul(FloatVector.fromArray(SPECIES, pre, p + 3 * PANEL)).intoArray(hOut, hAt, live);
        }
    }
}
