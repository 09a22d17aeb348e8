package dev.vlstm.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Plain-Java {@link LstmKernels}: always available, about 10-20x slower than {@code VectorKernels}. It is the
 * fallback when {@code jdk.incubator.vector} is not in the boot layer, and the second opinion the vector kernels are
 * tested against.
 *
 * <p>Sums run in float in ascending {@code k}, starting from the bias or pre-activation, like the vector kernels; the
 * activations are computed in double from {@link Math#exp} and {@link Math#tanh} and rounded once.
 */
final class ScalarKernels implements LstmKernels {

    static final ScalarKernels INSTANCE = new ScalarKernels();

    /** Weights are little-endian float32 at any 4-byte offset of a (typically mapped) segment. */
    private static final ValueLayout.OfFloat WEIGHT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ScalarKernels() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void project(float[] x, int xOffset, int xStride, int rows, int k,
                        MemorySegment w, MemorySegment bias, int panels, int gates,
                        float[] out, int outOffset, int outStride, int outColumns) {
        for (int r = 0; r < rows; r++) {
            int xRow = xOffset + r * xStride;
            int outRow = outOffset + r * outStride;
            for (int q = 0; q < panels; q++) {
                for (int g = 0; g < gates; g++) {
                    int column = (q * gates + g) * PANEL;
                    int width = Math.min(PANEL, outColumns - column);
                    // Weight (q, kk, g, j) sits at ((q*k + kk)*gates + g)*PANEL + j.
                    long base = (long) q * k * gates * PANEL + (long) g * PANEL;
                    for (int j = 0; j < width; j++) {
                        float sum = bias == null ? 0f : bias.getAtIndex(WEIGHT, column + j);
                        for (int kk = 0; kk < k; kk++) {
                            sum += x[xRow + kk] * w.getAtIndex(WEIGHT, base + (long) kk * gates * PANEL + j);
                        }
                        out[outRow + column + j] = sum;
                    }
                }
            }
        }
    }

    @Override
    public void lstmStep(int batch, int hidden, MemorySegment r,
                         float[] pre, int preOffset, int preStride,
                         float[] hPrev, int hPrevOffset, int hPrevStride,
                         float[] c, int cOffset, int cStride,
                         float[] hOut, int hOutOffset, int hOutStride) {
        for (int b = 0; b < batch; b++) {
            int preRow = preOffset + b * preStride;
            int hRow = hPrevOffset + b * hPrevStride;
            for (int u = 0; u < hidden; u++) {
                int q = u / PANEL, j = u % PANEL;
                long base = (long) q * hidden * 4 * PANEL + j;     // weight (q, 0, 0, j)
                int preAt = preRow + q * 4 * PANEL + j;            // pre (q, 0, j)
                float ai = pre[preAt], ao = pre[preAt + PANEL], af = pre[preAt + 2 * PANEL], ac = pre[preAt + 3 * PANEL];
                for (int kk = 0; kk < hidden; kk++) {
                    float h = hPrev[hRow + kk];
                    long at = base + (long) kk * 4 * PANEL;
                    ai += h * r.getAtIndex(WEIGHT, at);
                    ao += h * r.getAtIndex(WEIGHT, at + PANEL);
                    af += h * r.getAtIndex(WEIGHT, at + 2 * PANEL);
                    ac += h * r.getAtIndex(WEIGHT, at + 3 * PANEL);
                }
                pre[preAt] = ai;                                   // pre is left holding the summed gates,
                pre[preAt + PANEL] = ao;                           // as VectorKernels leaves it
                pre[preAt + 2 * PANEL] = af;
                pre[preAt + 3 * PANEL] = ac;
                int cAt = cOffset + b * cStride + u;
                float cell = sigmoid(af) * c[cAt] + sigmoid(ai) * tanh(ac);
                c[cAt] = cell;
                hOut[hOutOffset + b * hOutStride + u] = sigmoid(ao) * tanh(cell);
            }
        }
    }

    /** Logistic sigmoid, in double and rounded once: exact to float rounding, 0 and 1 at the extremes, NaN stays NaN. */
    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
    }

    /** Hyperbolic tangent, rounded from {@link Math#tanh}: ±1 at the extremes, NaN stays NaN. */
    static float tanh(float x) {
        return (float) Math.tanh(x);
    }
}
