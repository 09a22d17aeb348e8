package dev.vlstm.kernel;

import dev.vlstm.format.PanelPacking;
import java.util.Arrays;
import java.util.Random;

/**
 * Test data and a float64 reference written straight from the formulas in {@link LstmKernels}' javadoc, on ONNX-layout
 * (unpacked) weights. The kernels see the same weights packed by {@link PanelPacking} and put in their order by
 * {@link GateLines}, as arrays like a model's.
 */
final class KernelFixtures {

    static final int P = LstmKernels.PANEL;
    /** Written into every element a kernel must not touch. */
    static final float CANARY = -7777.25f;

    private KernelFixtures() {}

    static float[] uniform(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }

    /** An ONNX gate matrix {@code [4*hidden][k]} as a model holds it: packed as in the file, then in the kernels' order. */
    static float[] gateMatrix(float[] onnx, int hidden, int k) {
        return GateLines.fromFileOrder(PanelPacking.packGates(onnx, hidden, k), k);
    }

    /** An array of {@code rows} rows of {@code width} values at {@code offset}, {@code stride} apart; the rest is fill. */
    static float[] strided(float[] dense, int rows, int width, int offset, int stride, float fill) {
        float[] a = new float[offset + Math.max(0, rows - 1) * stride + width + 3];
        Arrays.fill(a, fill);
        for (int r = 0; r < rows; r++) System.arraycopy(dense, r * width, a, offset + r * stride, width);
        return a;
    }

    /**
     * Reference for {@code project} on unpacked weights: {@code a[units*gates][k]} with gate g's rows at
     * {@code g*units .. g*units + units-1} (ONNX W for gates = 4, a head matrix for gates = 1) and bias {@code b[units*gates]}
     * or null. Returns {@code [rows][outColumns]}; column (q*gates + g)*16 + j is unit 16q + j of gate g, 0 past units.
     */
    static double[] projectReference(float[] x, int rows, int k, float[] a, float[] b, int units, int gates,
                                     int outColumns) {
        double[] out = new double[rows * outColumns];
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < outColumns; col++) {
                int line = col / P, j = col % P, q = line / gates, g = line % gates, u = q * P + j;
                if (u >= units) continue;
                int row = g * units + u;
                double sum = b == null ? 0 : b[row];
                for (int kk = 0; kk < k; kk++) sum += (double) x[r * k + kk] * a[row * k + kk];
                out[r * outColumns + col] = sum;
            }
        }
        return out;
    }

    /** Result of one reference LSTM step: the new cell and hidden state, dense {@code [batch][hidden]}. */
    record StepResult(double[] c, double[] h) {}

    /**
     * Reference for {@code lstmStep}: {@code pre} is dense {@code [batch][panels*4*16]} in the packed column order,
     * {@code rOnnx} is ONNX {@code R[4*hidden][hidden]}, hPrev and c are dense {@code [batch][hidden]}.
     */
    static StepResult stepReference(int batch, int hidden, float[] rOnnx, double[] pre, double[] hPrev, double[] c) {
        int preWidth = PanelPacking.panels(hidden) * 4 * P;
        double[] cNew = new double[batch * hidden], h = new double[batch * hidden];
        for (int b = 0; b < batch; b++) {
            for (int u = 0; u < hidden; u++) {
                int q = u / P, j = u % P;
                double[] a = new double[4];
                for (int g = 0; g < 4; g++) {
                    double sum = pre[b * preWidth + (q * 4 + g) * P + j];
                    for (int kk = 0; kk < hidden; kk++) sum += hPrev[b * hidden + kk] * rOnnx[(g * hidden + u) * hidden + kk];
                    a[g] = sum;
                }
                double i = sigmoid(a[0]), o = sigmoid(a[1]), f = sigmoid(a[2]), cTilde = Math.tanh(a[3]);
                double cell = f * c[b * hidden + u] + i * cTilde;
                cNew[b * hidden + u] = cell;
                h[b * hidden + u] = o * Math.tanh(cell);
            }
        }
        return new StepResult(cNew, h);
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Tracks the largest error seen, and fails with it and the case name on the first one over 1e-5*(1+|ref|). */
    static final class ErrorMeter {
        double maxAbs;
        String worst = "none";

        void check(String what, double reference, float actual) {
            double err = Math.abs(actual - reference);
            if (!(err <= 1e-5 * (1 + Math.abs(reference)))) {
                throw new AssertionError(what + ": got " + actual + ", reference " + reference + ", error " + err
                        + " > 1e-5*(1+|ref|)");
            }
            if (err > maxAbs) {
                maxAbs = err;
                worst = what;
            }
        }

        @Override
        public String toString() {
            return String.format("max abs error %.3g at %s", maxAbs, worst);
        }
    }
}
