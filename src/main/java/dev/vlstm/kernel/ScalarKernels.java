package dev.vlstm.kernel;

import java.util.Arrays;

/**
 * Plain-Java {@link LstmKernels}: always available, 5-20x slower than {@code VectorKernels} (measured). It is the
 * fallback when {@code jdk.incubator.vector} is not in the boot layer, and the second opinion the vector kernels are
 * tested against.
 *
 * <p>Sums run in float in ascending {@code k}, starting from the bias or pre-activation, like the vector kernels; the
 * activations are computed in double from {@link Math#exp} and {@link Math#tanh} and rounded once, and so are the
 * head's other operations (Elu, Softplus, GELU, softmax, layer normalisation: {@link HeadMath}). Loops run along the
 * contiguous 16-wide weight lines, accumulating in the output (or, for {@code lstmStep}, in {@code pre}).
 */
final class ScalarKernels implements LstmKernels {

    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void project(float[] x, int xOffset, int xStride, int rows, int k,
                        float[] w, float[] bias, int firstPanel, int panels, int gates, boolean skipForget,
                        float[] out, int outOffset, int outStride, int outColumns) {
        // Accumulates in out, k outermost, so the inner loop runs along one contiguous 16-wide weight line.
        for (int r = 0; r < rows; r++) {
            int xRow = xOffset + r * xStride;
            int outRow = outOffset + r * outStride;
            for (int q = firstPanel; q < firstPanel + panels; q++) {
                for (int g = 0; g < gates; g++) {
                    if (skipForget && gates == 4 && g == 2) continue;
                    int column = (q * gates + g) * PANEL;
                    int width = Math.min(PANEL, outColumns - column);
                    for (int j = 0; j < width; j++) {
                        out[outRow + column + j] = bias == null ? 0f : bias[column + j];
                    }
                    int line = (q * gates + g) * k * PANEL;     // weight (q, g, 0, 0)
                    for (int kk = 0; kk < k; kk++, line += PANEL) {
                        float xv = x[xRow + kk];
                        for (int j = 0; j < width; j++) {
                            out[outRow + column + j] += xv * w[line + j];
                        }
                    }
                }
            }
        }
    }

    @Override
    public void lstmStep(int batch, int hidden, int firstPanel, int panels, float[] r,
                         float[] pre, int preOffset, int preStride,
                         float[] hPrev, int hPrevOffset, int hPrevStride,
                         float[] c, int cOffset, int cStride,
                         float[] hOut, int hOutOffset, int hOutStride) {
        for (int b = 0; b < batch; b++) {
            int preRow = preOffset + b * preStride;
            int hRow = hPrevOffset + b * hPrevStride;
            // Recurrent product, accumulated in pre (scratch by contract): for each gate line (q, g), the 16 floats of
            // pre take h[k] times the contiguous 16 floats r[q][g][k].
            for (int line = firstPanel * 4; hPrev != null && line < (firstPanel + panels) * 4; line++) {   // null: h is zero
                int p = preRow + line * PANEL;
                for (int kk = 0, at = line * hidden * PANEL; kk < hidden; kk++, at += PANEL) {
                    float h = hPrev[hRow + kk];
                    for (int j = 0; j < PANEL; j++) {
                        pre[p + j] += h * r[at + j];
                    }
                }
            }
            cellUpdate(hidden, firstPanel, panels, pre, preRow, c, cOffset + b * cStride, hOut, hOutOffset + b * hOutStride,
                    hPrev == null);
        }
    }

    /** {@link #reducedRows}, then the cell update row by row. */
    @Override
    public void lstmStep(int batch, int hidden, int firstPanel, int panels, ReducedMatrix r, float[] scratch,
                         float[] pre, int preOffset, int preStride,
                         float[] hPrev, int hPrevOffset, int hPrevStride,
                         float[] c, int cOffset, int cStride,
                         float[] hOut, int hOutOffset, int hOutStride) {
        if (hPrev != null) reducedRows(batch, hidden, firstPanel, panels, r, scratch, pre, preOffset, preStride, hPrev,
                hPrevOffset, hPrevStride);
        for (int b = 0; b < batch; b++) {
            cellUpdate(hidden, firstPanel, panels, pre, preOffset + b * preStride, c, cOffset + b * cStride, hOut,
                    hOutOffset + b * hOutStride, hPrev == null);
        }
    }

