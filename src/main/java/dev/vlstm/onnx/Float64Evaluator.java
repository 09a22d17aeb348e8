package dev.vlstm.onnx;

import dev.vlstm.format.Activation;
import dev.vlstm.format.HeadOp;
import dev.vlstm.format.GateActivations;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.kernel.HeadMath;

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
        return head(spec, weights, layers(spec, weights, x, seq, batch), seq * batch);
    }

    /**
     * For a final-state output (format role 21): the head on the top layer's final h of every direction, forward
     * first — a forward direction's output at t = seq - 1, a reverse one's at t = 0; {@code [batch][features]}.
     */
    public static double[] runFinalState(ModelSpec spec, ModelWeights weights, float[] x, int seq, int batch) {
        double[] y = layers(spec, weights, x, seq, batch);
        LayerSpec top = spec.layers().getLast();
        int h = top.hiddenSize(), dirs = top.direction().count, width = h * dirs;
        double[] rows = new double[batch * width];
        for (int b = 0; b < batch; b++)
            for (int d = 0; d < dirs; d++) {
                boolean reverse = d == 1 || top.direction() == dev.vlstm.format.Direction.REVERSE;
                System.arraycopy(y, ((reverse ? 0 : seq - 1) * batch + b) * width + d * h, rows, b * width + d * h, h);
            }
        return head(spec, weights, rows, batch);
    }

    /** For a pooled output (format role 22): the mean or max over all seq timesteps, then the rest of the head. */
    public static double[] runPooled(ModelSpec spec, ModelWeights weights, float[] x, int seq, int batch) {
        double[] y = layers(spec, weights, x, seq, batch);
        boolean max = spec.head().getFirst().kind() == HeadOp.Kind.MAX_OVER_TIME;
        int width = spec.layers().getLast().outputSize();
        double[] rows = new double[batch * width];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < width; j++) {
                double v = max ? Double.NEGATIVE_INFINITY : 0;
                for (int t = 0; t < seq; t++) v = max ? Math.max(v, y[(t * batch + b) * width + j]) : v + y[(t * batch + b) * width + j];
                rows[b * width + j] = max ? v : v / seq;
            }
        return head(spec, weights, rows, batch);
    }

    private static double[] head(ModelSpec spec, ModelWeights weights, double[] cur, int rows) {
        for (int i = spec.pools() ? 1 : 0; i < spec.head().size(); i++) cur = head(spec.head().get(i), weights.head().get(i), cur, rows);
        return cur;
    }

    /** The top layer's output, {@code [seq][batch][hidden × directions]}. */
    private static double[] layers(ModelSpec spec, ModelWeights weights, float[] x, int seq, int batch) {
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
        return cur;
    }

    /** One head operation on {@code rows} rows, in double throughout (format-spec.md, "Head operations"). */
    private static double[] head(HeadOp op, ModelWeights.HeadWeights w, double[] x, int rows) {
        int in = op.inputSize(), out = op.outputSize();
        double[] r = new double[rows * out];
        for (int row = 0; row < rows; row++) {
            int at = row * in, to = row * out;
            switch (op.kind()) {
                case DENSE -> {
                    for (int j = 0; j < out; j++) {
                        double v = w.bias() == null ? 0 : w.bias()[j];
                        for (int k = 0; k < in; k++) v += (double) w.weight()[j * in + k] * x[at + k];
                        r[to + j] = v;
                    }
                }
                case SOFTMAX, LOG_SOFTMAX -> {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < in; j++) max = Math.max(max, x[at + j]);
                    for (int j = 0; j < in; j++) sum += Math.exp(x[at + j] - max);
                    for (int j = 0; j < in; j++)
                        r[to + j] = op.kind() == HeadOp.Kind.SOFTMAX ? Math.exp(x[at + j] - max) / sum : x[at + j] - max - Math.log(sum);
                }
                case LAYER_NORM -> {
                    double mean = 0, var = 0;
                    for (int j = 0; j < in; j++) mean += x[at + j] / in;
                    for (int j = 0; j < in; j++) var += (x[at + j] - mean) * (x[at + j] - mean) / in;
                    for (int j = 0; j < in; j++)
                        r[to + j] = (x[at + j] - mean) / Math.sqrt(var + op.alpha()) * w.weight()[j] + (w.bias() == null ? 0 : w.bias()[j]);
                }
                default -> {
                    for (int j = 0; j < in; j++) r[to + j] = pointwise(op, x[at + j]);
                }
            }
        }
        return r;
    }

    private static double pointwise(HeadOp op, double v) {
        return switch (op.kind()) {
            case RELU -> Math.max(0, v);
            case LEAKY_RELU -> v >= 0 ? v : op.alpha() * v;
            case TANH -> Math.tanh(v);
            case SIGMOID -> 1 / (1 + Math.exp(-v));
            case ELU -> v >= 0 ? v : op.alpha() * Math.expm1(v);
            case SOFTPLUS -> v > 30 ? v : Math.log1p(Math.exp(v));
            case GELU -> 0.5 * v * (1 + HeadMath.erf(v / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            default -> throw new IllegalArgumentException(op + " is not elementwise");
        };
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
