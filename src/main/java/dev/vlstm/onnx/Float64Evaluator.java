package dev.vlstm.onnx;

import dev.vlstm.format.Activation;
import dev.vlstm.format.GateActivations;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;

/**
 * The ONNX LSTM equations evaluated literally, in float64, on the ONNX-layout weights the importer extracted — for
 * {@code convert --verify}, an independent check of the packed file and the fast kernels. Time-major input
 * {@code [seq][batch][features]}, zero initial states, full-length sequences; returns the last layer's (or the head's)
 * output {@code [seq][batch][features]}.
 */
public final class Float64Evaluator {
    private Float64Evaluator() {
    }

    public static double[] run(ModelSpec spec, ModelWeights weights, float[] x, int seq, int batch) {
        double[] cur = new double[x.length];
        for (int i = 0; i < x.length; i++) cur[i] = x[i];
        int width = spec.inputSize();
        for (int l = 0; l < spec.layers().size(); l++) {
            LayerSpec layer = spec.layers().get(l);
            int h = layer.hiddenSize(), dirs = layer.direction().count;
            double[] y = new double[seq * batch * h * dirs];
            for (int d = 0; d < dirs; d++) {
                boolean reverse = d == 1 || layer.direction() == dev.vlstm.format.Direction.REVERSE;
                ModelWeights.DirectionWeights w = weights.layers().get(l).get(d);
                GateActivations act = layer.activations().get(d);
                for (int b = 0; b < batch; b++) {
                    double[] hs = new double[h], cs = new double[h];
                    for (int s = 0; s < seq; s++) {
                        int t = reverse ? seq - 1 - s : s;
                        double[] a = new double[4 * h];
                        for (int row = 0; row < 4 * h; row++) {
                            double v = (w.wb() == null ? 0 : w.wb()[row]) + (w.rb() == null ? 0 : w.rb()[row]);
                            for (int k = 0; k < width; k++) v += (double) w.w()[row * width + k] * cur[(t * batch + b) * width + k];
                            for (int k = 0; k < h; k++) v += (double) w.r()[row * h + k] * hs[k];
                            a[row] = v;
                        }
                        for (int u = 0; u < h; u++) {
                            double pi = w.p() == null ? 0 : w.p()[u], po = w.p() == null ? 0 : w.p()[h + u];
                            double pf = w.p() == null ? 0 : w.p()[2 * h + u];
                            double i = f(act.f(), clip(a[u] + pi * cs[u], layer.clip()));
                            double f = layer.inputForget() ? 1 - i : f(act.f(), clip(a[2 * h + u] + pf * cs[u], layer.clip()));
                            double g = f(act.g(), clip(a[3 * h + u], layer.clip()));
                            cs[u] = f * cs[u] + i * g;
                            double o = f(act.f(), clip(a[h + u] + po * cs[u], layer.clip()));
                            hs[u] = o * f(act.h(), cs[u]);
                            y[(t * batch + b) * h * dirs + d * h + u] = hs[u];
                        }
                    }
                }
            }
            cur = y;
            width = h * dirs;
        }
        if (spec.head() == null) return cur;
        int out = spec.head().outputSize();
        double[] r = new double[seq * batch * out];
        for (int row = 0; row < seq * batch; row++)
            for (int j = 0; j < out; j++) {
                double v = weights.headBias() == null ? 0 : weights.headBias()[j];
                for (int k = 0; k < width; k++) v += (double) weights.headWeight()[j * width + k] * cur[row * width + k];
                r[row * out + j] = v;
            }
        return r;
    }

    private static double clip(double v, float clip) {
        return Math.max(-clip, Math.min(clip, v));
    }

    private static double f(Activation a, double x) {
        double al = a.alpha(), be = a.beta();
        return switch (a.kind()) {
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case RELU -> Math.max(0, x);
            case AFFINE -> al * x + be;
            case LEAKY_RELU -> x >= 0 ? x : al * x;
            case THRESHOLDED_RELU -> x >= al ? x : 0;
            case SCALED_TANH -> al * Math.tanh(be * x);
            case HARD_SIGMOID -> Math.min(Math.max(al * x + be, 0), 1);
            case ELU -> x >= 0 ? x : al * Math.expm1(x);
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case SOFTPLUS -> x > 30 ? x : Math.log1p(Math.exp(x));
        };
    }
}
