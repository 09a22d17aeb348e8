package dev.vlstm.kernel;

import static dev.vlstm.kernel.KernelFixtures.P;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlstm.format.PanelPacking;
import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ObjIntConsumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sigmoid and tanh are accurate to 4e-7 absolute over the whole float range (the vector kernels' rational tanh is
 * off by up to 2.8e-7 just below 1, from float rounding; the scalar ones are within 3e-8), never leave their
 * range, saturate to exact
 * 0, 1, ±1 without NaN at the extremes, and pass NaN through; the same holds inside {@code lstmStep}.
 */
class ActivationTest {

    static final double LIMIT = 4e-7;

    /** About a million floats spread over every exponent, plus the values where things usually break. */
    static float[] sweep() {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-30f, -1e-30f, 1e-8f, -1e-8f,
                1e-4f, -1e-4f, 0.5f, -0.5f, 1f, -1f, 4.5f, -4.5f, 9f, -9f, 10f, -10f, 17f, -17f, 44f, -44f, 87f, -87f,
                88.7f, -88.7f, 89f, -89f, 100f, -100f, 1e4f, -1e4f, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        int step = 4099;
        float[] values = new float[special.length + (int) ((1L << 32) / step) + 1];
        System.arraycopy(special, 0, values, 0, special.length);
        int n = special.length;
        for (long bits = Integer.MIN_VALUE; bits <= Integer.MAX_VALUE; bits += step) {
            float v = Float.intBitsToFloat((int) bits);
            if (!Float.isNaN(v)) values[n++] = v;
        }
        // Dense over the interesting region as well: every 2^-12 in [-20, 20].
        float[] dense = new float[40 * 4096 + 1];
        for (int i = 0; i < dense.length; i++) dense[i] = -20f + i / 4096f;
        float[] all = Arrays.copyOf(values, n + dense.length);
        System.arraycopy(dense, 0, all, n, dense.length);
        return all;
    }

    /** Applies an in-place vector activation (VectorKernels.sigmoidInPlace or tanhInPlace) to a copy of in. */
    static float[] applyVector(ObjIntConsumer<float[]> inPlace, float[] in) {
        int lanes = PanelSpecies.LANES;
        float[] out = Arrays.copyOf(in, (in.length + lanes - 1) / lanes * lanes);
        for (int i = 0; i < out.length; i += lanes) inPlace.accept(out, i);
        return Arrays.copyOf(out, in.length);
    }

    static float[] applyScalar(UnaryOperator<Float> f, float[] in) {
        float[] out = new float[in.length];
        for (int i = 0; i < in.length; i++) out[i] = f.apply(in[i]);
        return out;
    }

    static void assertAccurate(String what, float[] in, float[] out, DoubleUnaryOperator exact) {
        double worst = 0;
        float worstAt = 0;
        for (int i = 0; i < in.length; i++) {
            double err = Math.abs(out[i] - exact.applyAsDouble(in[i]));
            if (!(err <= worst)) {      // also catches NaN
                worst = err;
                worstAt = in[i];
            }
        }
        System.out.printf("%s: max abs error %.3g at x = %s over %d values%n", what, worst, worstAt, in.length);
        assertTrue(worst <= LIMIT, what + ": max abs error " + worst + " at x = " + worstAt + " > " + LIMIT);
    }

    @Test
    void vectorSigmoidIsAccurateEverywhere() {
        float[] in = sweep();
        assertAccurate("vector sigmoid", in, applyVector(VectorKernels::sigmoidInPlace, in), KernelFixtures::sigmoid);
    }

    @Test
    void vectorTanhIsAccurateEverywhere() {
        float[] in = sweep();
        assertAccurate("vector tanh", in, applyVector(VectorKernels::tanhInPlace, in), Math::tanh);
    }

    @Test
    void scalarActivationsAreAccurateEverywhere() {
        float[] in = sweep();
        assertAccurate("scalar sigmoid", in, applyScalar(ScalarKernels::sigmoid, in), KernelFixtures::sigmoid);
        assertAccurate("scalar tanh", in, applyScalar(ScalarKernels::tanh, in), Math::tanh);
    }

    /**
     * tanh never leaves [-1, 1] and sigmoid never [0, 1]. A first step from a zero state takes f × 0 as +0, which
     * holds only for f >= 0 (an explicit f × 0 with f a hair below 0 would be -0), so a zero state's skip is bit for bit
     * only with this; the rational tanh rounded up to 1.0000002 between 8.09 and 9 before its range was cut to 8.
     */
    @Test
    void activationsNeverLeaveTheirRange() {
        float[] in = sweep();
        checkRange("vector sigmoid", in, applyVector(VectorKernels::sigmoidInPlace, in), 0f, 1f);
        checkRange("scalar sigmoid", in, applyScalar(ScalarKernels::sigmoid, in), 0f, 1f);
        checkRange("vector tanh", in, applyVector(VectorKernels::tanhInPlace, in), -1f, 1f);
        checkRange("scalar tanh", in, applyScalar(ScalarKernels::tanh, in), -1f, 1f);
    }