    /**
     * pre += h·R for {@code batch} rows over a reduced R, each row bit for bit what {@link #reducedProduct} gives it
     * alone, so a row's result does not depend on the batch. One row: reducedProduct. Several: each panel widened into
     * scratch once ({@link #widenPanel}), then per row and column the same sums in the same order (bf16 from pre;
     * int8 from 0 in scratch past the panel, then scaled once and added).
     */
    static void reducedRows(int batch, int hidden, int firstPanel, int panels, ReducedMatrix r, float[] scratch,
                            float[] pre, int preOffset, int preStride, float[] hPrev, int hPrevOffset, int hPrevStride) {
        if (batch == 1) {
            reducedProduct(hidden, firstPanel, panels, r, pre, preOffset, hPrev, hPrevOffset);
            return;
        }
        boolean int8 = r.int8 != null;
        int sums = 4 * hidden * PANEL;          // int8: one gate line's sums, after the widened panel
        for (int q = firstPanel; q < firstPanel + panels; q++) {
            widenPanel(r, q, 0, hidden, scratch);
            for (int b = 0; b < batch; b++) {
                int hRow = hPrevOffset + b * hPrevStride;
                for (int g = 0; g < 4; g++) {
                    int p = preOffset + b * preStride + (q * 4 + g) * PANEL;
                    float[] acc = int8 ? scratch : pre;
                    int a = int8 ? sums : p;
                    if (int8) Arrays.fill(scratch, sums, sums + PANEL, 0f);
                    for (int kk = 0, at = g * hidden * PANEL; kk < hidden; kk++, at += PANEL) {
                        float h = hPrev[hRow + kk];
                        for (int j = 0; j < PANEL; j++) acc[a + j] += h * scratch[at + j];
                    }
                    if (int8) {
                        for (int j = 0; j < PANEL; j++)
                            pre[p + j] = Math.fma(scratch[sums + j], r.scales[(q * 4 + g) * PANEL + j], pre[p + j]);
                    }
                }
            }
        }
    }

    /** {@link #reducedProject}: every gate's columns, skipForget or not. */
    @Override
    public void project(float[] x, int xOffset, int xStride, int rows, ReducedMatrix w, float[] bias, int firstPanel,
                        int panels, boolean skipForget, float[] scratch, float[] out, int outOffset, int outStride) {
        reducedProject(x, xOffset, xStride, rows, w, bias, firstPanel, panels, scratch, out, outOffset, outStride);
    }

    /**
     * Rows of x times a reduced matrix from the bias (or 0), each row bit for bit what {@link #accumulateRow} gives it
     * from the bias: a panel widened into scratch once, then per row and column reducedProduct's sums (int8's
     * accumulated in out from 0, then scaled once and the bias added).
     */
    static void reducedProject(float[] x, int xOffset, int xStride, int rows, ReducedMatrix w, float[] bias,
                               int firstPanel, int panels, float[] scratch, float[] out, int outOffset, int outStride) {
        int k = w.k;
        boolean int8 = w.int8 != null;
        for (int q = firstPanel; q < firstPanel + panels; q++) {
            widenPanel(w, q, 0, k, scratch);
            for (int r = 0; r < rows; r++) {
                for (int g = 0; g < 4; g++) {
                    int column = (q * 4 + g) * PANEL, o = outOffset + r * outStride + column;
                    for (int j = 0; j < PANEL; j++) out[o + j] = bias == null || int8 ? 0f : bias[column + j];
                    for (int kk = 0, line = g * k * PANEL; kk < k; kk++, line += PANEL) {
                        float xv = x[xOffset + r * xStride + kk];
                        for (int j = 0; j < PANEL; j++) out[o + j] += xv * scratch[line + j];
                    }
                    if (int8) {
                        for (int j = 0; j < PANEL; j++)
                            out[o + j] = Math.fma(out[o + j], w.scales[column + j], bias == null ? 0f : bias[column + j]);
                    }
                }
            }
        }
    }

