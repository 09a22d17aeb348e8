package dev.vlstm.kernel;

import static dev.vlstm.kernel.PanelSpecies.DOUBLES;
import static dev.vlstm.kernel.PanelSpecies.LANES;
import static dev.vlstm.kernel.PanelSpecies.SPECIES;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The head's exp-based operations on the Vector API, for {@link VectorKernels}: Elu, Softplus, GELU and GELU(tanh)
 * over runs of floats, softmax, log-softmax and layer normalisation over rows. Each kernel is one loop of whole
 * vectors with a plain-Java tail ({@link HeadMath}, float64), and rows narrower than a vector are HeadMath's whole.
 * Like VectorKernels it passes no vector across a method boundary, and each kernel is larger than FreqInlineSize so
 * that C2 compiles it on its own (CompileUnitTest); sums over a row run in double lanes (each float vector converted
 * to two double vectors), so a row of thousands is as exact as one of eight. Allocation-free once compiled on AVX2
 * at 8 and 4 lanes (KernelAllocationTest, AllocationSweepTest), conversions included.
 *
 * <h2>exp without the Vector API's exp</h2>
 * {@code lanewise(EXP)} calls the JDK's native vector math library (SVML) where the JDK has a stub for the shape, and
 * the Java fallback, which allocates, where it has none. These kernels only need e^v for v <= 0 and compute it
 * written out (Cody-Waite): n = round(v / ln 2) by adding 1.5 * 2^23 in a fused multiply-add (the sum's low mantissa
 * bits are n), r = v - n ln 2 with ln 2 in two parts (the first product is exact under the FMA, |r| <= 0.35), e^r - 1
 * = r + r^2 C(r) with C of degree 5 (tools/fit_head_math.py: 2.6e-10 relative in exact arithmetic), and 2^n from
 * n's bits shifted into the exponent field. Then e^v = 2^n (e^r - 1) + 2^n and e^v - 1 = 2^n (e^r - 1) + (2^n - 1),
 * which keeps expm1's relative accuracy near 0 (for n = 0 it is the polynomial itself). Below v = -87.33654, where
 * e^v is under the smallest normal float (2^-126), the result is 0 (expm1: -1); NaN stays NaN.
 *
 * <h2>Error against float64 ({@link HeadMath}), measured by VectorHeadMathTest</h2>
 * "abs" is the largest |error| where |exact| <= 1, "rel" the largest |error| / |exact| where |exact| > 1, over about
 * 1.3 million values of every float exponent (a dense grid of [-20, 20], random values to ±1e4, ±0, subnormals,
 * ±MAX, ±Inf, NaN) and rows of 20 widths from 1 to 1000 of ten kinds; AMD EPYC Zen 3 (AVX2, 8 lanes), 2026-12-07,
 * and the same with 4 and 16 lanes ({@code vlstm.vectorBits} 128 and 512) within 3e-8 (the table has the largest):
 * <table>
 * <caption>measured (bound held by the test)</caption>
 * <tr><th>operation</th><th>abs</th><th>rel</th><th>note</th></tr>
 * <tr><td>Elu</td><td>5.1e-8 (1e-7)</td><td>0: x itself</td><td>1.2e-7 relative on every normal result</td></tr>
 * <tr><td>Softplus</td><td>1.3e-7 (2e-7)</td><td>1.2e-7 (2e-7)</td><td>2.1e-7 relative on every normal
 *     result</td></tr>
 * <tr><td>GELU</td><td>1.0e-7 (2e-7)</td><td>1.1e-7 (2e-7)</td><td>relative 1.1e-6 on every normal result
 *     (the worst at x = -13, where it becomes subnormal)</td></tr>
 * <tr><td>GELU(tanh)</td><td>1.0e-7 (2e-7)</td><td>1.3e-7 (2e-7)</td><td>relative error growing below x = -3
 *     (see {@link #geluTanh})</td></tr>
 * <tr><td>Softmax</td><td>8.6e-8 (2e-7)</td><td>-</td><td>probabilities under 1e-6 up to 4e-6 relative (x - max
 *     is rounded to float before its exp)</td></tr>
 * <tr><td>LogSoftmax</td><td>6.5e-8 (2e-7)</td><td>1.2e-7 (2e-7)</td><td></td></tr>
 * <tr><td>LayerNormalization</td><td>1.9e-7 (4e-7)</td><td>2.2e-7 (4e-7)</td><td>(x - mean) * inv * scale +
 *     bias, each rounded to float</td></tr>
 * </table>
 * NaN and ±Inf are exactly HeadMath's: a NaN stays NaN, a NaN or +Inf in a softmax row makes the row NaN, as does a
 * row of only -Inf, and a NaN or ±Inf makes a layer-norm row NaN.
 */
final class VectorHeadMath {

    private VectorHeadMath() {}

    /** 1 / ln 2, 1.5 * 2^23 (adding it rounds to an integer kept in the low mantissa bits), ln 2 in two parts. */
    private static final float LOG2E = 1.442695f, ROUND = 12582912f, LN2_HI = 0.6931472f, LN2_LO = -1.9046542e-09f;
    /** e^v for v below this is under 2^-126: 0 (and e^v - 1 is -1). */
    private static final float EXP_MIN = -87.33654f;
    private static final int ONE_BITS = Float.floatToRawIntBits(1f), MANTISSA_BITS = 23;
    /** e^r - 1 = r + r^2 (C0 + C1 r + ... + C5 r^5) for |r| <= 0.35 (tools/fit_head_math.py). */
    private static final float EXP_C0 = 0.5f, EXP_C1 = 0.1666666567325592f, EXP_C2 = 0.04166634753346443f,
            EXP_C3 = 0.008333391509950161f, EXP_C4 = 0.0013941640499979258f, EXP_C5 = 0.0001984595728572458f;
    /** log(1 + u) = s (2 + z (C0 + C1 z + C2 z^2 + C3 z^3)), s = u / (2 + u), z = s^2, u in [0, 1]: 2 atanh(s). */
    private static final float LOG1P_C0 = 0.666664183139801f, LOG1P_C1 = 0.4002152681350708f,
            LOG1P_C2 = 0.28001806139945984f, LOG1P_C3 = 0.2801198661327362f;
    /**
     * erfc(a) = t E(t) e^(-a^2), t = 1 / (1 + 3a/8), a >= 0, E of degree 8: 1.1e-8 relative in exact arithmetic up
     * to a = 9.5, past which e^(-a^2) is below 2^-126 (tools/fit_head_math.py).
     */
    private static final float ERFC_SCALE = 0.375f, ERFC_C0 = 0.21161441504955292f, ERFC_C1 = 0.21063350141048431f,
            ERFC_C2 = 0.20543041825294495f, ERFC_C3 = 0.12103896588087082f, ERFC_C4 = 0.27484411001205444f,
            ERFC_C5 = -0.23107638955116272f, ERFC_C6 = 0.43389374017715454f, ERFC_C7 = -0.28807535767555237f,
            ERFC_C8 = 0.0616966113448143f;
    private static final float INV_SQRT2 = 0.70710677f;
    /** GELU(tanh) = x sigmoid(2y), 2y = x (K0 + K1 x^2): K0 = 2 sqrt(2 / pi), K1 = K0 * 0.044715. */
    private static final float GELU_K0 = 1.5957692f, GELU_K1 = 0.071354814f;

    /**
     * Elu in place over {@code count} floats: x for x >= 0 (and NaN), else alpha (e^x - 1). Two vectors a round, the
     * rest (under 2 * LANES floats) in plain Java: one a round would be under FreqInlineSize bytes of bytecode, and C2
     * would inline it into its callers (CompileUnitTest).
     */
    static void elu(float[] a, int at, int count, float alpha) {
        int end = at + count - count % (2 * LANES);
        for (int p = at; p < end; p += 2 * LANES) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, a, p), x1 = FloatVector.fromArray(SPECIES, a, p + LANES);
            // e^x - 1 (the lanes of x >= 0 compute garbage, and keep x)
            FloatVector k0 = x0.fma(LOG2E, ROUND), n0 = k0.sub(ROUND), k1 = x1.fma(LOG2E, ROUND), n1 = k1.sub(ROUND);
            FloatVector r0 = n0.fma(FloatVector.broadcast(SPECIES, -LN2_HI), x0);      // exact
            FloatVector r1 = n1.fma(FloatVector.broadcast(SPECIES, -LN2_HI), x1);
            r0 = n0.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r0);
            r1 = n1.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r1);
            FloatVector c0 = r0.fma(EXP_C5, EXP_C4).fma(r0, FloatVector.broadcast(SPECIES, EXP_C3))
                    .fma(r0, FloatVector.broadcast(SPECIES, EXP_C2)).fma(r0, FloatVector.broadcast(SPECIES, EXP_C1))
                    .fma(r0, FloatVector.broadcast(SPECIES, EXP_C0));
            FloatVector c1 = r1.fma(EXP_C5, EXP_C4).fma(r1, FloatVector.broadcast(SPECIES, EXP_C3))
                    .fma(r1, FloatVector.broadcast(SPECIES, EXP_C2)).fma(r1, FloatVector.broadcast(SPECIES, EXP_C1))
                    .fma(r1, FloatVector.broadcast(SPECIES, EXP_C0));
            FloatVector scale0 = k0.reinterpretAsInts().lanewise(VectorOperators.LSHL, MANTISSA_BITS).add(ONE_BITS)
                    .reinterpretAsFloats();
            FloatVector scale1 = k1.reinterpretAsInts().lanewise(VectorOperators.LSHL, MANTISSA_BITS).add(ONE_BITS)
                    .reinterpretAsFloats();
            FloatVector em0 = r0.mul(r0).fma(c0, r0).fma(scale0, scale0.sub(1f))
                    .blend(-1f, x0.compare(VectorOperators.LT, EXP_MIN));
            FloatVector em1 = r1.mul(r1).fma(c1, r1).fma(scale1, scale1.sub(1f))
                    .blend(-1f, x1.compare(VectorOperators.LT, EXP_MIN));
            x0.blend(em0.mul(alpha), x0.compare(VectorOperators.LT, 0f)).intoArray(a, p);
            x1.blend(em1.mul(alpha), x1.compare(VectorOperators.LT, 0f)).intoArray(a, p + LANES);
        }
        for (int p = end; p < at + count; p++) a[p] = (float) HeadMath.elu(a[p], alpha);
    }

    /**
     * Softplus in place: max(x, 0) + log(1 + e^-|x|), the logarithm as 2 atanh(u / (2 + u)) of u = e^-|x| in [0, 1]
     * (no cancellation: for x very negative the result is u's own relative accuracy). Past x = 30 it is x, as
     * HeadMath's, without a branch: log(1 + e^-30) is under half an ulp of 30.
     */
    static void softplus(float[] a, int at, int count) {
        int end = at + count - count % LANES;
        for (int p = at; p < end; p += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, p), v = x.abs().neg();
            FloatVector k = v.fma(LOG2E, ROUND), n = k.sub(ROUND);
            FloatVector r = n.fma(FloatVector.broadcast(SPECIES, -LN2_HI), v);   // exact
            r = n.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
            FloatVector c = r.fma(EXP_C5, EXP_C4).fma(r, FloatVector.broadcast(SPECIES, EXP_C3))
                    .fma(r, FloatVector.broadcast(SPECIES, EXP_C2)).fma(r, FloatVector.broadcast(SPECIES, EXP_C1))
                    .fma(r, FloatVector.broadcast(SPECIES, EXP_C0));
            FloatVector scale = k.reinterpretAsInts().lanewise(VectorOperators.LSHL, MANTISSA_BITS).add(ONE_BITS)
                    .reinterpretAsFloats();
            FloatVector u = r.mul(r).fma(c, r).fma(scale, scale).blend(0f, v.compare(VectorOperators.LT, EXP_MIN));
            FloatVector s = u.div(u.add(2f)), z = s.mul(s);
            FloatVector l = z.fma(LOG1P_C3, LOG1P_C2).fma(z, FloatVector.broadcast(SPECIES, LOG1P_C1))
                    .fma(z, FloatVector.broadcast(SPECIES, LOG1P_C0));
            FloatVector log1p = s.mul(z).fma(l, s.add(s));
            // max(x, 0) by a compare: LE is false for NaN, which log1p has made NaN already
            log1p.add(x.blend(0f, x.compare(VectorOperators.LE, 0f))).intoArray(a, p);
        }
        for (int p = end; p < at + count; p++) a[p] = (float) HeadMath.softplus(a[p]);
    }

    /**
     * GELU in place, x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 written as 1 - E/2 for x >= 0 and E/2 below,
     * E = erfc(|x| / sqrt 2): no cancellation on either side, so the result keeps its relative accuracy down to
     * -13 (where it passes below 2^-126). e^(-x^2 / 2) takes x^2 as the exact sum h + l of a product and its FMA
     * residual, e^(-h/2) (1 - l/2): with x^2 rounded, the result would lose up to x^2 / 4 ulp (16 at x = -8).
     */
    static void gelu(float[] a, int at, int count) {
        int end = at + count - count % LANES;
        for (int p = at; p < end; p += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, p);
            FloatVector t = FloatVector.broadcast(SPECIES, 1f).div(x.abs().mul(INV_SQRT2).fma(ERFC_SCALE, 1f));
            FloatVector poly = t.fma(ERFC_C8, ERFC_C7).fma(t, FloatVector.broadcast(SPECIES, ERFC_C6))
                    .fma(t, FloatVector.broadcast(SPECIES, ERFC_C5)).fma(t, FloatVector.broadcast(SPECIES, ERFC_C4))
                    .fma(t, FloatVector.broadcast(SPECIES, ERFC_C3)).fma(t, FloatVector.broadcast(SPECIES, ERFC_C2))
                    .fma(t, FloatVector.broadcast(SPECIES, ERFC_C1)).fma(t, FloatVector.broadcast(SPECIES, ERFC_C0));
            FloatVector h = x.mul(x), l = x.fma(x, h.neg()), v = h.mul(-0.5f);
            FloatVector k = v.fma(LOG2E, ROUND), n = k.sub(ROUND);
            FloatVector r = n.fma(FloatVector.broadcast(SPECIES, -LN2_HI), v);   // exact
            r = n.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
            FloatVector c = r.fma(EXP_C5, EXP_C4).fma(r, FloatVector.broadcast(SPECIES, EXP_C3))
                    .fma(r, FloatVector.broadcast(SPECIES, EXP_C2)).fma(r, FloatVector.broadcast(SPECIES, EXP_C1))
                    .fma(r, FloatVector.broadcast(SPECIES, EXP_C0));
            FloatVector scale = k.reinterpretAsInts().lanewise(VectorOperators.LSHL, MANTISSA_BITS).add(ONE_BITS)
                    .reinterpretAsFloats();
            FloatVector e = r.mul(r).fma(c, r).fma(scale, scale);
            // E/2 = t E(t) e^(-h/2) (1 - l/2) / 2; 0 past the exp's range, where l may be Inf or NaN (x^2 overflowed)
            FloatVector half = e.fma(l.mul(-0.5f), e).mul(t.mul(poly)).mul(0.5f)
                    .blend(0f, v.compare(VectorOperators.LT, EXP_MIN));
            // GE is false for NaN: x * (E/2) keeps it
            x.mul(half.blend(half.neg().add(1f), x.compare(VectorOperators.GE, 0f))).intoArray(a, p);
        }
        for (int p = end; p < at + count; p++) a[p] = (float) HeadMath.gelu(a[p]);
    }

    /**
     * GELU(tanh) in place, as x sigmoid(2y) = x / (1 + e^-2y), e^-|2y| for both signs (x e / (1 + e) for y < 0): no
     * cancellation of 1 + tanh(y), no overflow. Its argument 2y is rounded (three roundings), so for x below -3
     * the result, under 5e-3 there, loses up to about |2y| ulp relative (|2y| = 17 at x = -5); and it is 0 once e^-|2y|
     * is below 2^-126 (x under -10), though x e still is a normal float down to -10.3. Two vectors a round, as
     * {@link #elu}.
     */
    static void geluTanh(float[] a, int at, int count) {
        int end = at + count - count % (2 * LANES);
        for (int p = at; p < end; p += 2 * LANES) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, a, p), x1 = FloatVector.fromArray(SPECIES, a, p + LANES);
            FloatVector y0 = x0.mul(x0.mul(x0).fma(GELU_K1, GELU_K0)), v0 = y0.abs().neg();     // -|2y|
            FloatVector y1 = x1.mul(x1.mul(x1).fma(GELU_K1, GELU_K0)), v1 = y1.abs().neg();
            FloatVector k0 = v0.fma(LOG2E, ROUND), n0 = k0.sub(ROUND), k1 = v1.fma(LOG2E, ROUND), n1 = k1.sub(ROUND);
            FloatVector r0 = n0.fma(FloatVector.broadcast(SPECIES, -LN2_HI), v0);      // exact
            FloatVector r1 = n1.fma(FloatVector.broadcast(SPECIES, -LN2_HI), v1);
            r0 = n0.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r0);
            r1 = n1.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r1);
            FloatVector c0 = r0.fma(EXP_C5, EXP_C4).fma(r0, FloatVector.broadcast(SPECIES, EXP_C3))
                    .fma(r0, FloatVector.broadcast(SPECIES, EXP_C2)).fma(r0, FloatVector.broadcast(SPECIES, EXP_C1))
                    .fma(r0, FloatVector.broadcast(SPECIES, EXP_C0));
            FloatVector c1 = r1.fma(EXP_C5, EXP_C4).fma(r1, FloatVector.broadcast(SPECIES, EXP_C3))
                    .fma(r1, FloatVector.broadcast(SPECIES, EXP_C2)).fma(r1, FloatVector.broadcast(SPECIES, EXP_C1))
                    .fma(r1, FloatVector.broadcast(SPECIES, EXP_C0));
            FloatVector scale0 = k0.reinterpretAsInts().lanewise(VectorOperators.LSHL, MANTISSA_BITS).add(ONE_BITS)
                    .reinterpretAsFloats();
            FloatVector scale1 = k1.reinterpretAsInts().lanewise(VectorOperators.LSHL, MANTISSA_BITS).add(ONE_BITS)
                    .reinterpretAsFloats();
            FloatVector e0 = r0.mul(r0).fma(c0, r0).fma(scale0, scale0).blend(0f, v0.compare(VectorOperators.LT, EXP_MIN));
            FloatVector e1 = r1.mul(r1).fma(c1, r1).fma(scale1, scale1).blend(0f, v1.compare(VectorOperators.LT, EXP_MIN));
            // GE is false for NaN, whose e is NaN
            x0.mul(e0.blend(1f, y0.compare(VectorOperators.GE, 0f))).div(e0.add(1f)).intoArray(a, p);
            x1.mul(e1.blend(1f, y1.compare(VectorOperators.GE, 0f))).div(e1.add(1f)).intoArray(a, p + LANES);
        }
        for (int p = end; p < at + count; p++) a[p] = (float) HeadMath.geluTanh(a[p]);
    }

    /**
     * Softmax, or with {@code log} log-softmax, of each row in place, in three passes: the maximum (a compare and a
     * blend; NaN never wins, and reaches every output through the sum instead); the sum of e^(x - max) in double (each
     * float vector as two double vectors: summed in float, the small terms added to the large ones, and the lanes'
     * reduction, lost up to 6 ulp of the sum, which every output shares), for softmax with each e^(x - max) stored in
     * place; then softmax divides by the sum, and log-softmax takes (x - max) - log(sum), two roundings of terms of
     * one sign, so the result keeps its relative accuracy. One method for both: they share the first two passes, and
     * one body is one compilation unit (CompileUnitTest).
     */
    static void softmax(float[] a, int offset, int rows, int width, boolean log) {
        int whole = width - width % LANES;
        for (int row = offset; row < offset + rows * width; row += width) {
            if (whole == 0) {
                HeadMath.softmax(a, row, width, log);
                continue;
            }
            float max = rowMax(a, row, width, whole);
            DoubleVector sum0 = DoubleVector.zero(DOUBLES), sum1 = sum0;
            for (int p = row; p < row + whole; p += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, a, p).sub(max);
                FloatVector k = v.fma(LOG2E, ROUND), n = k.sub(ROUND);
                FloatVector r = n.fma(FloatVector.broadcast(SPECIES, -LN2_HI), v);   // exact
                r = n.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
                FloatVector c = r.fma(EXP_C5, EXP_C4).fma(r, FloatVector.broadcast(SPECIES, EXP_C3))
                        .fma(r, FloatVector.broadcast(SPECIES, EXP_C2)).fma(r, FloatVector.broadcast(SPECIES, EXP_C1))
                        .fma(r, FloatVector.broadcast(SPECIES, EXP_C0));
                FloatVector scale = k.reinterpretAsInts().lanewise(VectorOperators.LSHL, MANTISSA_BITS).add(ONE_BITS)
                        .reinterpretAsFloats();
                FloatVector e = r.mul(r).fma(c, r).fma(scale, scale).blend(0f, v.compare(VectorOperators.LT, EXP_MIN));
                if (!log) e.intoArray(a, p);
                sum0 = sum0.add((DoubleVector) e.convertShape(VectorOperators.F2D, DOUBLES, 0));
                sum1 = sum1.add((DoubleVector) e.convertShape(VectorOperators.F2D, DOUBLES, 1));
            }
            double total = sum0.add(sum1).reduceLanes(VectorOperators.ADD);
            for (int j = row + whole; j < row + width; j++) {
                double e = Math.exp(a[j] - (double) max);
                total += e;
                if (!log) a[j] = (float) e;
            }
            if (log) {
                double logSum = Math.log(total);
                float logSumF = (float) logSum;
                for (int p = row; p < row + whole; p += LANES)
                    FloatVector.fromArray(SPECIES, a, p).sub(max).sub(logSumF).intoArray(a, p);
                for (int j = row + whole; j < row + width; j++) a[j] = (float) (a[j] - (double) max - logSum);
            } else {
                float s = (float) total;
                for (int p = row; p < row + whole; p += LANES) FloatVector.fromArray(SPECIES, a, p).div(s).intoArray(a, p);
                for (int j = row + whole; j < row + width; j++) a[j] = (float) (a[j] / total);
            }
        }
    }

    /**
     * The largest value of a row (NaN ignored), or 0 when there is none but -Inf or NaN: e^(-Inf - 0) = 0 then makes
     * the sum 0 and every output 0 / 0 = NaN, as HeadMath's. The first {@code whole} floats by vectors.
     */
    private static float rowMax(float[] a, int row, int width, int whole) {
        FloatVector m = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int p = row; p < row + whole; p += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, p);
            m = m.blend(x, x.compare(VectorOperators.GT, m));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (int j = row + whole; j < row + width; j++) if (a[j] > max) max = a[j];
        return max == Float.NEGATIVE_INFINITY ? 0f : max;
    }

    /**
     * LayerNormalization of each row in place, in three passes. (1) The mean, m, from a sum in float lanes. (2) The
     * deviations d = x - m in float, summed and squared in double (each float vector as two double vectors): their
     * sum is m's own error (the mean of a row far from 0 rounds by up to half an ulp of it, which next to a small
     * spread would be most of the result), so in double the shift s = sum(d) / width and var = sum(d^2) / width - s^2
     * are the mean's error and the biased variance about the exact mean. (3) One pass of ((x - m) - s) * inv * scale +
     * bias in float, inv = 1 / sqrt(var + epsilon) rounded to float. A row whose deviations are not all finite (a NaN or
     * Inf in it, or values near the float limit, whose float sum overflows) is HeadMath's, in double: NaN for the
     * first two, the right values for the last.
     */
    static void layerNorm(float[] a, int offset, int rows, int width, float[] scale, float[] bias, float epsilon) {
        int whole = width - width % LANES;
        for (int row = offset; row < offset + rows * width; row += width) {
            if (whole == 0) {
                HeadMath.layerNorm(a, row, width, scale, bias, epsilon);
                continue;
            }
            FloatVector sum = FloatVector.zero(SPECIES);
            for (int p = row; p < row + whole; p += LANES) sum = sum.add(FloatVector.fromArray(SPECIES, a, p));
            double total = sum.reduceLanes(VectorOperators.ADD);
            for (int j = row + whole; j < row + width; j++) total += a[j];
            float mean = (float) (total / width);
            DoubleVector d0 = DoubleVector.zero(DOUBLES), d1 = d0, q0 = d0, q1 = d0;
            for (int p = row; p < row + whole; p += LANES) {
                FloatVector d = FloatVector.fromArray(SPECIES, a, p).sub(mean);
                DoubleVector low = (DoubleVector) d.convertShape(VectorOperators.F2D, DOUBLES, 0);
                DoubleVector high = (DoubleVector) d.convertShape(VectorOperators.F2D, DOUBLES, 1);
                d0 = d0.add(low);
                d1 = d1.add(high);
                q0 = low.fma(low, q0);
                q1 = high.fma(high, q1);
            }
            double deviations = d0.add(d1).reduceLanes(VectorOperators.ADD);
            double squares = q0.add(q1).reduceLanes(VectorOperators.ADD);
            for (int j = row + whole; j < row + width; j++) {
                double d = a[j] - mean;     // float - float in double: as the lanes' (x - m) once converted
                deviations += d;
                squares += d * d;
            }
            if (!(squares < Double.POSITIVE_INFINITY)) {
                HeadMath.layerNorm(a, row, width, scale, bias, epsilon);
                continue;
            }
            double shift = deviations / width, var = Math.max(0, squares / width - shift * shift);
            double inv = 1 / Math.sqrt(var + epsilon);
            float s = (float) shift, invStd = (float) inv;
            for (int p = row, j = 0; p < row + whole; p += LANES, j += LANES) {
                FloatVector.fromArray(SPECIES, a, p).sub(mean).sub(s).mul(invStd)
                        .fma(FloatVector.fromArray(SPECIES, scale, j), FloatVector.fromArray(SPECIES, bias, j))
                        .intoArray(a, p);
            }
            for (int p = row + whole, j = whole; p < row + width; p++, j++) {
                a[p] = (float) ((a[p] - (double) mean - shift) * inv * scale[j] + bias[j]);
            }
        }
    }
}
