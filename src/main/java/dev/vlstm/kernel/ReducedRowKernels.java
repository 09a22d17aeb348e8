package dev.vlstm.kernel;

import static dev.vlstm.kernel.PanelSpecies.LANES;
import static dev.vlstm.kernel.PanelSpecies.SPECIES;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The recurrent product of one row over a {@link ReducedMatrix}, on the Vector API: {@code VectorKernels}' one-row
 * blocks (8 column vectors, then pairs) with each weight vector loaded in half (bf16) or a quarter (int8) of the bytes
 * and widened in registers. bf16: a pair of column vectors is one full-width load in the matrix's interleave, its ints
 * shifted (first vector) or masked (second) into floats; the sums are then exactly the fp32 kernel's on the widened
 * weights. int8: LANES bytes converted to floats; each column's sum
 * starts at 0 and is scaled once at the end, {@code pre += scale × sum}.
 *
 * <p>The same rule as VectorKernels: no vector crosses a method boundary, so the widening is written out in each
 * block. int8 needs a byte vector of LANES lanes, at least 64 bits: with 128-bit float vectors (4 lanes) {@link #INT8} is false and the caller uses the scalar loop.
 */
final class ReducedRowKernels {
    private ReducedRowKernels() {
    }

    /** 2 × LANES shorts: a pair of bf16 column vectors, one full-width load. */
    private static final VectorSpecies<Short> PAIRS = VectorSpecies.of(short.class, SPECIES.vectorShape());
    private static final int HIGH_HALF = 0xFFFF0000;
    /** Whether int8 rows run here: a byte vector of LANES lanes exists (64 bits or more). */
    static final boolean INT8 = SPECIES.vectorBitSize() >= 256;
    private static final VectorSpecies<Byte> BYTES = INT8
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(SPECIES.vectorBitSize() / 4)) : null;
    private static final int K_STEP = LstmKernels.PANEL;

    /** Column vectors {@code cv0 .. cv1-1}: {@code pre[at + cv * LANES ..] += sum_k h[h0 + k] * r(cv, k)}. */
    static void accumulate(float[] h, int h0, ReducedMatrix r, int cv0, int cv1, float[] pre, int at) {
        int k = r.k, cv = cv0;
        if (r.bf16 != null) {       // column vectors come in pairs: cv0 and cv1 are even (4 gates per panel)
            for (; cv + 8 <= cv1; cv += 8) bf16Block1x8(h, h0, k, r.bf16, cv / 2, pre, at + cv * LANES);
            for (; cv < cv1; cv += 2) bf16Block1x2(h, h0, k, r.bf16, cv / 2, pre, at + cv * LANES);
            return;
        }
        for (; cv + 8 <= cv1; cv += 8)
            int8Block1x8(h, h0, k, r.int8, VectorKernels.columnBase(cv, k), r.scales, cv * LANES, pre, at + cv * LANES);
        for (; cv < cv1; cv++)
            int8Block1x1(h, h0, k, r.int8, VectorKernels.columnBase(cv, k), r.scales, cv * LANES, pre, at + cv * LANES);
    }

    /**
     * Pairs {@code p0 .. p0 + 3} of column vectors (8 vectors) of a bf16 matrix in its interleave ({@link ReducedMatrix}):
     * one load per pair and k, whose ints shifted left by 16 are the first vector and masked to their upper half the
     * second.
     */
    private static void bf16Block1x8(float[] x, int x0, int k, short[] w, int p0, float[] pre, int o) {
        int step = 2 * LANES, pair = k * step;
        int w0 = p0 * pair, w1 = w0 + pair, w2 = w1 + pair, w3 = w2 + pair;
        FloatVector a0 = FloatVector.fromArray(SPECIES, pre, o), a1 = FloatVector.fromArray(SPECIES, pre, o + LANES);
        FloatVector a2 = FloatVector.fromArray(SPECIES, pre, o + 2 * LANES), a3 = FloatVector.fromArray(SPECIES, pre, o + 3 * LANES);
        FloatVector a4 = FloatVector.fromArray(SPECIES, pre, o + 4 * LANES), a5 = FloatVector.fromArray(SPECIES, pre, o + 5 * LANES);
        FloatVector a6 = FloatVector.fromArray(SPECIES, pre, o + 6 * LANES), a7 = FloatVector.fromArray(SPECIES, pre, o + 7 * LANES);
        for (int kk = 0; kk < k; kk++) {
            int at = kk * step;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            IntVector v0 = ShortVector.fromArray(PAIRS, w, w0 + at).reinterpretAsInts();
            IntVector v1 = ShortVector.fromArray(PAIRS, w, w1 + at).reinterpretAsInts();
            IntVector v2 = ShortVector.fromArray(PAIRS, w, w2 + at).reinterpretAsInts();
            IntVector v3 = ShortVector.fromArray(PAIRS, w, w3 + at).reinterpretAsInts();
            a0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a0);
            a1 = v0.and(HIGH_HALF).reinterpretAsFloats().fma(s, a1);
            a2 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a2);
            a3 = v1.and(HIGH_HALF).reinterpretAsFloats().fma(s, a3);
            a4 = v2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a4);
            a5 = v2.and(HIGH_HALF).reinterpretAsFloats().fma(s, a5);
            a6 = v3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a6);
            a7 = v3.and(HIGH_HALF).reinterpretAsFloats().fma(s, a7);
        }
        a0.intoArray(pre, o); a1.intoArray(pre, o + LANES); a2.intoArray(pre, o + 2 * LANES);
        a3.intoArray(pre, o + 3 * LANES); a4.intoArray(pre, o + 4 * LANES); a5.intoArray(pre, o + 5 * LANES);
        a6.intoArray(pre, o + 6 * LANES); a7.intoArray(pre, o + 7 * LANES);
    }

    /** Pair {@code p} of column vectors of a bf16 matrix, as {@link #bf16Block1x8}. */
    private static void bf16Block1x2(float[] x, int x0, int k, short[] w, int p, float[] pre, int o) {
        int step = 2 * LANES, w0 = p * k * step;
        FloatVector a0 = FloatVector.fromArray(SPECIES, pre, o), a1 = FloatVector.fromArray(SPECIES, pre, o + LANES);
        for (int kk = 0; kk < k; kk++) {
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            IntVector v = ShortVector.fromArray(PAIRS, w, w0 + kk * step).reinterpretAsInts();
            a0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a0);
            a1 = v.and(HIGH_HALF).reinterpretAsFloats().fma(s, a1);
        }
        a0.intoArray(pre, o); a1.intoArray(pre, o + LANES);
    }

    private static void int8Block1x8(float[] x, int x0, int k, byte[] w, int w0, float[] scales, int s0, float[] pre, int o) {
        int line = k * LstmKernels.PANEL;
        int w1 = w0 + VectorKernels.vectorOffset(1, line), w2 = w0 + VectorKernels.vectorOffset(2, line);
        int w3 = w0 + VectorKernels.vectorOffset(3, line), w4 = w0 + VectorKernels.vectorOffset(4, line);
        int w5 = w0 + VectorKernels.vectorOffset(5, line), w6 = w0 + VectorKernels.vectorOffset(6, line);
        int w7 = w0 + VectorKernels.vectorOffset(7, line);
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int kk = 0; kk < k; kk++) {
            int at = kk * K_STEP;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a0 = ((FloatVector) ByteVector.fromArray(BYTES, w, w0 + at).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a0);
            a1 = ((FloatVector) ByteVector.fromArray(BYTES, w, w1 + at).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a1);
            a2 = ((FloatVector) ByteVector.fromArray(BYTES, w, w2 + at).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a2);
            a3 = ((FloatVector) ByteVector.fromArray(BYTES, w, w3 + at).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a3);
            a4 = ((FloatVector) ByteVector.fromArray(BYTES, w, w4 + at).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a4);
            a5 = ((FloatVector) ByteVector.fromArray(BYTES, w, w5 + at).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a5);
            a6 = ((FloatVector) ByteVector.fromArray(BYTES, w, w6 + at).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a6);
            a7 = ((FloatVector) ByteVector.fromArray(BYTES, w, w7 + at).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a7);
        }
        a0.fma(FloatVector.fromArray(SPECIES, scales, s0), FloatVector.fromArray(SPECIES, pre, o)).intoArray(pre, o);
        a1.fma(FloatVector.fromArray(SPECIES, scales, s0 + LANES), FloatVector.fromArray(SPECIES, pre, o + LANES)).intoArray(pre, o + LANES);
        a2.fma(FloatVector.fromArray(SPECIES, scales, s0 + 2 * LANES), FloatVector.fromArray(SPECIES, pre, o + 2 * LANES)).intoArray(pre, o + 2 * LANES);
        a3.fma(FloatVector.fromArray(SPECIES, scales, s0 + 3 * LANES), FloatVector.fromArray(SPECIES, pre, o + 3 * LANES)).intoArray(pre, o + 3 * LANES);
        a4.fma(FloatVector.fromArray(SPECIES, scales, s0 + 4 * LANES), FloatVector.fromArray(SPECIES, pre, o + 4 * LANES)).intoArray(pre, o + 4 * LANES);
        a5.fma(FloatVector.fromArray(SPECIES, scales, s0 + 5 * LANES), FloatVector.fromArray(SPECIES, pre, o + 5 * LANES)).intoArray(pre, o + 5 * LANES);
        a6.fma(FloatVector.fromArray(SPECIES, scales, s0 + 6 * LANES), FloatVector.fromArray(SPECIES, pre, o + 6 * LANES)).intoArray(pre, o + 6 * LANES);
        a7.fma(FloatVector.fromArray(SPECIES, scales, s0 + 7 * LANES), FloatVector.fromArray(SPECIES, pre, o + 7 * LANES)).intoArray(pre, o + 7 * LANES);
    }

    private static void int8Block1x1(float[] x, int x0, int k, byte[] w, int w0, float[] scales, int s0, float[] pre, int o) {
        FloatVector a = FloatVector.zero(SPECIES);
        for (int kk = 0; kk < k; kk++) a = ((FloatVector) ByteVector.fromArray(BYTES, w, w0 + kk * K_STEP).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(FloatVector.broadcast(SPECIES, x[x0 + kk]), a);
        a.fma(FloatVector.fromArray(SPECIES, scales, s0), FloatVector.fromArray(SPECIES, pre, o)).intoArray(pre, o);
    }
}
