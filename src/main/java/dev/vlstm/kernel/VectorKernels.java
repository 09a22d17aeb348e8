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
    // lstmStep: per slice (LANES consecutive hidden units), the 4 gate accumulators start from pre and take one
    // broadcast of hPrev[b][k] times the 4 gate vectors of r[q][k] per k; then activations and the cell update run on
    // whole vectors. Rows are blocked 4 / 2 / 1 so each weight load serves several rows; a single row unrolls k by 2
    // into a second accumulator set, so 8 FMA chains hide the FMA latency. Slices are the outer loop so one slice's
    // weights (hidden*4 vectors) stay in cache across the row blocks.
    // ---------------------------------------------------------------------------------------------------------------

    @Override
    public void lstmStep(int batch, int hidden, MemorySegment r,
                         float[] pre, int preOffset, int preStride,
                         float[] hPrev, int hPrevOffset, int hPrevStride,
                         float[] c, int cOffset, int cStride,
                         float[] hOut, int hOutOffset, int hOutStride) {
        int slices = (hidden + LANES - 1) / LANES;    // slices past hidden (whole padding vectors) are skipped
        for (int t = 0; t < slices; t++) {
            int unit = t * LANES;
            int q = t / SLICES, slice = t - q * SLICES;
            long wBase = (long) q * hidden * 4 * LINE + (long) slice * LANES * Float.BYTES;  // r(q, 0, i, slice)
            int preCol = q * 4 * PANEL + slice * LANES;                                    // pre(q, i, slice)
            VectorMask<Float> live = SPECIES.indexInRange(unit, hidden);                   // lanes with u < hidden
            int b = 0;
            for (; b + 4 <= batch; b += 4) {
                step4(hidden, r, wBase, pre, preOffset + b * preStride + preCol, preStride,
                        hPrev, hPrevOffset + b * hPrevStride, hPrevStride,
                        c, cOffset + b * cStride + unit, cStride, hOut, hOutOffset + b * hOutStride + unit, hOutStride,
                        live);
            }
            if (b + 2 <= batch) {
                step2(hidden, r, wBase, pre, preOffset + b * preStride + preCol, preStride,
                        hPrev, hPrevOffset + b * hPrevStride, hPrevStride,
                        c, cOffset + b * cStride + unit, cStride, hOut, hOutOffset + b * hOutStride + unit, hOutStride,
                        live);
                b += 2;
            }
            if (b < batch) {
                step1(hidden, r, wBase, pre, preOffset + b * preStride + preCol,
                        hPrev, hPrevOffset + b * hPrevStride,
                        c, cOffset + b * cStride + unit, hOut, hOutOffset + b * hOutStride + unit, live);
            }
        }
    }

    private static FloatVector preGate(float[] pre, int at, int gate) {
        return FloatVector.fromArray(SPECIES, pre, at + gate * PANEL);
    }

    private static void step4(int hidden, MemorySegment r, long wBase,
                              float[] pre, int pre0, int preStride, float[] hPrev, int h0, int hStride,
                              float[] c, int c0, int cStride, float[] hOut, int o0, int oStride,
                              VectorMask<Float> live) {
        int pre1 = pre0 + preStride, pre2 = pre1 + preStride, pre3 = pre2 + preStride;
        int h1 = h0 + hStride, h2 = h1 + hStride, h3 = h2 + hStride;
        // a<gate><row>, gates i, o, f, c
        FloatVector ai0 = preGate(pre, pre0, 0), ao0 = preGate(pre, pre0, 1), af0 = preGate(pre, pre0, 2), ac0 = preGate(pre, pre0, 3);
        FloatVector ai1 = preGate(pre, pre1, 0), ao1 = preGate(pre, pre1, 1), af1 = preGate(pre, pre1, 2), ac1 = preGate(pre, pre1, 3);
        FloatVector ai2 = preGate(pre, pre2, 0), ao2 = preGate(pre, pre2, 1), af2 = preGate(pre, pre2, 2), ac2 = preGate(pre, pre2, 3);
        FloatVector ai3 = preGate(pre, pre3, 0), ao3 = preGate(pre, pre3, 1), af3 = preGate(pre, pre3, 2), ac3 = preGate(pre, pre3, 3);
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
        cellUpdate(ai0, ao0, af0, ac0, c, c0, hOut, o0, live);
        cellUpdate(ai1, ao1, af1, ac1, c, c0 + cStride, hOut, o0 + oStride, live);
        cellUpdate(ai2, ao2, af2, ac2, c, c0 + 2 * cStride, hOut, o0 + 2 * oStride, live);
        cellUpdate(ai3, ao3, af3, ac3, c, c0 + 3 * cStride, hOut, o0 + 3 * oStride, live);
    }

    private static void step2(int hidden, MemorySegment r, long wBase,
                              float[] pre, int pre0, int preStride, float[] hPrev, int h0, int hStride,
                              float[] c, int c0, int cStride, float[] hOut, int o0, int oStride,
                              VectorMask<Float> live) {
        int pre1 = pre0 + preStride, h1 = h0 + hStride;
        FloatVector ai0 = preGate(pre, pre0, 0), ao0 = preGate(pre, pre0, 1), af0 = preGate(pre, pre0, 2), ac0 = preGate(pre, pre0, 3);
        FloatVector ai1 = preGate(pre, pre1, 0), ao1 = preGate(pre, pre1, 1), af1 = preGate(pre, pre1, 2), ac1 = preGate(pre, pre1, 3);
        for (int kk = 0; kk < hidden; kk++) {
            long at = wBase + (long) kk * 4 * LINE;
            FloatVector wi = weights(r, at), wo = weights(r, at + LINE);
            FloatVector wf = weights(r, at + 2 * LINE), wc = weights(r, at + 3 * LINE);
            FloatVector s = FloatVector.broadcast(SPECIES, hPrev[h0 + kk]);
            ai0 = wi.fma(s, ai0); ao0 = wo.fma(s, ao0); af0 = wf.fma(s, af0); ac0 = wc.fma(s, ac0);
            s = FloatVector.broadcast(SPECIES, hPrev[h1 + kk]);
            ai1 = wi.fma(s, ai1); ao1 = wo.fma(s, ao1); af1 = wf.fma(s, af1); ac1 = wc.fma(s, ac1);
        }
        cellUpdate(ai0, ao0, af0, ac0, c, c0, hOut, o0, live);
        cellUpdate(ai1, ao1, af1, ac1, c, c0 + cStride, hOut, o0 + oStride, live);
    }

    private static void step1(int hidden, MemorySegment r, long wBase,
                              float[] pre, int pre0, float[] hPrev, int h0,
                              float[] c, int c0, float[] hOut, int o0, VectorMask<Float> live) {
        // Two accumulator sets (even and odd k): one row alone has only 4 FMA chains, too few to cover FMA latency.
        FloatVector ai = preGate(pre, pre0, 0), ao = preGate(pre, pre0, 1), af = preGate(pre, pre0, 2), ac = preGate(pre, pre0, 3);
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
        cellUpdate(ai.add(bi), ao.add(bo), af.add(bf), ac.add(bc), c, c0, hOut, o0, live);
    }

    /**
     * c = f*c + i*tanh(a_c), h = o*tanh(c) on one slice of one row. Only lanes with u < hidden are read or written, so
     * c and hOut may be dense rows of exactly {@code hidden} floats.
     */
    private static void cellUpdate(FloatVector ai, FloatVector ao, FloatVector af, FloatVector ac,
                                   float[] c, int cAt, float[] hOut, int hAt, VectorMask<Float> live) {
        FloatVector cell = FloatVector.fromArray(SPECIES, c, cAt, live);
        cell = sigmoid(af).fma(cell, sigmoid(ai).mul(tanh(ac)));
        cell.intoArray(c, cAt, live);
        sigmoid(ao).mul(tanh(cell)).intoArray(hOut, hAt, live);
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
