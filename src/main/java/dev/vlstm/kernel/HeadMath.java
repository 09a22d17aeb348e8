package dev.vlstm.kernel;

/**
 * The head's operations in float64, each result rounded once to float (format-spec.md, "Head operations"): what
 * {@code ScalarKernels} computes, and so the reference the vector kernels ({@code VectorHeadMath}) are measured
 * against. Public for the converter's float64 check, which shares erf.
 *
 * <pre>{@code
 * double gelu = 0.5 * x * (1 + HeadMath.erf(x / Math.sqrt(2)));   // GELU as PyTorch's nn.GELU() computes it
 * }</pre>
 */
public final class HeadMath {
    private HeadMath() {
    }

    static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI), SQRT_2 = Math.sqrt(2);
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI), SQRT_PI = Math.sqrt(Math.PI);

    /**
     * The error function, within 1e-14 of exact (checked against {@code math.erf} on 200 001 points of [-7, 7]): its
     * Taylor series below |x| = 2.5 (at most two digits lost to cancellation there), and above, 1 - erfc with erfc's
     * continued fraction ({@link #erfc}). Java has no erf, and GELU needs one.
     *
     * @param x any double; NaN gives NaN
     * @return erf(x), in [-1, 1]
     */
    public static double erf(double x) {
        double a = Math.abs(x), r;
        if (!(a < 2.5)) {
            if (Double.isNaN(a)) return a;
            r = 1 - erfcTail(a);
        } else {
            double sum = 0, term = a, x2 = a * a;
            for (int n = 0; ; n++) {
                double c = term / (2 * n + 1);
                sum += c;
                if (Math.abs(c) <= 1e-17 * Math.abs(sum)) break;
                term *= -x2 / (n + 1);
            }
            r = TWO_OVER_SQRT_PI * sum;
        }
        return x < 0 ? -r : r;
    }

    /**
     * The complementary error function 1 - erf(x), accurate relative to itself where it is tiny (x large), unlike
     * {@code 1 - erf(x)}: within 3e-11 relative for x &lt; 2.5, where it is 1 - erf (at least 4e-4, so erf's 1e-14
     * loses at most 2 500x), and above, the continued fraction, which does not cancel.
     */
    static double erfc(double x) {
        double a = Math.abs(x);
        if (Double.isNaN(a)) return a;
        double r = a < 2.5 ? 1 - erf(a) : erfcTail(a);
        return x < 0 ? 2 - r : r;
    }

    /** erfc(a) for a >= 2.5: e^-a² / (√π f), f erfc's continued fraction evaluated backwards from depth 60. */
    private static double erfcTail(double a) {
        double f = a;
        for (int n = 60; n >= 1; n--) f = a + (n / 2.0) / f;
        return Math.exp(-a * a) / (SQRT_PI * f);
    }

    /** Elu: x for x >= 0 (and NaN), else alpha (e^x - 1). */
    static double elu(double x, double alpha) {
        return x < 0 ? alpha * Math.expm1(x) : x;
    }

    /** Softplus, log(1 + e^x); past 30, e^-x is below float resolution of x (and exp would overflow first at 709). */
    static double softplus(double x) {
        return x > 30 ? x : Math.log1p(Math.exp(x));
    }

    /**
     * GELU, x/2 (1 + erf(x / √2)); for x &lt; 0 as x/2 erfc(-x / √2), which keeps its relative accuracy where
     * 1 + erf cancels (below -5, where the result is under 1.5e-6; 1 + erf is 0 in double from -8.3 on).
     */
    static double gelu(double x) {
        return x < 0 ? 0.5 * x * erfc(-x / SQRT_2) : 0.5 * x * (1 + erf(x / SQRT_2));
    }

    /**
     * GELU with tanh, x/2 (1 + tanh(y)), y = √(2/π) (x + 0.044715 x³), as x / (1 + e^-2y): the same value, without the
     * cancellation of 1 + tanh(y) for x below -3.
     */
    static double geluTanh(double x) {
        double y = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
        return x / (1 + Math.exp(-2 * y));
    }

    /**
     * Softmax (or log-softmax) of one row in place, over its {@code width} features: e^(x - max) / sum, or
     * (x - max) - log(sum). A NaN anywhere makes the row NaN, as in PyTorch.
     */
    static void softmax(float[] a, int at, int width, boolean log) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = at; j < at + width; j++) max = a[j] != a[j] || a[j] > max ? a[j] : max;
        if (max == Double.NEGATIVE_INFINITY) max = 0;    // a row of -Inf: e^(-Inf - 0) / 0 gives NaN, as PyTorch does
        double sum = 0;
        for (int j = at; j < at + width; j++) sum += Math.exp(a[j] - max);
        if (log) {
            double shift = max + Math.log(sum);
            for (int j = at; j < at + width; j++) a[j] = (float) (a[j] - shift);
        } else {
            for (int j = at; j < at + width; j++) a[j] = (float) (Math.exp(a[j] - max) / sum);
        }
    }

    /** LayerNormalization of one row in place: (x - mean) / sqrt(var + epsilon) * scale + bias, var the biased variance. */
    static void layerNorm(float[] a, int at, int width, float[] scale, float[] bias, float epsilon) {
        double mean = 0;
        for (int j = at; j < at + width; j++) mean += a[j];
        mean /= width;
        double var = 0;
        for (int j = at; j < at + width; j++) var += (a[j] - mean) * (a[j] - mean);
        double inv = 1 / Math.sqrt(var / width + epsilon);
        for (int j = 0; j < width; j++) a[at + j] = (float) ((a[at + j] - mean) * inv * scale[j] + bias[j]);
    }
}
