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
 * {@link LstmKernels} on the Vector API (ncnn style): weights are gate-packed panels, so one vector load holds the
 * same gate for {@link PanelSpecies#LANES} consecutive output units. The kernels broadcast one input value at a time
 * and FMA it into independent accumulators, so there are no horizontal reductions, and they block rows so that each
 * loaded weight vector serves several rows.
 *
 * <p>Loaded only through {@link Kernels} (by name), so no class touching {@code jdk.incubator.vector} is loaded when
 * the module is absent. Vectors of 512, 256 or 128 bits all work: a 16-unit panel is 1, 2 or 4 "slices" of one vector
 * each, and every loop runs over slices.
 *
 * <p>Register budget (AVX-512 has 32 vector registers): the widest blocks hold 16 accumulators, 4 weight vectors and a
 * broadcast. With 16 registers (AVX2) they spill a little; narrower blocks would suit such machines better.
 */
final class VectorKernels implements LstmKernels {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Bytes in one 16-unit line of a panel. */
    private static final int LINE = PANEL * Float.BYTES;

    VectorKernels() {
        // Touching LANES initialises PanelSpecies, and fails here (not in a hot loop) if the vector module is unusable.
        if (LANES < 4)
            throw new UnsupportedOperationException("the preferred vector size is " + SPECIES.vectorBitSize()
                    + " bits; vlstm's vector kernels need at least 128");
    }

    @Override
    public String name() {
        return "vector (" + LANES + " lanes)";
    }

    // ---------------------------------------------------------------------------------------------------------------
    // project: out[r][col] = bias[col] + sum_k x[r][k] * w[col's panel][k][gate][lane]
    //
    // A "column vector" cv covers output columns cv*LANES .. cv*LANES + LANES-1, i.e. one slice of one gate line of one
    // panel. Its weights are a stream with one vector every gates*PANEL floats (one per k). Blocks of 4 column vectors
    // x 4 rows give 16 independent accumulators: per k, 4 weight loads and 4 broadcasts feed 16 FMAs. Column blocks
    // are the outer loop so a block's weights (k*4 vectors) stay in L1/L2 while all rows stream past them.
    // ---------------------------------------------------------------------------------------------------------------

    @Override
    public void project(float[] x, int xOffset, int xStride, int rows, int k,
                        MemorySegment w, MemorySegment bias, int panels, int gates,
                        float[] out, int outOffset, int outStride, int outColumns) {
        // Only column vectors holding at least one column below outColumns are computed.
        int vectors = Math.min((outColumns + LANES - 1) / LANES, panels * gates * SLICES);
        long kStep = (long) gates * LINE;
        int cv = 0;
        for (; cv + 4 <= vectors; cv += 4) {
            long w0 = columnBase(cv, k, gates), w1 = columnBase(cv + 1, k, gates);
            long w2 = columnBase(cv + 2, k, gates), w3 = columnBase(cv + 3, k, gates);
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                project4x4(x, xOffset + r * xStride, xStride, k, w, w0, w1, w2, w3, kStep, bias, cv,
                        out, outOffset + r * outStride, outStride, outColumns);
            }
            for (; r < rows; r++) {
                project1x4(x, xOffset + r * xStride, k, w, w0, w1, w2, w3, kStep, bias, cv,
                        out, outOffset + r * outStride, outColumns);
            }
        }
        for (; cv < vectors; cv++) {      // the last 1-3 column vectors (a head narrower than a multiple of 4 vectors)
            long w0 = columnBase(cv, k, gates);
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                project4x1(x, xOffset + r * xStride, xStride, k, w, w0, kStep, bias, cv,
                        out, outOffset + r * outStride, outStride, outColumns);
            }
            for (; r < rows; r++) {
                project1x1(x, xOffset + r * xStride, k, w, w0, kStep, bias, cv,
                        out, outOffset + r * outStride, outColumns);
            }
        }
    }

    /** Byte offset of weight (q, k = 0, g, slice lanes) for column vector {@code cv}. */
    private static long columnBase(int cv, int k, int gates) {
        int line = cv / SLICES;                   // q*gates + g
        int q = line / gates, g = line - q * gates;
        int slice = cv - line * SLICES;
        return ((long) q * k * gates + g) * LINE + (long) slice * LANES * Float.BYTES;
    }

    private static FloatVector biasOrZero(MemorySegment bias, int cv) {
        // Bias [panels][gates][16] is laid out by output column, so column vector cv starts at float cv*LANES.
        return bias == null ? FloatVector.zero(SPECIES)
                : FloatVector.fromMemorySegment(SPECIES, bias, (long) cv * LANES * Float.BYTES, LE);
    }

    private static FloatVector weights(MemorySegment w, long byteOffset) {
        return FloatVector.fromMemorySegment(SPECIES, w, byteOffset, LE);
    }

    /** Stores a column vector, masking the lanes at or past outColumns (the partial last panel of a head). */
    private static void storeColumns(FloatVector v, float[] out, int at, int column, int outColumns) {
        if (column + LANES <= outColumns) v.intoArray(out, at);
        else v.intoArray(out, at, SPECIES.indexInRange(column, outColumns));
    }

    private static void project4x4(float[] x, int x0, int xStride, int k, MemorySegment w,
                                   long w0, long w1, long w2, long w3, long kStep, MemorySegment bias, int cv,
                                   float[] out, int out0, int outStride, int outColumns) {
        int x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        FloatVector b0 = biasOrZero(bias, cv), b1 = biasOrZero(bias, cv + 1);
        FloatVector b2 = biasOrZero(bias, cv + 2), b3 = biasOrZero(bias, cv + 3);
        FloatVector a00 = b0, a01 = b1, a02 = b2, a03 = b3;     // a<row><column vector>
        FloatVector a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        FloatVector a20 = b0, a21 = b1, a22 = b2, a23 = b3;
        FloatVector a30 = b0, a31 = b1, a32 = b2, a33 = b3;
        for (int kk = 0; kk < k; kk++) {
            long at = kk * kStep;
            FloatVector v0 = weights(w, w0 + at), v1 = weights(w, w1 + at);
            FloatVector v2 = weights(w, w2 + at), v3 = weights(w, w3 + at);
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a00 = v0.fma(s, a00); a01 = v1.fma(s, a01); a02 = v2.fma(s, a02); a03 = v3.fma(s, a03);
            s = FloatVector.broadcast(SPECIES, x[x1 + kk]);
            a10 = v0.fma(s, a10); a11 = v1.fma(s, a11); a12 = v2.fma(s, a12); a13 = v3.fma(s, a13);
            s = FloatVector.broadcast(SPECIES, x[x2 + kk]);
            a20 = v0.fma(s, a20); a21 = v1.fma(s, a21); a22 = v2.fma(s, a22); a23 = v3.fma(s, a23);
            s = FloatVector.broadcast(SPECIES, x[x3 + kk]);
            a30 = v0.fma(s, a30); a31 = v1.fma(s, a31); a32 = v2.fma(s, a32); a33 = v3.fma(s, a33);
        }
        int col = cv * LANES;
        int o = out0;
        store4(a00, a01, a02, a03, out, o + col, col, outColumns);
        o += outStride;
        store4(a10, a11, a12, a13, out, o + col, col, outColumns);
        o += outStride;
        store4(a20, a21, a22, a23, out, o + col, col, outColumns);
        o += outStride;
        store4(a30, a31, a32, a33, out, o + col, col, outColumns);
    }

    private static void store4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3,
                               float[] out, int at, int col, int outColumns) {
        storeColumns(a0, out, at, col, outColumns);
        storeColumns(a1, out, at + LANES, col + LANES, outColumns);
        storeColumns(a2, out, at + 2 * LANES, col + 2 * LANES, outColumns);
        storeColumns(a3, out, at + 3 * LANES, col + 3 * LANES, outColumns);
    }

    private static void project1x4(float[] x, int x0, int k, MemorySegment w,
                                   long w0, long w1, long w2, long w3, long kStep, MemorySegment bias, int cv,
                                   float[] out, int out0, int outColumns) {
        FloatVector a0 = biasOrZero(bias, cv), a1 = biasOrZero(bias, cv + 1);
        FloatVector a2 = biasOrZero(bias, cv + 2), a3 = biasOrZero(bias, cv + 3);
        for (int kk = 0; kk < k; kk++) {
            long at = kk * kStep;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a0 = weights(w, w0 + at).fma(s, a0);
            a1 = weights(w, w1 + at).fma(s, a1);
            a2 = weights(w, w2 + at).fma(s, a2);
            a3 = weights(w, w3 + at).fma(s, a3);
        }
        int col = cv * LANES;
        store4(a0, a1, a2, a3, out, out0 + col, col, outColumns);
    }

    private static void project4x1(float[] x, int x0, int xStride, int k, MemorySegment w,
                                   long w0, long kStep, MemorySegment bias, int cv,
                                   float[] out, int out0, int outStride, int outColumns) {
        int x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        FloatVector a0 = biasOrZero(bias, cv), a1 = a0, a2 = a0, a3 = a0;   // a<row>
        for (int kk = 0; kk < k; kk++) {
            FloatVector v = weights(w, w0 + kk * kStep);
            a0 = v.fma(FloatVector.broadcast(SPECIES, x[x0 + kk]), a0);
            a1 = v.fma(FloatVector.broadcast(SPECIES, x[x1 + kk]), a1);
            a2 = v.fma(FloatVector.broadcast(SPECIES, x[x2 + kk]), a2);
            a3 = v.fma(FloatVector.broadcast(SPECIES, x[x3 + kk]), a3);
        }
        int col = cv * LANES;
        storeColumns(a0, out, out0 + col, col, outColumns);
        storeColumns(a1, out, out0 + outStride + col, col, outColumns);
        storeColumns(a2, out, out0 + 2 * outStride + col, col, outColumns);
        storeColumns(a3, out, out0 + 3 * outStride + col, col, outColumns);
    }

    private static void project1x1(float[] x, int x0, int k, MemorySegment w,
                                   long w0, long kStep, MemorySegment bias, int cv,
                                   float[] out, int out0, int outColumns) {
        FloatVector a = biasOrZero(bias, cv);
        for (int kk = 0; kk < k; kk++) {
            a = weights(w, w0 + kk * kStep).fma(FloatVector.broadcast(SPECIES, x[x0 + kk]), a);
        }
        int col = cv * LANES;
        storeColumns(a, out, out0 + col, col, outColumns);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // lstmStep, per slice (LANES consecutive hidden units), in two phases:
    //  1. recurrent product: the 4 gate accumulators of each row start from pre and take, per k, one broadcast of
    //     hPrev[b][k] times the 4 gate vectors of r[q][k]. Rows are blocked 4 / 2 / 1 so each weight load serves
    //     several rows; a single row unrolls k by 2 into a second accumulator set so 8 FMA chains hide the FMA latency.
    //     The sums go back into pre, in place.
    //  2. activations and cell update, one row at a time, from pre.
    // Why through memory: the activations are large in C2's eyes (five EXP/EXPM1 with their masks and blends per row).
    // With them inside a 4-row block, C2 hit NodeCountInliningCutoff, stopped inlining after the first row, and the
    // other rows passed boxed vectors to out-of-line calls: 12x slower (356 us instead of 30 us for H=256, batch 4).
    // Storing 4 vectors per row and reloading them from L1 costs nothing in comparison, and only ints and arrays cross
    // method boundaries, so nothing is boxed whatever C2 decides to inline.
    // Slices are the outer loop so one slice's weights (hidden*4 vectors) stay in L1/L2 across the row blocks.
    // ---------------------------------------------------------------------------------------------------------------

    @Override
    public void lstmStep(int batch, int hidden, MemorySegment r,
                         float[] pre, int preOffset, int preStride,
                         float[] hPrev, int hPrevOffset, int hPrevStride,
                         float[] c, int cOffset, int cStride,
                         float[] hOut, int hOutOffset, int hOutStride) {
        int slices = (hidden + LANES - 1) / LANES;    // slices wholly past hidden (narrow vectors) are skipped
        for (int t = 0; t < slices; t++) {
            int unit = t * LANES;
            int q = t / SLICES, slice = t - q * SLICES;
            long wBase = (long) q * hidden * 4 * LINE + (long) slice * LANES * Float.BYTES;  // r(q, k 0, gate i, slice)
            int pre0 = preOffset + q * 4 * PANEL + slice * LANES;                          // pre(row 0, q, gate i, slice)
            int b = 0;
            for (; Boolean.getBoolean("g4") && b + 4 <= batch; b += 4) {
                gates4(hidden, r, wBase, pre, pre0 + b * preStride, preStride, hPrev, hPrevOffset + b * hPrevStride, hPrevStride);
            }
            for (; b + 2 <= batch; b += 2) {
                gates2(hidden, r, wBase, pre, pre0 + b * preStride, preStride, hPrev, hPrevOffset + b * hPrevStride, hPrevStride);
            }
            if (b < batch) {
                gates1(hidden, r, wBase, pre, pre0 + b * preStride, hPrev, hPrevOffset + b * hPrevStride);
            }
            for (b = 0; b < batch; b++) {
                cellUpdate(pre, pre0 + b * preStride, c, cOffset + b * cStride + unit,
                        hOut, hOutOffset + b * hOutStride + unit, unit, hidden);
            }
        }
    }

    private static FloatVector load(float[] a, int at) {
        return FloatVector.fromArray(SPECIES, a, at);
    }

    private static void gates4(int hidden, MemorySegment r, long wBase,
                               float[] pre, int p0, int preStride, float[] hPrev, int h0, int hStride) {
        int p1 = p0 + preStride, p2 = p1 + preStride, p3 = p2 + preStride;
        int h1 = h0 + hStride, h2 = h1 + hStride, h3 = h2 + hStride;
        // a<gate><row>, gates i, o, f, c at PANEL floats from each other in pre
        FloatVector ai0 = load(pre, p0), ao0 = load(pre, p0 + PANEL), af0 = load(pre, p0 + 2 * PANEL), ac0 = load(pre, p0 + 3 * PANEL);
        FloatVector ai1 = load(pre, p1), ao1 = load(pre, p1 + PANEL), af1 = load(pre, p1 + 2 * PANEL), ac1 = load(pre, p1 + 3 * PANEL);
        FloatVector ai2 = load(pre, p2), ao2 = load(pre, p2 + PANEL), af2 = load(pre, p2 + 2 * PANEL), ac2 = load(pre, p2 + 3 * PANEL);
        FloatVector ai3 = load(pre, p3), ao3 = load(pre, p3 + PANEL), af3 = load(pre, p3 + 2 * PANEL), ac3 = load(pre, p3 + 3 * PANEL);
        for (int kk = 0; kk < hidden; kk++) {
            long at = wBase + (long) kk * 4 * LINE;
            FloatVector wi = weights(r, at), wo = weights(r, at + LINE);
            FloatVector wf = weights(r, at + 2 * LINE), wc = weights(r, at + 3 * LINE);
            FloatVector s = FloatVector.broadcast(SPECIES, hPrev[h0 + kk]);
            ai0 = wi.fma(s, ai0); ao0 = wo.fma(s, ao0); af0 = wf.fma(s, af0); ac0 = wc.fma(s, ac0);
            s = FloatVector.broadcast(SPECIES, hPrev[h1 + kk]);
            ai1 = wi.fma(s, ai1); ao1 = wo.fma(s, ao1); af1 = wf.fma(s, af1); ac1 = wc.fma(s, ac1);
            s = FloatVector.broadcast(SPECIES, hPrev[h2 + kk]);
            ai2 = wi.fma(s, ai2); ao2 = wo.fma(s, ao2); af2 = wf.fma(s, af2); ac2 = wc.fma(s, ac2);
            s = FloatVector.broadcast(SPECIES, hPrev[h3 + kk]);
            ai3 = wi.fma(s, ai3); ao3 = wo.fma(s, ao3); af3 = wf.fma(s, af3); ac3 = wc.fma(s, ac3);
        }
        storeGates(ai0, ao0, af0, ac0, pre, p0);
        storeGates(ai1, ao1, af1, ac1, pre, p1);
        storeGates(ai2, ao2, af2, ac2, pre, p2);
        storeGates(ai3, ao3, af3, ac3, pre, p3);
    }

    private static void gates2(int hidden, MemorySegment r, long wBase,
                               float[] pre, int p0, int preStride, float[] hPrev, int h0, int hStride) {
        int p1 = p0 + preStride, h1 = h0 + hStride;
        FloatVector ai0 = load(pre, p0), ao0 = load(pre, p0 + PANEL), af0 = load(pre, p0 + 2 * PANEL), ac0 = load(pre, p0 + 3 * PANEL);
        FloatVector ai1 = load(pre, p1), ao1 = load(pre, p1 + PANEL), af1 = load(pre, p1 + 2 * PANEL), ac1 = load(pre, p1 + 3 * PANEL);
        for (int kk = 0; kk < hidden; kk++) {
            long at = wBase + (long) kk * 4 * LINE;
            FloatVector wi = weights(r, at), wo = weights(r, at + LINE);
            FloatVector wf = weights(r, at + 2 * LINE), wc = weights(r, at + 3 * LINE);
            FloatVector s = FloatVector.broadcast(SPECIES, hPrev[h0 + kk]);
            ai0 = wi.fma(s, ai0); ao0 = wo.fma(s, ao0); af0 = wf.fma(s, af0); ac0 = wc.fma(s, ac0);
            s = FloatVector.broadcast(SPECIES, hPrev[h1 + kk]);
            ai1 = wi.fma(s, ai1); ao1 = wo.fma(s, ao1); af1 = wf.fma(s, af1); ac1 = wc.fma(s, ac1);
        }
        storeGates(ai0, ao0, af0, ac0, pre, p0);
        storeGates(ai1, ao1, af1, ac1, pre, p1);
    }

    private static void gates1(int hidden, MemorySegment r, long wBase, float[] pre, int p0, float[] hPrev, int h0) {
        // Two accumulator sets (even and odd k): one row alone has only 4 FMA chains, too few to cover FMA latency.
        FloatVector ai = load(pre, p0), ao = load(pre, p0 + PANEL), af = load(pre, p0 + 2 * PANEL), ac = load(pre, p0 + 3 * PANEL);
        FloatVector bi = FloatVector.zero(SPECIES), bo = bi, bf = bi, bc = bi;
        int kk = 0;
        for (; kk + 2 <= hidden; kk += 2) {
            long at = wBase + (long) kk * 4 * LINE;
            FloatVector s = FloatVector.broadcast(SPECIES, hPrev[h0 + kk]);
            ai = weights(r, at).fma(s, ai);
            ao = weights(r, at + LINE).fma(s, ao);
            af = weights(r, at + 2 * LINE).fma(s, af);
            ac = weights(r, at + 3 * LINE).fma(s, ac);
            s = FloatVector.broadcast(SPECIES, hPrev[h0 + kk + 1]);
            bi = weights(r, at + 4 * LINE).fma(s, bi);
            bo = weights(r, at + 5 * LINE).fma(s, bo);
            bf = weights(r, at + 6 * LINE).fma(s, bf);
            bc = weights(r, at + 7 * LINE).fma(s, bc);
        }
        if (kk < hidden) {
            long at = wBase + (long) kk * 4 * LINE;
            FloatVector s = FloatVector.broadcast(SPECIES, hPrev[h0 + kk]);
            ai = weights(r, at).fma(s, ai);
            ao = weights(r, at + LINE).fma(s, ao);
            af = weights(r, at + 2 * LINE).fma(s, af);
            ac = weights(r, at + 3 * LINE).fma(s, ac);
        }
        storeGates(ai.add(bi), ao.add(bo), af.add(bf), ac.add(bc), pre, p0);
    }

    private static void storeGates(FloatVector ai, FloatVector ao, FloatVector af, FloatVector ac, float[] pre, int at) {
        ai.intoArray(pre, at);
        ao.intoArray(pre, at + PANEL);
        af.intoArray(pre, at + 2 * PANEL);
        ac.intoArray(pre, at + 3 * PANEL);
    }

    /**
     * From the summed gates in pre: c = f*c + i*tanh(a_c), h = o*tanh(c), for one slice of one row. Only lanes with
     * u < hidden are read or written, so c and hOut may be dense rows of exactly {@code hidden} floats.
     */
    private static void cellUpdate(float[] pre, int p, float[] c, int cAt, float[] hOut, int hAt, int unit, int hidden) {
        VectorMask<Float> live = SPECIES.indexInRange(unit, hidden);
        FloatVector i = sigmoid(load(pre, p)), o = sigmoid(load(pre, p + PANEL));
        FloatVector f = sigmoid(load(pre, p + 2 * PANEL)), candidate = tanh(load(pre, p + 3 * PANEL));
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
