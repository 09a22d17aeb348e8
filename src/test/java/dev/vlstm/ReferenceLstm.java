package dev.vlstm;

import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;

/**
 * The ONNX LSTM equations evaluated literally in float64 on unpacked ONNX-layout weights (gates i, o, f, c): the oracle
 * for tests that build models in Java. Deliberately the plainest possible code.
 */
public final class ReferenceLstm {
    private ReferenceLstm() {
    }

    /** x: [seq][batch][input] row-major; returns [seq][batch][output] as doubles. */
    public static double[] run(ModelSpec spec, ModelWeights weights, float[] x, int seq, int batch) {
        double[] cur = new double[x.length];
        for (int i = 0; i < x.length; i++) cur[i] = x[i];
        int width = spec.inputSize();
        for (int l = 0; l < spec.layers().size(); l++) {
            LayerSpec layer = spec.layers().get(l);
            ModelWeights.DirectionWeights w = weights.layers().get(l).getFirst();
            int h = layer.hiddenSize();
            double[] y = new double[seq * batch * h];
            for (int b = 0; b < batch; b++) {
                double[] hs = new double[h], cs = new double[h];
                for (int t = 0; t < seq; t++) {
                    int xo = (t * batch + b) * width;
                    double[] gates = new double[4 * h];
                    for (int row = 0; row < 4 * h; row++) {
                        double a = (w.wb() == null ? 0 : w.wb()[row]) + (w.rb() == null ? 0 : w.rb()[row]);
                        for (int k = 0; k < width; k++) a += (double) w.w()[row * width + k] * cur[xo + k];
                        for (int k = 0; k < h; k++) a += (double) w.r()[row * h + k] * hs[k];
                        gates[row] = a;
                    }
                    double[] hn = new double[h];
                    for (int u = 0; u < h; u++) {
                        double i = sigmoid(gates[u]), o = sigmoid(gates[h + u]), f = sigmoid(gates[2 * h + u]);
                        double c = Math.tanh(gates[3 * h + u]);
                        cs[u] = f * cs[u] + i * c;
                        hn[u] = o * Math.tanh(cs[u]);
                        y[(t * batch + b) * h + u] = hn[u];
                    }
                    hs = hn;
                }
            }
            cur = y;
            width = h;
        }
        if (spec.head() == null) return cur;
        int out = spec.head().outputSize();
        double[] r = new double[seq * batch * out];
        for (int row = 0; row < seq * batch; row++)
            for (int j = 0; j < out; j++) {
                double a = weights.headBias() == null ? 0 : weights.headBias()[j];
                for (int k = 0; k < width; k++) a += (double) weights.headWeight()[j * width + k] * cur[row * width + k];
                r[row * out + j] = a;
            }
        return r;
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }
}
