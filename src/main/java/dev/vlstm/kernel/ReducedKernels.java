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
 * The recurrent product over a {@link ReducedMatrix}, on the Vector API, two ways.
 *
 * <p><b>One row</b> ({@link #accumulate}: batch 1, where a step streams all of R): {@code VectorKernels}' one-row
 * blocks (8 column vectors at a time) with the weights loaded in half (bf16) or a quarter (int8) of the bytes and
 * widened in registers. bf16: each load is a full vector holding a pair of column vectors, its ints shifted (first
 * vector) or masked (second) into floats, and the sums are exactly the fp32 kernel's on the widened weights, each
 * column's one chain in k order. int8: each column vector is a load of its LANES bytes and a sign-extending convert
 * to floats; each column's sum starts at 0 and is scaled once at the end, {@code pre += scale × sum}.
 *
 * <p><b>Several rows</b> ({@link #widenPanel}): one panel of R is widened once per step into an fp32 scratch panel
 * (in steps, 128 inputs of it at a time, so the scratch stays in L1: VectorKernels.WIDEN_K), int8 as its values q,
 * and VectorKernels' fp32 blocks run all the rows over it; int8's sums start at 0 and are scaled once at the end as
 * one row's are (VectorKernels.scaleSums). So every row gets the bits it gets alone, whatever the batch, as with
 * fp32 weights. Widening in registers inside the row blocks would repeat it for every block of rows, and int8's
 * widening (a convert per vector) costs more than the FMAs it feeds when only a few rows share a
 * load; once per panel and step it is a load, a convert or two and a store per vector, against
 * {@code rows} FMAs per weight vector.
 *
 * <p>The same rules as VectorKernels: no vector crosses a method boundary, so the widening is written out in each
 * block; and every block is a compilation root, so {@link #accumulate} and {@link #widenPanel}, called from
 * VectorKernels, reach no vector code of their own (CompileUnitTest). Column ranges are whole quads (4 gates per
 * panel): 8 vectors at a time, then one block of 4 (an AVX-512 panel).
 */
final class ReducedKernels {
    private ReducedKernels() {
    }

    /** 2 × LANES shorts: a pair of bf16 column vectors, one full-width load. */
    private static final VectorSpecies<Short> PAIRS = VectorSpecies.of(short.class, SPECIES.vectorShape());
    private static final int HIGH_HALF = 0xFFFF0000;
    /**
     * The bytes of one int8 column vector: LANES bytes (16 with AVX-512, 8 with AVX2), or 8 when LANES is smaller, the
     * narrowest vector shape (of which the convert uses the first LANES).
     */
    private static final VectorSpecies<Byte> COLUMN_BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, 8 * LANES)));
    private static final int K_STEP = LstmKernels.PANEL;

    /** Column vectors {@code cv0 .. cv1-1}: {@code pre[at + cv * LANES ..] += sum_k h[h0 + k] * r(cv, k)}. */
    static void accumulate(float[] h, int h0, ReducedMatrix r, int cv0, int cv1, float[] pre, int at) {
        int k = r.k, cv = cv0;
        if (r.bf16 != null) {       // cv0 and cv1 are multiples of 4 (4 gates per panel): whole pairs and quads
            for (; cv + 8 <= cv1; cv += 8) bf16Block1x8(h, h0, k, r.bf16, cv / 2, pre, at + cv * LANES);
            for (; cv < cv1; cv += 4) bf16Block1x4(h, h0, k, r.bf16, cv / 2, pre, at + cv * LANES);
            return;
        }
        for (; cv + 8 <= cv1; cv += 8) int8Block1x8(h, h0, k, r.int8, cv / 4, r.scales, cv * LANES, pre, at + cv * LANES);
        for (; cv < cv1; cv += 4) int8Block1x4(h, h0, k, r.int8, cv / 4, r.scales, cv * LANES, pre, at + cv * LANES);
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

    /**
     * Pairs {@code p0} and {@code p0 + 1} (4 column vectors: an AVX-512 panel) of a bf16 matrix, as
     * {@link #bf16Block1x8}: each column vector's sum one chain in k order, so a row's bits are the ones the several-row
     * blocks give (a second set of chains for odd k would hide the FMA latency, but round differently); two k per
     * iteration, a body large enough that C2 compiles it as its own unit rather than inlining it into
     * {@link #accumulate}.
     */
    private static void bf16Block1x4(float[] x, int x0, int k, short[] w, int p0, float[] pre, int o) {
        int step = 2 * LANES, pair = k * step, w0 = p0 * pair, w1 = w0 + pair;
        FloatVector a0 = FloatVector.fromArray(SPECIES, pre, o), a1 = FloatVector.fromArray(SPECIES, pre, o + LANES);
        FloatVector a2 = FloatVector.fromArray(SPECIES, pre, o + 2 * LANES), a3 = FloatVector.fromArray(SPECIES, pre, o + 3 * LANES);
        int kk = 0;
        for (; kk + 1 < k; kk += 2) {
            int at = kk * step;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]), t = FloatVector.broadcast(SPECIES, x[x0 + kk + 1]);
            IntVector v0 = ShortVector.fromArray(PAIRS, w, w0 + at).reinterpretAsInts();
            IntVector v1 = ShortVector.fromArray(PAIRS, w, w1 + at).reinterpretAsInts();
            IntVector u0 = ShortVector.fromArray(PAIRS, w, w0 + at + step).reinterpretAsInts();
            IntVector u1 = ShortVector.fromArray(PAIRS, w, w1 + at + step).reinterpretAsInts();
            a0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a0);
            a1 = v0.and(HIGH_HALF).reinterpretAsFloats().fma(s, a1);
            a2 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a2);
            a3 = v1.and(HIGH_HALF).reinterpretAsFloats().fma(s, a3);
            a0 = u0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(t, a0);
            a1 = u0.and(HIGH_HALF).reinterpretAsFloats().fma(t, a1);
            a2 = u1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(t, a2);
            a3 = u1.and(HIGH_HALF).reinterpretAsFloats().fma(t, a3);
        }
        if (kk < k) {
            int at = kk * step;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            IntVector v0 = ShortVector.fromArray(PAIRS, w, w0 + at).reinterpretAsInts();
            IntVector v1 = ShortVector.fromArray(PAIRS, w, w1 + at).reinterpretAsInts();
            a0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a0);
            a1 = v0.and(HIGH_HALF).reinterpretAsFloats().fma(s, a1);
            a2 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(s, a2);
            a3 = v1.and(HIGH_HALF).reinterpretAsFloats().fma(s, a3);
        }
        a0.intoArray(pre, o); a1.intoArray(pre, o + LANES);
        a2.intoArray(pre, o + 2 * LANES); a3.intoArray(pre, o + 3 * LANES);
    }

    /**
     * Quads {@code g0} and {@code g0 + 1} of column vectors (8 vectors) of an int8 matrix in its blocks
     * ({@link ReducedMatrix}): each vector a load of its bytes and a sign-extending convert; the sums start at 0 and
     * are scaled once, {@code pre += scale × sum}.
     */
    private static void int8Block1x8(float[] x, int x0, int k, byte[] w, int g0, float[] scales, int s0, float[] pre, int o) {
        int step = 4 * LANES, w0 = g0 * k * step, w1 = w0 + k * step;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int kk = 0; kk < k; kk++) {
            int v = w0 + kk * step, u = w1 + kk * step;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a0 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, v).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a0);
            a1 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, v + LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a1);
            a2 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, v + 2 * LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a2);
            a3 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, v + 3 * LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a3);
            a4 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, u).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a4);
            a5 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, u + LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a5);
            a6 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, u + 2 * LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a6);
            a7 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, u + 3 * LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a7);
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

    /** Quad {@code g} of column vectors of an int8 matrix, as {@link #int8Block1x8}. */
    private static void int8Block1x4(float[] x, int x0, int k, byte[] w, int g, float[] scales, int s0, float[] pre, int o) {
        int step = 4 * LANES, w0 = g * k * step;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (int kk = 0; kk < k; kk++) {
            int v = w0 + kk * step;
            FloatVector s = FloatVector.broadcast(SPECIES, x[x0 + kk]);
            a0 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, v).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a0);
            a1 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, v + LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a1);
            a2 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, v + 2 * LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a2);
            a3 = ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, v + 3 * LANES).convertShape(VectorOperators.B2F, SPECIES, 0)).fma(s, a3);
        }
        a0.fma(FloatVector.fromArray(SPECIES, scales, s0), FloatVector.fromArray(SPECIES, pre, o)).intoArray(pre, o);
        a1.fma(FloatVector.fromArray(SPECIES, scales, s0 + LANES), FloatVector.fromArray(SPECIES, pre, o + LANES)).intoArray(pre, o + LANES);
        a2.fma(FloatVector.fromArray(SPECIES, scales, s0 + 2 * LANES), FloatVector.fromArray(SPECIES, pre, o + 2 * LANES)).intoArray(pre, o + 2 * LANES);
        a3.fma(FloatVector.fromArray(SPECIES, scales, s0 + 3 * LANES), FloatVector.fromArray(SPECIES, pre, o + 3 * LANES)).intoArray(pre, o + 3 * LANES);
    }

    /**
     * Inputs {@code k0 .. k0 + kn - 1} of panel {@code q} of {@code r} as fp32 into {@code into[0 .. 4 · kn · PANEL)},
     * in gate-line order ({@code [4 gates][kn][PANEL]}, one panel of an fp32 R with k = kn: {@link GateLines}), int8
     * as its values q (the sums are scaled afterwards). Four column vectors at a time: a panel is 4 × SLICES of them.
     */
    static void widenPanel(ReducedMatrix r, int q, int k0, int kn, float[] into) {
        int cv0 = q * 4 * PanelSpecies.SLICES, cv1 = cv0 + 4 * PanelSpecies.SLICES;
        for (int cv = cv0; cv < cv1; cv += 4) {
            int d0 = VectorKernels.columnBase(cv - cv0, kn);
            if (r.bf16 != null) widenBf16(r.bf16, r.k, cv / 2, k0, kn, d0, into);
            else widenInt8(r.int8, r.k, cv / 4, k0, kn, d0, into);
        }
    }

    /**
     * Inputs {@code k0 .. k0 + kn - 1} of pairs {@code p0} and {@code p0 + 1} of a bf16 matrix (4 column vectors) as
     * floats, column vector j's weight for input {@code k0 + kk} at {@code into[d0 + vectorOffset(j) + kk · PANEL]}
     * (a panel of k = kn); two k per iteration, a body C2 compiles as its own unit.
     */
    private static void widenBf16(short[] w, int k, int p0, int k0, int kn, int d0, float[] into) {
        int step = 2 * LANES, w0 = (p0 * k + k0) * step, w1 = w0 + k * step, line = kn * LstmKernels.PANEL;
        int d1 = d0 + VectorKernels.vectorOffset(1, line), d2 = d0 + VectorKernels.vectorOffset(2, line);
        int d3 = d0 + VectorKernels.vectorOffset(3, line);
        int kk = 0;
        for (; kk + 1 < kn; kk += 2) {
            int at = kk * step, to = kk * K_STEP;
            IntVector v0 = ShortVector.fromArray(PAIRS, w, w0 + at).reinterpretAsInts();
            IntVector v1 = ShortVector.fromArray(PAIRS, w, w1 + at).reinterpretAsInts();
            IntVector u0 = ShortVector.fromArray(PAIRS, w, w0 + at + step).reinterpretAsInts();
            IntVector u1 = ShortVector.fromArray(PAIRS, w, w1 + at + step).reinterpretAsInts();
            v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(into, d0 + to);
            v0.and(HIGH_HALF).reinterpretAsFloats().intoArray(into, d1 + to);
            v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(into, d2 + to);
            v1.and(HIGH_HALF).reinterpretAsFloats().intoArray(into, d3 + to);
            u0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(into, d0 + to + K_STEP);
            u0.and(HIGH_HALF).reinterpretAsFloats().intoArray(into, d1 + to + K_STEP);
            u1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(into, d2 + to + K_STEP);
            u1.and(HIGH_HALF).reinterpretAsFloats().intoArray(into, d3 + to + K_STEP);
        }
        if (kk < kn) {
            int at = kk * step, to = kk * K_STEP;
            IntVector v0 = ShortVector.fromArray(PAIRS, w, w0 + at).reinterpretAsInts();
            IntVector v1 = ShortVector.fromArray(PAIRS, w, w1 + at).reinterpretAsInts();
            v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(into, d0 + to);
            v0.and(HIGH_HALF).reinterpretAsFloats().intoArray(into, d1 + to);
            v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(into, d2 + to);
            v1.and(HIGH_HALF).reinterpretAsFloats().intoArray(into, d3 + to);
        }
    }

    /**
     * Inputs {@code k0 .. k0 + kn - 1} of quad {@code g} of an int8 matrix (4 column vectors) as floats q, unscaled
     * (the sums over them are scaled once per column, as a row's are: {@code VectorKernels.scaleSums}), column vector
     * j's weight for input {@code k0 + kk} at {@code into[d0 + vectorOffset(j) + kk · PANEL]} (a panel of k = kn). One
     * column vector at a time: with all four in one loop, C2 kept a bounds check on every load and store and spilled
     * (W4 int8 132.8 ms against 126.7 with the earlier interleave, Intel Xeon with AVX-512, 2 forks, 2026-12-07).
     */
    private static void widenInt8(byte[] w, int k, int g, int k0, int kn, int d0, float[] into) {
        int step = 4 * LANES, w0 = (g * k + k0) * step, line = kn * LstmKernels.PANEL;
        for (int j = 0; j < 4; j++) {   // one column vector at a time: a load, a convert and a store per k
            int from = w0 + j * LANES, to = d0 + VectorKernels.vectorOffset(j, line), kk = 0;
            for (; kk + 7 < kn; kk += 8) {     // eight k per iteration: a body C2 compiles as its own unit
                int at = from + kk * step, into0 = to + kk * K_STEP;
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, at).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, into0);
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, at + step).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, into0 + K_STEP);
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, at + 2 * step).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, into0 + 2 * K_STEP);
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, at + 3 * step).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, into0 + 3 * K_STEP);
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, at + 4 * step).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, into0 + 4 * K_STEP);
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, at + 5 * step).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, into0 + 5 * K_STEP);
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, at + 6 * step).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, into0 + 6 * K_STEP);
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, at + 7 * step).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, into0 + 7 * K_STEP);
            }
            for (; kk < kn; kk++) {
                ((FloatVector) ByteVector.fromArray(COLUMN_BYTES, w, from + kk * step).convertShape(VectorOperators.B2F, SPECIES, 0))
                        .intoArray(into, to + kk * K_STEP);
            }
        }
    }
}
