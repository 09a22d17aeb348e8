package dev.vlstm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlstm.kernel.LstmKernels.Pointwise;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The head's Elu, Softplus, GELU, GELU(tanh), softmax, log-softmax and layer normalisation, vector ({@link
 * VectorHeadMath}) and scalar ({@link HeadMath}, float64 rounded once), against float64 evaluated here from the
 * formulas: over about 1.3 million values of every float exponent, a dense grid of [-20, 20], random values up to
 * ±1e4 and the special values (±0, subnormals, ±MAX, ±Inf, NaN), and rows of 20 widths from 1 to 1000 (every width
 * to 9, and around 16, 32, 48 and 64, 100) of ten kinds (moderate, ±100, ±1e4, magnitudes from 1e-30, 1000 ± 0.01,
 * -Inf among them, a NaN, a +Inf, all -Inf, every exponent), three rows a call from an offset, the floats around them
 * untouched.
 *
 * <p>"abs" is the largest |error| where |exact| <= 1 and "rel" the largest |error| / |exact| where |exact| > 1; NaN
 * and ±Inf must be exactly the float64 ones. Measured on AMD EPYC Zen 3 (AVX2, 8 lanes), 2026-12-07; the same bounds
 * hold with 4 and 16 lanes ({@code -Dvlstm.vectorBits=128}, {@code 512}).
 */
class VectorHeadMathTest {

