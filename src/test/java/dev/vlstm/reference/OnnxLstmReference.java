package dev.vlstm.reference;

import java.util.List;

/**
 * A plain float64 evaluation of one ONNX {@code LSTM} node (opsets 7, 14 and 22, which compute the same thing;
 * 14 added {@code layout}, 22 only more types), written from the operator's text, to serve as the oracle of
 * differential tests where ONNX Runtime cannot be used. Inputs are the float32 values of the model; every sum,
 * product and activation is computed in double, so the result is the exact-arithmetic answer to about 1e-15.
 *
 * <p>For each direction, batch entry and step (gates in the order i, o, f, c, as W, R and B store them):
 * <pre>
 *   i = f(clip(Xt·Wiᵀ + Ht-1·Riᵀ + Wbi + Rbi + Pi ⊙ Ct-1))
 *   f = f(clip(Xt·Wfᵀ + Ht-1·Rfᵀ + Wbf + Rbf + Pf ⊙ Ct-1))      or, with input_forget = 1:  f = 1 − i
 *   c = g(clip(Xt·Wcᵀ + Ht-1·Rcᵀ + Wbc + Rbc))
 *   Ct = f ⊙ Ct-1 + i ⊙ c
 *   o = f(clip(Xt·Woᵀ + Ht-1·Roᵀ + Wbo + Rbo + Po ⊙ Ct))
 *   Ht = o ⊙ h(Ct)
 * </pre>
 *
 * <p>Where the ONNX text (docs/Operators.md, "LSTM"; onnx/backend/test/case/node/lstm.py, which covers only one
 * direction and the default activations) leaves the semantics open, this class does what ONNX Runtime's CPU kernel
 * does; found by reading onnxruntime/core/providers/cpu/rnn/lstm_base.h, deep_cpu_lstm.cc, uni_directional_lstm.cc,
 * rnn_helpers.cc and rnn_activation_functors.h, and confirmed by {@code OnnxLstmReferenceTest}:
 * <ul>
 * <li><b>clip</b> bounds each gate's whole pre-activation to [−clip, clip] (after the biases and the peephole term
 * are added: clip_add_bias in rnn_helpers.cc), for i, f, c and o. The cell state Ct itself is never clipped, neither
 * when stored nor before h. Absent clip means no clipping; ONNX Runtime requires clip &gt; 0 (lstm_base.h).</li>
 * <li><b>Peepholes</b> P = [Pi, Po, Pf]: i and f see Ct-1, o sees the new Ct (the ONNX equations; in
 * UniDirectionalLstm::GateComputations the cell buffer is updated in place before the output gate reads it).</li>
 * <li><b>input_forget = 1</b>: f = 1 − i after i's activation; the forget gate's W, R, B rows and Pf are ignored
 * (GateComputations).</li>
 * <li><b>activations</b>: 3 names per direction (f, g, h), 6 for bidirectional (forward's three, then reverse's);
 * absent means Sigmoid, Tanh, Tanh for each direction; any other count is an error (lstm_base.h). Names match
 * case-insensitively (rnn_helpers.cc lowercases them). For how activation_alpha / activation_beta are consumed and
 * the defaults see {@link LstmActivation#resolve} and {@link ActivationDefaults}: each list is consumed in order
 * across all 3 or 6 activations, one value per activation that takes that parameter, skipping the others; the
 * spec's defaults are LeakyRelu 0.01, HardSigmoid 0.2/0.5, Elu 1.0, ThresholdedRelu 1.0, Affine 1.0/0.0 and none
 * for ScaledTanh, while ONNX Runtime uses 0 for ThresholdedRelu, Affine and ScaledTanh.</li>
 * <li><b>sequence_lens</b>: batch entry b runs only its first len(b) steps. Y is zero at steps t ≥ len(b);
 * Y_h and Y_c hold the state after the entry's own last step. The reverse direction starts at step len(b) − 1 (not
 * at seq − 1) and ends at step 0, where its Y_h / Y_c are taken (uni_directional_lstm.cc reverses each entry's first
 * len(b) steps with ReverseSequence, runs forward, and reverses Y back). A length of 0 gives Y_h = Y_c = 0, not the
 * initial state (ComputeImpl zeroes them); ONNX Runtime accepts lengths 0..seq and rejects others
 * (ValidateCommonRnnInputs in rnn_helpers.cc).</li>
 * <li><b>bidirectional</b>: direction 0 is forward, 1 reverse, each with its own W, R, B, P, initial state and
 * activations; Y is [seq, 2, batch, H] with direction 0 at index 0.</li>
 * <li><b>layout = 1</b> (opset 14+): X is [batch, seq, I], initial_h / initial_c and Y_h / Y_c are [batch, dirs, H],
 * Y is [batch, seq, dirs, H]; the computation is the same. ONNX Runtime refuses such a node when it creates the
 * session ("Batchwise recurrent operations (layout == 1) are not supported", lstm_base.h).</li>
 * <li>ONNX Runtime computes in float32 with MLAS approximations of sigmoid and tanh; the reference does not.</li>
 * </ul>
 */