    private static void checkRange(String what, float[] in, float[] out, float low, float high) {
        for (int i = 0; i < in.length; i++) {
            assertTrue(out[i] >= low && out[i] <= high, what + "(" + in[i] + ") = " + out[i] + ", outside [" + low
                    + ", " + high + "]");
        }
    }

    @Test
    void activationsSaturateWithoutNaNAndPropagateNaN() {
        float[] in = {100f, -100f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        // sigmoid(-100) = 3.7e-44 is a float subnormal; computed in float, e^100 overflows and gives exactly 0.
        checkSaturation("vector sigmoid", applyVector(VectorKernels::sigmoidInPlace, in), 1f, 0f);
        checkSaturation("scalar sigmoid", applyScalar(ScalarKernels::sigmoid, in), 1f, 0f);
        checkSaturation("vector tanh", applyVector(VectorKernels::tanhInPlace, in), 1f, -1f);
        checkSaturation("scalar tanh", applyScalar(ScalarKernels::tanh, in), 1f, -1f);
    }

    /** out = f(100, -100, +Inf, -Inf, NaN): the first four at the limits (±100 within 1e-40), the last NaN. */
    private static void checkSaturation(String what, float[] out, float high, float low) {
        String got = what + " of [100, -100, Inf, -Inf, NaN] = " + Arrays.toString(out);
        assertEquals(high, out[0], 1e-40f, got);
        assertEquals(low, out[1], 1e-40f, got);
        assertEquals(high, out[2], got);
        assertEquals(low, out[3], got);
        assertTrue(Float.isNaN(out[4]), got);
    }

    static Stream<LstmKernels> implementations() {
        return Stream.of(Kernels.scalar(), Kernels.vector());
    }

    /**
     * With R = 0 each unit's gates are exactly its pre values, so one step exposes the activations: unit 0 saturates
     * every gate at ±100, unit 1 at ±Inf, unit 2 gets NaN in its candidate, unit 3 NaN in its cell; the rest stay finite.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void lstmStepSaturatesAndPropagatesNaN(LstmKernels kernels) {
        int hidden = 5, preWidth = 4 * P;
        float[] pre = new float[preWidth];
        float[] c = {3f, 3f, 3f, Float.NaN, 0.5f};
        set(pre, 0, 100f, 100f, -100f, -100f);              // i=1, o=1, f=0, c~=-1  → c=-1, h=tanh(-1)
        set(pre, 1, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY);
        //                                                 i=1, o=0, f=1, c~=1   → c=3+1=4, h=0
        set(pre, 2, 0f, 0f, 0f, Float.NaN);                 // c~ NaN → c NaN, h NaN
        set(pre, 3, 0f, 0f, 0f, 0f);                        // c NaN → NaN
        set(pre, 4, -100f, 100f, 100f, 0f);                 // i=0, o=1, f=1 → c=0.5, h=tanh(0.5)
        float[] h = new float[hidden], out = new float[hidden];
        float[] r = new float[PanelPacking.panels(hidden) * hidden * 4 * P];
        kernels.lstmStep(1, hidden, r, pre, 0, preWidth, h, 0, hidden, c, 0, hidden, out, 0, hidden);
        String at = kernels.name() + ": c " + Arrays.toString(c) + ", h " + Arrays.toString(out);
        assertEquals(-1f, c[0], at);
        assertEquals((float) Math.tanh(-1), out[0], LIMIT, at);
        assertEquals(4f, c[1], at);
        assertEquals(0f, out[1], at);
        assertTrue(Float.isNaN(c[2]) && Float.isNaN(out[2]), at);
        assertTrue(Float.isNaN(c[3]) && Float.isNaN(out[3]), at);
        assertEquals(0.5f, c[4], 1e-7, at);
        assertEquals((float) Math.tanh(0.5), out[4], LIMIT, at);
    }

    /** A NaN in hPrev reaches every unit through R (NaN * 0 is NaN), as in float arithmetic everywhere. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void nanInHiddenStateReachesEveryUnit(LstmKernels kernels) {
        int hidden = 19, preWidth = PanelPacking.panels(hidden) * 4 * P;
        float[] h = new float[hidden];
        h[7] = Float.NaN;
        float[] c = new float[hidden], out = new float[hidden];
        float[] r = KernelFixtures.gateMatrix(new float[4 * hidden * hidden], hidden, hidden);
        kernels.lstmStep(1, hidden, r, new float[preWidth], 0, preWidth, h, 0, hidden, c, 0, hidden, out, 0, hidden);
        for (int u = 0; u < hidden; u++) assertTrue(Float.isNaN(out[u]), kernels.name() + ": unit " + u + " " + out[u]);
    }

    private static void set(float[] pre, int unit, float i, float o, float f, float cTilde) {
        pre[unit] = i;
        pre[P + unit] = o;
        pre[2 * P + unit] = f;
        pre[3 * P + unit] = cTilde;
    }
}