    /**
     * Inputs {@code k0 .. k0 + kn - 1} of panel q of r as fp32 into {@code into}, {@code [4][kn][PANEL]}: bf16
     * widened, int8 its values q, unscaled.
     */
    static void widenPanel(ReducedMatrix r, int q, int k0, int kn, float[] into) {
        int k = r.k;
        for (int g = 0; g < 4; g++) {
            int line = q * 4 + g;
            for (int kk = 0; kk < kn; kk++) {
                for (int j = 0; j < PANEL; j++) into[(g * kn + kk) * PANEL + j] = r.weight((line * k + k0 + kk) * PANEL + j);
            }
        }
    }

    @Override
    public void accumulateRow(float[] x, int xOffset, ReducedMatrix w, int firstPanel, int panels, float[] out,
                              int outOffset) {
        reducedProduct(w.k, firstPanel, panels, w, out, outOffset, x, xOffset);
    }

    /**
     * pre += h·R of one row over a reduced R, panels firstPanel ..: bf16 weights widened and summed into pre as
     * {@link #lstmStep} sums; int8 columns summed from 0, then scaled once and added (the vector kernels' order).
     */
    static void reducedProduct(int hidden, int firstPanel, int panels, ReducedMatrix r, float[] pre, int preOffset,
                               float[] hPrev, int hPrevOffset) {
        for (int line = firstPanel * 4; line < (firstPanel + panels) * 4; line++) {
            int p = preOffset + line * PANEL, base = line * hidden * PANEL;
            for (int j = 0; j < PANEL; j++) {
                float sum = r.bf16 != null ? pre[p + j] : 0f;
                for (int kk = 0; kk < hidden; kk++) sum += hPrev[hPrevOffset + kk] * r.weight(base + kk * PANEL + j);
                pre[p + j] = r.bf16 != null ? sum : Math.fma(sum, r.scales[line * PANEL + j], pre[p + j]);
            }
        }
    }

    /** The activations and the cell update of one row, units of panels firstPanel .. (gate sums in pre). */
    private static void cellUpdate(int hidden, int firstPanel, int panels, float[] pre, int preRow, float[] c, int cRow,
                                   float[] hOut, int outRow, boolean zeroState) {
        for (int u = firstPanel * PANEL; u < Math.min(hidden, (firstPanel + panels) * PANEL); u++) {
            int at = preRow + (u / PANEL) * 4 * PANEL + u % PANEL;      // a_i; a_o, a_f, a_c follow PANEL apart
            float i = sigmoid(pre[at]), o = sigmoid(pre[at + PANEL]);
            // From a zero state f * c is +0, whatever f is (a zero state promises it is not NaN): the same sum.
            float kept = zeroState ? 0f : sigmoid(pre[at + 2 * PANEL]) * c[cRow + u];
            float cell = kept + i * tanh(pre[at + 3 * PANEL]);
            c[cRow + u] = cell;
            hOut[outRow + u] = o * tanh(cell);
        }
    }

    @Override
    public boolean allAbsAtMost(float[] a, int offset, int stride, int rows, int width, float limit) {
        for (int r = 0; r < rows; r++) {
            int row = offset + r * stride;
            for (int i = row; i < row + width; i++) if (!(Math.abs(a[i]) <= limit)) return false;
        }
        return true;
    }

    @Override
    public void activate(Pointwise f, float alpha, float[] a, int offset, int count) {
        for (int i = offset; i < offset + count; i++) a[i] = pointwise(f, alpha, a[i]);
    }

    static float pointwise(Pointwise f, float alpha, float x) {
        return switch (f) {
            case SIGMOID -> sigmoid(x);
            case TANH -> tanh(x);
            case LEAKY_RELU -> x >= 0 || x != x ? x : alpha * x;
            case ELU -> (float) HeadMath.elu(x, alpha);
            case SOFTPLUS -> (float) HeadMath.softplus(x);
            case GELU -> (float) HeadMath.gelu(x);
            case GELU_TANH -> (float) HeadMath.geluTanh(x);
        };
    }

    @Override
    public void softmax(float[] a, int offset, int rows, int width, boolean log) {
        for (int r = 0; r < rows; r++) HeadMath.softmax(a, offset + r * width, width, log);
    }

    @Override
    public void layerNorm(float[] a, int offset, int rows, int width, float[] scale, float[] bias, float epsilon) {
        for (int r = 0; r < rows; r++) HeadMath.layerNorm(a, offset + r * width, width, scale, bias, epsilon);
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