public final class OnnxLstmReference {
    private OnnxLstmReference() {}

    /** Evaluates the node with the specification's activation defaults ({@link ActivationDefaults#ONNX_SPEC}). */
    public static LstmResult evaluate(float[] x, int[] xShape, float[] w, float[] r, float[] b, int[] sequenceLens,
            float[] initialH, float[] initialC, float[] p, LstmAttributes attributes) {
        return evaluate(new LstmInputs(x, xShape, w, r, b, sequenceLens, initialH, initialC, p), attributes,
                ActivationDefaults.ONNX_SPEC);
    }

    /** Evaluates the node, filling missing activation parameters by {@code defaults}. */
    public static LstmResult evaluate(float[] x, int[] xShape, float[] w, float[] r, float[] b, int[] sequenceLens,
            float[] initialH, float[] initialC, float[] p, LstmAttributes attributes, ActivationDefaults defaults) {
        return evaluate(new LstmInputs(x, xShape, w, r, b, sequenceLens, initialH, initialC, p), attributes,
                defaults);
    }

    public static LstmResult evaluate(LstmInputs in, LstmAttributes attributes) {
        return evaluate(in, attributes, ActivationDefaults.ONNX_SPEC);
    }

    public static LstmResult evaluate(LstmInputs in, LstmAttributes attributes, ActivationDefaults defaults) {
        Shape s = Shape.of(in, attributes);
        List<LstmActivation> activations = LstmActivation.resolve(attributes, defaults);
        double clip = attributes.clip() == null ? Double.POSITIVE_INFINITY : attributes.clip();
        boolean inputForget = attributes.inputForget() == 1;

        double[] y = new double[s.seq * s.dirs * s.batch * s.hidden];
        double[] yH = new double[s.dirs * s.batch * s.hidden];
        double[] yC = new double[s.dirs * s.batch * s.hidden];
        double[] largestInputs = new double[3 * s.dirs];
        for (int d = 0; d < s.dirs; d++) {
            boolean reverse = attributes.effectiveDirection().equals("reverse") || d == 1;
            Activated f = new Activated(activations.get(3 * d));
            Activated g = new Activated(activations.get(3 * d + 1));
            Activated h = new Activated(activations.get(3 * d + 2));
            for (int b = 0; b < s.batch; b++) {
                int length = in.sequenceLens() == null ? s.seq : in.sequenceLens()[b];
                double[] hPrev = state(in.initialH(), s, d, b);
                double[] cPrev = state(in.initialC(), s, d, b);
                if (length == 0) continue; // Y_h and Y_c stay 0, as in ONNX Runtime
                for (int k = 0; k < length; k++) {
                    int t = reverse ? length - 1 - k : k;
                    double[] gates = gatePreActivations(in, s, d, t, b, hPrev);
                    double[] hNew = new double[s.hidden];
                    double[] cNew = new double[s.hidden];
                    for (int n = 0; n < s.hidden; n++) {
                        double iPre = gates[n] + peephole(in, s, d, 0, n) * cPrev[n];
                        double iGate = f.apply(clip(iPre, clip));
                        double fGate;
                        if (inputForget) {
                            fGate = 1.0 - iGate;
                        } else {
                            double fPre = gates[2 * s.hidden + n] + peephole(in, s, d, 2, n) * cPrev[n];
                            fGate = f.apply(clip(fPre, clip));
                        }
                        double cGate = g.apply(clip(gates[3 * s.hidden + n], clip));
                        cNew[n] = fGate * cPrev[n] + iGate * cGate;
                        double oPre = gates[s.hidden + n] + peephole(in, s, d, 1, n) * cNew[n];
                        double oGate = f.apply(clip(oPre, clip));
                        hNew[n] = oGate * h.apply(cNew[n]);
                        y[s.yIndex(t, d, b, n)] = hNew[n];
                    }
                    hPrev = hNew;
                    cPrev = cNew;
                }
                for (int n = 0; n < s.hidden; n++) {
                    yH[s.stateIndex(d, b, n)] = hPrev[n];
                    yC[s.stateIndex(d, b, n)] = cPrev[n];
                }
            }
            largestInputs[3 * d] = f.largestInput;
            largestInputs[3 * d + 1] = g.largestInput;
            largestInputs[3 * d + 2] = h.largestInput;
        }
        return new LstmResult(y, s.yShape(), yH, s.stateShape(), yC, s.stateShape(), largestInputs);
    }

    /** An activation that remembers the largest |x| it was applied to. */
    private static final class Activated {
        final LstmActivation activation;
        double largestInput;

        Activated(LstmActivation activation) {
            this.activation = activation;
        }