    /**
     * The bounds the vector kernels are held to, abs and rel (see the class comment); the scalar ones, 2^-24. Measured
     * (the largest of 4, 8 and 16 lanes), abs / rel: Elu 5.1e-8 / 0, Softplus 1.3e-7 / 1.2e-7, GELU 1.0e-7 / 1.1e-7,
     * GELU(tanh) 1.0e-7 / 1.3e-7, softmax 8.6e-8 / -, log-softmax 6.5e-8 / 1.2e-7, layer norm 1.9e-7 / 2.2e-7; the
     * scalar kernels 3.0e-8 / 6.0e-8 (float rounding).
     */
    static final double ELU_ABS = 1e-7, ELU_REL = 1e-7, SOFTPLUS_ABS = 2e-7, SOFTPLUS_REL = 2e-7,
            GELU_ABS = 2e-7, GELU_REL = 2e-7, GELU_TANH_ABS = 2e-7, GELU_TANH_REL = 2e-7,
            SOFTMAX_ABS = 2e-7, LOG_SOFTMAX_ABS = 2e-7, LOG_SOFTMAX_REL = 2e-7, LAYER_NORM_ABS = 4e-7,
            LAYER_NORM_REL = 4e-7, SCALAR = 0x1p-24;
    static final int[] WIDTHS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 64, 100, 1000};
    static final int ROWS = 3, OFFSET = 5;
    static final float CANARY = KernelFixtures.CANARY, EPSILON = 1e-5f;

    /** The largest errors seen, and where; fails at once on a NaN or Inf that is not the float64 one. */
    static final class Meter {
        final String what;
        double abs, rel, relNormal;
        String absAt = "none", relAt = "none", relNormalAt = "none";
        long compared, nonFinite;

        Meter(String what) {
            this.what = what;
        }

        void add(double exact, float got, Supplier<String> where) {
            compared++;
            if (Double.isNaN(exact) || Float.isInfinite((float) exact) || Float.isInfinite(got)) {
                nonFinite++;     // (float) exact: beyond the float range, the right float is ±Inf
                boolean same = Double.isNaN(exact) ? Float.isNaN(got) : got == (float) exact;
                assertTrue(same, () -> what + " at " + where.get() + ": got " + got + ", float64 gives " + exact);
                return;
            }
            double err = Math.abs(got - exact), mag = Math.abs(exact);
            assertTrue(err == err, () -> what + " at " + where.get() + ": got NaN, float64 gives " + exact);
            if (mag <= 1 && err > abs) {
                abs = err;
                absAt = where.get() + " (exact " + exact + ", got " + got + ")";
            }
            if (mag > 1 && err / mag > rel) {
                rel = err / mag;
                relAt = where.get() + " (exact " + exact + ", got " + got + ")";
            }
            if (mag >= Float.MIN_NORMAL && err / mag > relNormal) {
                relNormal = err / mag;
                relNormalAt = where.get() + " (exact " + exact + ", got " + got + ")";
            }
        }

        /** Asserts the bounds; the message has the measured figures, which the log also gets. */
        void check(double absBound, double relBound) {
            String measured = String.format(Locale.ROOT, "%s: max abs error %.3g (|exact| <= 1) at %s; max rel error %.3g"
                            + " (|exact| > 1) at %s; over all normal results rel %.3g at %s; %d values, %d NaN or Inf",
                    what, abs, absAt, rel, relAt, relNormal, relNormalAt, compared, nonFinite);
            System.out.println(measured);
            assertTrue(abs <= absBound, measured + ": abs over the bound " + absBound);
            assertTrue(rel <= relBound, measured + ": rel over the bound " + relBound);
        }
    }

    // ---- pointwise -------------------------------------------------------------------------------------------------

    /** ActivationTest's sweep (every exponent, [-20, 20] by 2^-12, the special values), NaN, and random values. */
    static float[] values() {
        float[] sweep = ActivationTest.sweep();
        Random rnd = new Random(17);
        int extra = 120_000;
        float[] all = Arrays.copyOf(sweep, sweep.length + extra + 2);
        int n = sweep.length;
        for (int i = 0; i < extra; i++) {
            double sign = rnd.nextBoolean() ? 1 : -1;
            all[n++] = switch (i % 4) {
                case 0 -> (float) (sign * rnd.nextDouble() * 100);
                case 1 -> (float) (sign * rnd.nextDouble() * 1e4);
                case 2 -> (float) (sign * Math.pow(10, -40 + 45 * rnd.nextDouble()));
                default -> (float) (sign * rnd.nextDouble() * 16);
            };
        }
        all[n++] = Float.NaN;
        all[n] = Float.intBitsToFloat(0xffc00001);     // a NaN with other bits
        return all;
    }

    static double exact(Pointwise f, float alpha, double x) {
        return switch (f) {
            case ELU -> HeadMath.elu(x, alpha);
            case SOFTPLUS -> HeadMath.softplus(x);
            case GELU -> HeadMath.gelu(x);
            case GELU_TANH -> HeadMath.geluTanh(x);
            default -> throw new IllegalArgumentException(f.toString());
        };
    }

    static Stream<Arguments> pointwise() {
        return Stream.of(Arguments.of(Pointwise.ELU, 1f, ELU_ABS, ELU_REL), Arguments.of(Pointwise.ELU, 0.7f, ELU_ABS, ELU_REL),
                Arguments.of(Pointwise.SOFTPLUS, 0f, SOFTPLUS_ABS, SOFTPLUS_REL),
                Arguments.of(Pointwise.GELU, 0f, GELU_ABS, GELU_REL),
                Arguments.of(Pointwise.GELU_TANH, 0f, GELU_TANH_ABS, GELU_TANH_REL));
    }

    @ParameterizedTest(name = "{0}, alpha {1}")
    @MethodSource("pointwise")
    void aPointwiseOperationIsWithinItsBoundOfFloat64Everywhere(Pointwise f, float alpha, double absBound,
                                                                double relBound) {
        float[] in = values(), vector = in.clone(), scalar = in.clone();
        Kernels.vector().activate(f, alpha, vector, 0, vector.length);
        Kernels.scalar().activate(f, alpha, scalar, 0, scalar.length);
        Meter v = new Meter("vector " + f + " (" + PanelSpecies.LANES + " lanes), alpha " + alpha);
        Meter s = new Meter("scalar " + f + ", alpha " + alpha);
        for (int i = 0; i < in.length; i++) {
            double e = exact(f, alpha, in[i]);
            float x = in[i];
            v.add(e, vector[i], () -> "x = " + x);
            s.add(e, scalar[i], () -> "x = " + x);
        }
        v.check(absBound, relBound);
        s.check(SCALAR, SCALAR);
    }

    /** NaN, ±Inf, ±0, ±MAX, just past 30 (softplus), where e^x leaves the normal floats: bit for bit the scalar result. */
    @Test
    void nonFiniteAndExtremeValuesGiveExactlyTheScalarResults() {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_VALUE, 30f, 30.000002f, 100f, -87.33654f, -87.34f, -88f,
                -103.9f, -104f, 13.2f, -13.2f, -14f, 1e19f, -1e19f, 2e19f, -2e19f};
        for (Pointwise f : new Pointwise[]{Pointwise.ELU, Pointwise.SOFTPLUS, Pointwise.GELU, Pointwise.GELU_TANH}) {
            // several copies, so that every value meets the vector body at some lane, and the last ones the tail
            float[] in = new float[special.length * PanelSpecies.LANES + 3];
            for (int i = 0; i < in.length; i++) in[i] = special[i % special.length];
            float[] vector = in.clone(), scalar = in.clone();
            Kernels.vector().activate(f, 0.5f, vector, 0, in.length);
            Kernels.scalar().activate(f, 0.5f, scalar, 0, in.length);
            for (int i = 0; i < in.length; i++) {
                if (Float.isNaN(scalar[i]) || Float.isInfinite(scalar[i]) || scalar[i] == 0 || Math.abs(scalar[i]) >= 1e19f) {
                    assertEquals(Float.floatToIntBits(scalar[i]), Float.floatToIntBits(vector[i]),
                            f + "(" + in[i] + "): vector " + vector[i] + ", scalar " + scalar[i]);
                }
            }
        }
        float[] nan = {Float.NaN}, plus = {Float.POSITIVE_INFINITY}, minus = {Float.NEGATIVE_INFINITY};
        Kernels.scalar().activate(Pointwise.GELU, 0f, minus, 0, 1);
        assertTrue(Float.isNaN(minus[0]), "GELU(-Inf) is -Inf * 0: NaN, as in float64 and PyTorch");
        Kernels.scalar().activate(Pointwise.SOFTPLUS, 0f, plus, 0, 1);
        assertEquals(Float.POSITIVE_INFINITY, plus[0], "softplus(Inf)");
        Kernels.scalar().activate(Pointwise.ELU, 1f, nan, 0, 1);
        assertTrue(Float.isNaN(nan[0]), "ELU(NaN)");
    }

    // ---- rows ------------------------------------------------------------------------------------------------------

    static final String[] KINDS = {"uniform ±10", "uniform ±100", "magnitudes 1e-30 .. 1e4, either sign, some ±0",
            "1000 ± 0.01", "uniform ±1e4", "-Inf among ±10", "a NaN among ±10", "a +Inf among ±10", "all -Inf",
            "every exponent"};

    static float[] row(Random rnd, int kind, int width, float[] sweep) {
        float[] x = new float[width];
        for (int j = 0; j < width; j++) {
            double sign = rnd.nextBoolean() ? 1 : -1;
            x[j] = (float) switch (kind) {
                case 1 -> sign * rnd.nextDouble() * 100;
                case 2 -> rnd.nextInt(20) == 0 ? sign * 0.0 : sign * Math.pow(10, -30 + 34 * rnd.nextDouble());
                case 3 -> 1000 + sign * rnd.nextDouble() * 0.01;
                case 4 -> sign * rnd.nextDouble() * 1e4;
                case 5 -> rnd.nextInt(3) == 0 ? Double.NEGATIVE_INFINITY : sign * rnd.nextDouble() * 10;
                case 8 -> Double.NEGATIVE_INFINITY;
                case 9 -> {
                    float v;
                    do v = sweep[rnd.nextInt(sweep.length)]; while (!Float.isFinite(v));
                    yield v;
                }
                default -> sign * rnd.nextDouble() * 10;
            };
        }
        if (kind == 6) x[rnd.nextInt(width)] = Float.NaN;
        if (kind == 7) x[rnd.nextInt(width)] = Float.POSITIVE_INFINITY;
        return x;
    }

    /** Softmax or log-softmax of one row in float64, from the formula (NaN anywhere: all NaN; all -Inf: 0 / 0). */
    static double[] softmaxExact(float[] x, boolean log) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        boolean nan = false;
        for (float v : x) {
            nan |= v != v;
            max = Math.max(max, v);
        }
        double[] y = new double[x.length];
        if (nan) {
            Arrays.fill(y, Double.NaN);
            return y;
        }
        if (max == Double.NEGATIVE_INFINITY) max = 0;
        for (float v : x) sum += Math.exp(v - max);
        for (int j = 0; j < x.length; j++) y[j] = log ? x[j] - max - Math.log(sum) : Math.exp(x[j] - max) / sum;
        return y;
    }

    static double[] layerNormExact(float[] x, float[] scale, float[] bias) {
        double mean = 0, var = 0;
        for (float v : x) mean += v;
        mean /= x.length;
        for (float v : x) var += (v - mean) * (v - mean);
        var /= x.length;
        double[] y = new double[x.length];
        for (int j = 0; j < x.length; j++) y[j] = (x[j] - mean) / Math.sqrt(var + EPSILON) * scale[j] + bias[j];
        return y;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"softmax", "log-softmax", "layer norm"})
    void aRowOperationIsWithinItsBoundOfFloat64AtEveryWidth(String op) {
        Meter v = new Meter("vector " + op + " (" + PanelSpecies.LANES + " lanes)"), s = new Meter("scalar " + op);
        float[] sweep = ActivationTest.sweep();
        Random rnd = new Random(op.hashCode());
        for (int width : WIDTHS) {
            float[] scale = new float[width], bias = new float[width];
            for (int j = 0; j < width; j++) {
                scale[j] = (float) ((rnd.nextBoolean() ? 1 : -1) * (0.5 + rnd.nextDouble()));
                bias[j] = (float) (rnd.nextDouble() * 0.6 - 0.3);
            }
            for (int kind = 0; kind < KINDS.length; kind++) {
                for (int call = 0; call < (width >= 1000 ? 4 : 40); call++) {
                    float[][] rows = new float[ROWS][];
                    float[] a = new float[OFFSET + ROWS * width + 7];
                    Arrays.fill(a, CANARY);
                    for (int r = 0; r < ROWS; r++) {
                        rows[r] = row(rnd, kind, width, sweep);
                        System.arraycopy(rows[r], 0, a, OFFSET + r * width, width);
                    }
                    float[] vector = a.clone(), scalar = a.clone();
                    run(Kernels.vector(), op, vector, width, scale, bias);
                    run(Kernels.scalar(), op, scalar, width, scale, bias);
                    for (int i = 0; i < a.length; i++) {
                        boolean mine = i >= OFFSET && i < OFFSET + ROWS * width;
                        if (!mine) {
                            int at = i;
                            assertTrue(vector[i] == CANARY && scalar[i] == CANARY, () -> op + ", width " + width
                                    + ": float " + at + " is not the kernel's to touch");
                        }
                    }
                    for (int r = 0; r < ROWS; r++) {
                        double[] e = op.equals("layer norm") ? layerNormExact(rows[r], scale, bias)
                                : softmaxExact(rows[r], op.equals("log-softmax"));
                        for (int j = 0; j < width; j++) {
                            int p = OFFSET + r * width + j, feature = j, k = kind;
                            float[] x = rows[r];
                            Supplier<String> where = () -> String.format(Locale.ROOT, "width %d, %s, feature %d of %s",
                                    width, KINDS[k], feature, x.length <= 17 ? Arrays.toString(x) : "a row");
                            v.add(e[j], vector[p], where);
                            s.add(e[j], scalar[p], where);
                        }
                    }
                }
            }
        }
        switch (op) {
            case "softmax" -> v.check(SOFTMAX_ABS, 0);
            case "log-softmax" -> v.check(LOG_SOFTMAX_ABS, LOG_SOFTMAX_REL);
            default -> v.check(LAYER_NORM_ABS, LAYER_NORM_REL);
        }
        // HeadMath's sum of e^(x - max) over 1000 values rounds in double too: a few 1e-16 past float rounding
        s.check(SCALAR * 1.01, SCALAR * 1.01);
    }

    private static void run(LstmKernels k, String op, float[] a, int width, float[] scale, float[] bias) {
        switch (op) {
            case "softmax" -> k.softmax(a, OFFSET, ROWS, width, false);
            case "log-softmax" -> k.softmax(a, OFFSET, ROWS, width, true);
            default -> k.layerNorm(a, OFFSET, ROWS, width, scale, bias, EPSILON);
        }
    }

    /** The rows' special cases by name, at a width with a tail (17) and one narrower than any vector (3). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vlstm.kernel.ActivationTest#implementations")
    void softmaxRowsWithNaNInfOrOnlyMinusInfAreWhatFloat64Gives(LstmKernels k) {
        for (int width : new int[]{3, 17}) {
            for (int at : new int[]{0, width / 2, width - 1}) {
                float[] withNaN = filled(width, 1f), withInf = filled(width, 1f), minusInf = filled(width, 1f);
                withNaN[at] = Float.NaN;
                withInf[at] = Float.POSITIVE_INFINITY;
                minusInf[at] = Float.NEGATIVE_INFINITY;
                float[] allMinusInf = filled(width, Float.NEGATIVE_INFINITY);
                for (boolean log : new boolean[]{false, true}) {
                    String where = k.name() + (log ? " log-softmax" : " softmax") + ", width " + width + ", at " + at;
                    assertAll(Float.NaN, apply(k, withNaN, log), where + ": a NaN makes the row NaN");
                    assertAll(Float.NaN, apply(k, withInf, log), where + ": +Inf makes the row NaN (Inf - Inf)");
                    assertAll(Float.NaN, apply(k, allMinusInf, log), where + ": a row of -Inf is NaN (0 / 0)");
                    float[] y = apply(k, minusInf, log);
                    assertEquals(log ? Float.NEGATIVE_INFINITY : 0f, y[at], where + ": -Inf among finite values");
                    assertEquals(log ? -Math.log(width - 1) : 1.0 / (width - 1), y[(at + 1) % width], 1e-7, where);
                }
                float[] scale = filled(width, 1f), bias = filled(width, 0f);
                for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    float[] x = filled(width, 2f);
                    x[at] = bad;
                    k.layerNorm(x, 0, 1, width, scale, bias, EPSILON);
                    assertAll(Float.NaN, x, k.name() + " layer norm, width " + width + ": " + bad + " makes the row NaN");
                }
            }
        }
    }

    /**
     * Rows whose squares overflow float (deviations past 1e19) are computed in double, like the scalar kernels, and a
     * row of one constant is its bias (var = 0).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vlstm.kernel.ActivationTest#implementations")
    void layerNormOfHugeAndConstantRowsIsRight(LstmKernels k) {
        int width = 17;
        float[] scale = filled(width, 2f), bias = filled(width, 0.25f), x = new float[width];
        for (int j = 0; j < width; j++) x[j] = j % 2 == 0 ? 3e37f : -3e37f;
        double[] e = layerNormExact(x, scale, bias);
        k.layerNorm(x, 0, 1, width, scale, bias, EPSILON);
        for (int j = 0; j < width; j++) assertEquals(e[j], x[j], 1e-6 * Math.abs(e[j]), k.name() + ", ±3e37, feature " + j);
        float[] constant = filled(width, 1000.1f);
        k.layerNorm(constant, 0, 1, width, scale, bias, EPSILON);
        for (int j = 0; j < width; j++) assertEquals(0.25f, constant[j], 1e-6f, k.name() + ", a constant row, feature " + j);
    }

    private static float[] apply(LstmKernels k, float[] row, boolean log) {
        float[] y = row.clone();
        k.softmax(y, 0, 1, y.length, log);
        return y;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static void assertAll(float expected, float[] got, String what) {
        for (int j = 0; j < got.length; j++) {
            int at = j;
            assertTrue(Float.isNaN(expected) ? Float.isNaN(got[j]) : got[j] == expected,
                    () -> what + ": feature " + at + " is " + got[at] + " in " + Arrays.toString(got));
        }
    }

    /** HeadMath's erfc, which GELU takes for x < 0, against values from mpmath 1.2.1 at 30 digits. */
    @Test
    void erfcIsAccurateRelativeToItselfFarOut() {
        double[][] table = {{0.5, 0.47950012218695346}, {1, 0.15729920705028513}, {2, 0.0046777349810472658},
                {2.5, 0.00040695201744495894}, {3, 2.2090496998585441e-5}, {4, 1.5417257900280019e-8},
                {5, 1.5374597944280349e-12}, {7, 4.1838256077794144e-23}, {10, 2.0884875837625448e-45},
                {20, 5.3958656116079009e-176}, {26, 5.6631924088561428e-296}};
        for (double[] row : table) {
            assertEquals(row[1], HeadMath.erfc(row[0]), 3e-11 * row[1], "erfc(" + row[0] + ")");
            assertEquals(2 - row[1], HeadMath.erfc(-row[0]), 1e-15, "erfc(" + -row[0] + ")");
        }
        assertEquals(0.0, HeadMath.erfc(Double.POSITIVE_INFINITY));
        assertEquals(2.0, HeadMath.erfc(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(HeadMath.erfc(Double.NaN)));
    }
}
