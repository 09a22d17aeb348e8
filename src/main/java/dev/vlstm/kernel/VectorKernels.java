package dev.vlstm.kernel;

import static dev.vlstm.kernel.PanelSpecies.LANES;
import static dev.vlstm.kernel.PanelSpecies.SLICES;
import static dev.vlstm.kernel.PanelSpecies.SPECIES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
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
 * <h2>Column vectors</h2>
 * Both operations are one product: {@code acc[r][col] += sum_k x[r][k] * w(col, k)}. The output columns of a panel
 * matrix come in "column vectors" of LANES consecutive columns; column vector {@code cv} is slice
 * {@code cv % SLICES} of gate line {@code cv / SLICES} (that is, of gate {@code g} in panel {@code q} with
 * {@code cv / SLICES = q*gates + g}). Its weights are one vector every {@code gates*PANEL} floats, one per k.
 * Consecutive column vectors fill whole 64-byte gate lines, so every block below consumes whole cache lines.
 *
 * <h2>Block shapes (measured on this project's AVX2 build machine, 16 vector registers, 256-bit vectors)</h2>
 * <ul>
 * <li>4 rows x 2 column vectors, 8 accumulators: 2 weight loads and 4 broadcasts feed 8 FMAs. 86 GFLOP/s for a
 *     48 x 256 x 1024 projection, against 48 for 4 x 4 (16 accumulators spill with 16 registers), 41 for 2 x 4 and
 *     37 for 6 x 2. Loads from a MemorySegment cost more than array loads (bounds and liveness checks), so the shape
 *     that loads the fewest weight vectors per FMA without spilling wins.
 * <li>1 row x 8 column vectors for single rows (batch 1, row tails): 8 independent FMA chains cover the FMA latency,
 *     and a whole panel (AVX2) or two (AVX-512) stream once per row. Then 1 x 4 and 1 x 1 for the last vectors.
 * </ul>
 * Column pairs are the outer loop, rows the inner one, so a pair's weights stay in L1 while the rows pass.
 */
final class VectorKernels implements LstmKernels {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Bytes in one 16-unit gate line of a panel. */
    private static final int LINE = PANEL * Float.BYTES;
    /** Bytes in one column vector. */
    private static final int VECTOR_BYTES = PanelSpecies.LANES * Float.BYTES;

    VectorKernels() {
        // Touching LANES initialises PanelSpecies; fail here, not in a hot loop, if the vectors are useless.
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
                        MemorySegment w, MemorySegment bias, int panels, int gates,
                        float[] out, int outOffset, int outStride, int outColumns) {
        // Only column vectors holding at least one column below outColumns are computed; the last may be partial.
        int vectors = Math.min((outColumns + LANES - 1) / LANES, panels * gates * SLICES);
        accumulate(x, xOffset, xStride, rows, k, w, gates, vectors, bias, false, out, outOffset, outStride, outColumns);
    }

    /**
     * One LSTM step in two phases. (1) The recurrent product adds hPrev·R to pre, in place: it is {@link #project}'s
     * product with k = hidden. (2) Activations and the cell update, one slice of one row at a time, read the sums
     * back from pre.
     *
     * <p>Why through memory: the activations are large in C2's eyes (five EXP/EXPM1 per slice, with masks). Fused
     * into a 4-row block, C2 hit NodeCountInliningCutoff after the first row and passed the other rows' vectors boxed
     * to out-of-line calls: 12x slower (356 us instead of 30 us for H = 256, batch 4). Storing and reloading 4 vectors
     * per row from L1 costs nothing in comparison, and only ints and arrays cross method boundaries, so nothing is
     * boxed whatever C2 decides to inline.
     */
    @Override
    public void lstmStep(int batch, int hidden, MemorySegment r,
                         float[] pre, int preOffset, int preStride,
                         float[] hPrev, int hPrevOffset, int hPrevStride,
                         float[] c, int cOffset, int cStride,
                         float[] hOut, int hOutOffset, int hOutStride) {
        int panels = (hidden + PANEL - 1) / PANEL;
        int width = panels * 4 * PANEL;
        accumulate(hPrev, hPrevOffset, hPrevStride, batch, hidden, r, 4, width / LANES, null, true,
                pre, preOffset, preStride, width);
        int slices = (hidden + LANES - 1) / LANES;       // slices wholly past hidden are not updated
        for (int b = 0; b < batch; b++) {
            int preRow = preOffset + b * preStride, cRow = cOffset + b * cStride, hRow = hOutOffset + b * hOutStride;
            for (int t = 0; t < slices; t++) {
                int q = t / SLICES, slice = t - q * SLICES, unit = t * LANES;
                cellUpdate(pre, preRow + q * 4 * PANEL + slice * LANES, c, cRow + unit, hOut, hRow + unit, unit, hidden);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The product: out[r][cv] = (bias[cv] or, with addToOut, out[r][cv]) + sum_k x[r][k] * w(cv, k). The first `limit`
    // columns of each out row are written; a partial last column vector is stored with a mask. Accumulators start
    // from the bias (always whole vectors), and with addToOut (lstmStep, whose pre rows are whole panels) the old out
    // values are added at the end: a masked *load* feeding the loop's accumulators made C2 box them (30x slower).
    // ---------------------------------------------------------------------------------------------------------------

    private static void accumulate(float[] x, int xOffset, int xStride, int rows, int k, MemorySegment w, int gates,
                                   int vectors, MemorySegment bias, boolean addToOut,
                                   float[] out, int outOffset, int outStride, int limit) {
        long kStep = (long) gates * LINE;
        int blockedRows = rows - rows % 4;
        for (int cv = 0; cv < vectors; cv += 8) {
            int n = Math.min(8, vectors - cv);
            // Rows in blocks of 4, column vectors in pairs (then a single one).
            int v = 0;
            for (; v + 2 <= n; v += 2) {
                long w0 = columnBase(cv + v, k, gates), w1 = columnBase(cv + v + 1, k, gates);
                for (int r = 0; r < blockedRows; r += 4) {
                    block4x2(x, xOffset + r * xStride, xStride, k, w, w0, w1, kStep, bias, addToOut,
                            out, outOffset + r * outStride, outStride, (cv + v) * LANES, limit);
                }
            }
            if (v < n) {
                long w0 = columnBase(cv + v, k, gates);
                for (int r = 0; r < blockedRows; r += 4) {
                    block4x1(x, xOffset + r * xStride, xStride, k, w, w0, kStep, bias, addToOut,
                            out, outOffset + r * outStride, outStride, (cv + v) * LANES, limit);
                }
            }
            // The last rows one at a time, across all n column vectors at once.
            for (int r = blockedRows; r < rows; r++) {
                int xRow = xOffset + r * xStride, outRow = outOffset + r * outStride;
                v = 0;
                if (n == 8) {
                    block1x8(x, xRow, k, w, cv, gates, kStep, bias, addToOut, out, outRow, limit);
                    v = 8;
                } else if (n >= 4) {
                    block1x4(x, xRow, k, w, cv, gates, kStep, bias, addToOut, out, outRow, limit);
                    v = 4;
                }
                for (; v < n; v++) {
                    block1x1(x, xRow, k, w, columnBase(cv + v, k, gates), kStep, bias, addToOut,
                            out, outRow, (cv + v) * LANES, limit);
                }
            }
        }
    }

    /** Byte offset of column vector {@code cv}'s weight for k = 0. */
    private static long columnBase(int cv, int k, int gates) {
        int line = cv / SLICES;                   // q*gates + g
        int q = line / gates, g = line - q * gates;
        int slice = cv - line * SLICES;
        return ((long) q * k * gates + g) * LINE + (long) slice * VECTOR_BYTES;
    }

    private static FloatVector weights(MemorySegment w, long byteOffset) {
        return FloatVector.fromMemorySegment(SPECIES, w, byteOffset, LE);
    }

    private static FloatVector broadcast(float[] x, int at) {
        return FloatVector.broadcast(SPECIES, x[at]);
    }

    /** Column vector {@code cv} of the bias, or zero. The bias has whole panels, so the load is never partial. */
    private static FloatVector start(MemorySegment bias, int col) {
        return bias == null ? FloatVector.zero(SPECIES)
                : FloatVector.fromMemorySegment(SPECIES, bias, (long) col * Float.BYTES, LE);
    }

    /**
     * Writes the column vector starting at {@code column} to {@code out[at]}, adding the old values with
     * {@code addToOut}, and masking the lanes at or past {@code limit} (the partial last panel of a head).
     */
    private static void finish(FloatVector v, boolean addToOut, float[] out, int at, int column, int limit) {
        if (addToOut) v.add(FloatVector.fromArray(SPECIES, out, at)).intoArray(out, at);
        else if (column + LANES <= limit) v.intoArray(out, at);
        else v.intoArray(out, at, SPECIES.indexInRange(column, limit));
    }

    private static void block4x2(float[] x, int x0, int xStride, int k, MemorySegment w, long w0, long w1, long kStep,
                                 MemorySegment bias, boolean addToOut,
                                 float[] out, int o0, int outStride, int col, int limit) {
        int x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        int o1 = o0 + outStride, o2 = o1 + outStride, o3 = o2 + outStride, col1 = col + LANES;
        FloatVector b0 = start(bias, col), b1 = start(bias, col1);
        FloatVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;   // a<row><vector>
        for (int kk = 0; kk < k; kk++) {
            long at = kk * kStep;
            FloatVector v0 = weights(w, w0 + at), v1 = weights(w, w1 + at);
            FloatVector s = broadcast(x, x0 + kk);
            a00 = v0.fma(s, a00); a01 = v1.fma(s, a01);
            s = broadcast(x, x1 + kk);
            a10 = v0.fma(s, a10); a11 = v1.fma(s, a11);
            s = broadcast(x, x2 + kk);
            a20 = v0.fma(s, a20); a21 = v1.fma(s, a21);
            s = broadcast(x, x3 + kk);
            a30 = v0.fma(s, a30); a31 = v1.fma(s, a31);
        }
        finish(a00, addToOut, out, o0 + col, col, limit); finish(a01, addToOut, out, o0 + col1, col1, limit);
        finish(a10, addToOut, out, o1 + col, col, limit); finish(a11, addToOut, out, o1 + col1, col1, limit);
        finish(a20, addToOut, out, o2 + col, col, limit); finish(a21, addToOut, out, o2 + col1, col1, limit);
        finish(a30, addToOut, out, o3 + col, col, limit); finish(a31, addToOut, out, o3 + col1, col1, limit);
    }

    private static void block4x1(float[] x, int x0, int xStride, int k, MemorySegment w, long w0, long kStep,
                                 MemorySegment bias, boolean addToOut,
                                 float[] out, int o0, int outStride, int col, int limit) {
        int x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        int o1 = o0 + outStride, o2 = o1 + outStride, o3 = o2 + outStride;
        FloatVector a0 = start(bias, col), a1 = a0, a2 = a0, a3 = a0;     // a<row>
        for (int kk = 0; kk < k; kk++) {
            FloatVector v = weights(w, w0 + kk * kStep);
            a0 = v.fma(broadcast(x, x0 + kk), a0);
            a1 = v.fma(broadcast(x, x1 + kk), a1);
            a2 = v.fma(broadcast(x, x2 + kk), a2);
            a3 = v.fma(broadcast(x, x3 + kk), a3);
        }
        finish(a0, addToOut, out, o0 + col, col, limit);
        finish(a1, addToOut, out, o1 + col, col, limit);
        finish(a2, addToOut, out, o2 + col, col, limit);
        finish(a3, addToOut, out, o3 + col, col, limit);
    }

    /** One row, column vectors cv .. cv+7 (whole cache lines: one AVX2 panel, two AVX-512 panels). */
    private static void block1x8(float[] x, int x0, int k, MemorySegment w, int cv, int gates, long kStep,
                                 MemorySegment bias, boolean addToOut, float[] out, int o, int limit) {
        long w0 = columnBase(cv, k, gates), w1 = columnBase(cv + 1, k, gates), w2 = columnBase(cv + 2, k, gates);
        long w3 = columnBase(cv + 3, k, gates), w4 = columnBase(cv + 4, k, gates), w5 = columnBase(cv + 5, k, gates);
        long w6 = columnBase(cv + 6, k, gates), w7 = columnBase(cv + 7, k, gates);
        int c0 = cv * LANES;
        FloatVector a0 = start(bias, c0), a1 = start(bias, c0 + LANES);
        FloatVector a2 = start(bias, c0 + 2 * LANES), a3 = start(bias, c0 + 3 * LANES);
        FloatVector a4 = start(bias, c0 + 4 * LANES), a5 = start(bias, c0 + 5 * LANES);
        FloatVector a6 = start(bias, c0 + 6 * LANES), a7 = start(bias, c0 + 7 * LANES);
        for (int kk = 0; kk < k; kk++) {
            long at = kk * kStep;
            FloatVector s = broadcast(x, x0 + kk);
            a0 = weights(w, w0 + at).fma(s, a0); a1 = weights(w, w1 + at).fma(s, a1);
            a2 = weights(w, w2 + at).fma(s, a2); a3 = weights(w, w3 + at).fma(s, a3);
            a4 = weights(w, w4 + at).fma(s, a4); a5 = weights(w, w5 + at).fma(s, a5);
            a6 = weights(w, w6 + at).fma(s, a6); a7 = weights(w, w7 + at).fma(s, a7);
        }
        finish(a0, addToOut, out, o + c0, c0, limit);
        finish(a1, addToOut, out, o + c0 + LANES, c0 + LANES, limit);
        finish(a2, addToOut, out, o + c0 + 2 * LANES, c0 + 2 * LANES, limit);
        finish(a3, addToOut, out, o + c0 + 3 * LANES, c0 + 3 * LANES, limit);
        finish(a4, addToOut, out, o + c0 + 4 * LANES, c0 + 4 * LANES, limit);
        finish(a5, addToOut, out, o + c0 + 5 * LANES, c0 + 5 * LANES, limit);
        finish(a6, addToOut, out, o + c0 + 6 * LANES, c0 + 6 * LANES, limit);
        finish(a7, addToOut, out, o + c0 + 7 * LANES, c0 + 7 * LANES, limit);
    }

    /** One row, column vectors cv .. cv+3 (the last panel of an odd count with AVX-512, the end of a head). */
    private static void block1x4(float[] x, int x0, int k, MemorySegment w, int cv, int gates, long kStep,
                                 MemorySegment bias, boolean addToOut, float[] out, int o, int limit) {
        long w0 = columnBase(cv, k, gates), w1 = columnBase(cv + 1, k, gates);
        long w2 = columnBase(cv + 2, k, gates), w3 = columnBase(cv + 3, k, gates);
        int c0 = cv * LANES;
        FloatVector a0 = start(bias, c0), a1 = start(bias, c0 + LANES);
        FloatVector a2 = start(bias, c0 + 2 * LANES), a3 = start(bias, c0 + 3 * LANES);
        for (int kk = 0; kk < k; kk++) {
            long at = kk * kStep;
            FloatVector s = broadcast(x, x0 + kk);
            a0 = weights(w, w0 + at).fma(s, a0); a1 = weights(w, w1 + at).fma(s, a1);
            a2 = weights(w, w2 + at).fma(s, a2); a3 = weights(w, w3 + at).fma(s, a3);
        }
        finish(a0, addToOut, out, o + c0, c0, limit);
        finish(a1, addToOut, out, o + c0 + LANES, c0 + LANES, limit);
        finish(a2, addToOut, out, o + c0 + 2 * LANES, c0 + 2 * LANES, limit);
        finish(a3, addToOut, out, o + c0 + 3 * LANES, c0 + 3 * LANES, limit);
    }

    private static void block1x1(float[] x, int x0, int k, MemorySegment w, long w0, long kStep,
                                 MemorySegment bias, boolean addToOut, float[] out, int o, int col, int limit) {
        FloatVector a = start(bias, col);
        for (int kk = 0; kk < k; kk++) {
            a = weights(w, w0 + kk * kStep).fma(broadcast(x, x0 + kk), a);
        }
        finish(a, addToOut, out, o + col, col, limit);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Activations and the cell update.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * From the summed gates in pre: c = f*c + i*tanh(a_c), h = o*tanh(c), for one slice of one row. Only lanes with
     * u < hidden are read or written, so c and hOut may be dense rows of exactly {@code hidden} floats.
     */
    private static void cellUpdate(float[] pre, int p, float[] c, int cAt, float[] hOut, int hAt, int unit, int hidden) {
        VectorMask<Float> live = SPECIES.indexInRange(unit, hidden);
        FloatVector i = sigmoid(FloatVector.fromArray(SPECIES, pre, p));
        FloatVector o = sigmoid(FloatVector.fromArray(SPECIES, pre, p + PANEL));
        FloatVector f = sigmoid(FloatVector.fromArray(SPECIES, pre, p + 2 * PANEL));
        FloatVector candidate = tanh(FloatVector.fromArray(SPECIES, pre, p + 3 * PANEL));
        FloatVector cell = f.fma(FloatVector.fromArray(SPECIES, c, cAt, live), i.mul(candidate));
        cell.intoArray(c, cAt, live);
        o.mul(tanh(cell)).intoArray(hOut, hAt, live);
    }

    /**
     * Logistic sigmoid 1 / (1 + e^-x). For x below about -88.7, e^-x overflows to +Inf and the result is exactly 0;
     * for large x it is 1; NaN stays NaN. Absolute error about 1e-7 (the ulp of the EXP intrinsic and one division).
     */
    static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(SPECIES, 1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    /**
     * Hyperbolic tangent as tanh|x| = -m / (2 + m) with m = expm1(-2|x|), sign restored. The argument of expm1 is never
     * positive, so m lies in [-1, 0]: no overflow (±Inf and ±100 give ±1), and no cancellation near 0, where the
     * common 2*sigmoid(2x) - 1 loses about one ulp of 1. NaN stays NaN.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector m = x.abs().mul(-2f).lanewise(VectorOperators.EXPM1);
        FloatVector t = m.neg().div(m.add(2f));
        return t.blend(t.neg(), x.lt(0f));
    }
}