        double apply(double x) {
            largestInput = Math.max(largestInput, Math.abs(x));
            return activation.apply(x);
        }
    }

    /** Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb for all 4H gate rows (i, o, f, c), without peepholes or clipping. */
    private static double[] gatePreActivations(LstmInputs in, Shape s, int d, int t, int b, double[] hPrev) {
        int rows = 4 * s.hidden;
        double[] out = new double[rows];
        for (int j = 0; j < rows; j++) {
            double sum = 0;
            for (int k = 0; k < s.input; k++) {
                sum += (double) in.w()[(d * rows + j) * s.input + k] * in.x()[s.xIndex(t, b, k)];
            }
            for (int k = 0; k < s.hidden; k++) {
                sum += (double) in.r()[(d * rows + j) * s.hidden + k] * hPrev[k];
            }
            if (in.b() != null) {
                sum += (double) in.b()[d * 2 * rows + j] + (double) in.b()[d * 2 * rows + rows + j];
            }
            out[j] = sum;
        }
        return out;
    }

    /** Peephole weight {@code gate} (0 = i, 1 = o, 2 = f) of unit n, 0 when P is absent. */
    private static double peephole(LstmInputs in, Shape s, int d, int gate, int n) {
        return in.p() == null ? 0.0 : in.p()[(d * 3 + gate) * s.hidden + n];
    }

    private static double clip(double v, double bound) {
        return Math.max(-bound, Math.min(bound, v));
    }

    /** Initial hidden or cell state of direction d, batch entry b; zeros when the input is absent. */
    private static double[] state(float[] initial, Shape s, int d, int b) {
        double[] out = new double[s.hidden];
        if (initial != null) {
            for (int n = 0; n < s.hidden; n++) out[n] = initial[s.stateIndex(d, b, n)];
        }
        return out;
    }

    /** The node's sizes, checked against every input, and the row-major index of each tensor in its layout. */
    private record Shape(int seq, int batch, int input, int hidden, int dirs, boolean batchFirst) {

        static Shape of(LstmInputs in, LstmAttributes a) {
            if (a.hiddenSize() < 1) throw new IllegalArgumentException("hidden_size must be at least 1");
            String dir = a.effectiveDirection();
            if (!dir.equals("forward") && !dir.equals("reverse") && !dir.equals("bidirectional"))
                throw new IllegalArgumentException("direction must be forward, reverse or bidirectional: " + dir);
            if (a.layout() != 0 && a.layout() != 1) throw new IllegalArgumentException("layout must be 0 or 1");
            if (a.inputForget() != 0 && a.inputForget() != 1)
                throw new IllegalArgumentException("input_forget must be 0 or 1");
            if (a.clip() != null && !(a.clip() > 0)) throw new IllegalArgumentException("clip must be > 0");
            int[] xs = in.xShape();
            boolean batchFirst = a.layout() == 1;
            Shape s = new Shape(batchFirst ? xs[1] : xs[0], batchFirst ? xs[0] : xs[1], xs[2], a.hiddenSize(),
                    a.directionCount(), batchFirst);
            int h = s.hidden;
            s.check("X", in.x(), s.seq * s.batch * s.input);
            s.check("W", in.w(), s.dirs * 4 * h * s.input);
            s.check("R", in.r(), s.dirs * 4 * h * h);
            s.check("B", in.b(), s.dirs * 8 * h);
            s.check("initial_h", in.initialH(), s.dirs * s.batch * h);
            s.check("initial_c", in.initialC(), s.dirs * s.batch * h);
            s.check("P", in.p(), s.dirs * 3 * h);
            if (in.sequenceLens() != null) {
                if (in.sequenceLens().length != s.batch)
                    throw new IllegalArgumentException("sequence_lens must have " + s.batch + " values");
                for (int len : in.sequenceLens())
                    if (len < 0 || len > s.seq)
                        throw new IllegalArgumentException("sequence_lens value " + len + " outside 0.." + s.seq);
            }
            return s;
        }

        private void check(String name, float[] values, int expected) {
            if (values != null && values.length != expected)
                throw new IllegalArgumentException(name + " has " + values.length + " values, expected " + expected);
        }

        int xIndex(int t, int b, int k) {
            return (batchFirst ? b * seq + t : t * batch + b) * input + k;
        }

        int yIndex(int t, int d, int b, int n) {
            return (batchFirst ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden + n;
        }

        int stateIndex(int d, int b, int n) {
            return (batchFirst ? b * dirs + d : d * batch + b) * hidden + n;
        }

        int[] yShape() {
            return batchFirst ? new int[] {batch, seq, dirs, hidden} : new int[] {seq, dirs, batch, hidden};
        }

        int[] stateShape() {
            return batchFirst ? new int[] {batch, dirs, hidden} : new int[] {dirs, batch, hidden};
        }
    }
}
