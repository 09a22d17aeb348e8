package dev.vlstm;

import dev.vlstm.format.GateActivations;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.kernel.LstmKernels;

import java.util.Arrays;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * Runs one direction of one layer over a whole batch of sequences.
 *
 * <p>The input projection for all timesteps is one matrix product. Then, for the default cell (sigmoid/tanh/tanh, no
 * clip, peepholes or coupling) and sequences of equal length, each step is one fused kernel call. Everything else —
 * other activations, clip, peepholes, input_forget, per-row sequence lengths — takes the general path: the recurrent
 * product is still one kernel call per step, and the cell update runs per element in plain Java, ONNX's equations
 * written out.
 */
final class Recurrence {
    private Recurrence() {
    }

    /** Work buffers, owned by the session. */
    static final class Buffers {
        float[] gates = new float[0];  // [seq*batch][panels*4*PANEL] pre-activations
        float[] rec = new float[0];    // [batch][panels*4*PANEL] h·R of one step (general path)
    }

    /**
     * @param in     layer input, time-major {@code [seq][batch][inWidth]}
     * @param y      layer output, time-major {@code [seq][batch][yWidth]}; this direction writes columns d*H .. d*H+H-1
     * @param h      in: initial h {@code [batch][H]}; out: final h
     * @param c      in: initial c {@code [batch][H]}; out: final c
     * @param lens   per-row sequence lengths, or null for all {@code seq}
     */
    static void run(LstmKernels k, Model.LayerWeights layer, int d, float[] in, int inWidth, int seq, int batch,
                    float[] y, int yWidth, float[] h, float[] c, int[] lens, Buffers buf) {
        LayerSpec spec = layer.spec();
        Model.DirectionWeights wts = layer.directions()[d];
        int hidden = spec.hiddenSize();
        int panels = (hidden + PANEL - 1) / PANEL;
        int gs = panels * 4 * PANEL;
        boolean reverse = layer.reverse() || d == 1;
        k.project(in, 0, inWidth, seq * batch, inWidth, wts.w(), wts.bias(), panels, 4, buf.gates, 0, gs, gs);
        if (layer.defaultCell() && lens == null) fused(k, wts, hidden, gs, d, seq, batch, reverse, y, yWidth, h, c, buf);
        else general(k, spec, wts, hidden, gs, d, seq, batch, reverse, y, yWidth, h, c, lens, buf);
    }

    private static void fused(LstmKernels k, Model.DirectionWeights wts, int hidden, int gs, int d, int seq, int batch,
                              boolean reverse, float[] y, int yWidth, float[] h, float[] c, Buffers buf) {
        int col = d * hidden;
        int t = 0;
        for (int s = 0; s < seq; s++) {
            t = reverse ? seq - 1 - s : s;
            int prev = reverse ? t + 1 : t - 1;
            if (s == 0) {
                k.lstmStep(batch, hidden, wts.r(), buf.gates, t * batch * gs, gs, h, 0, hidden, c, 0, hidden,
                        y, t * batch * yWidth + col, yWidth);
            } else {
                k.lstmStep(batch, hidden, wts.r(), buf.gates, t * batch * gs, gs, y, prev * batch * yWidth + col, yWidth,
                        c, 0, hidden, y, t * batch * yWidth + col, yWidth);
            }
        }
        for (int b = 0; b < batch; b++) System.arraycopy(y, (t * batch + b) * yWidth + col, h, b * hidden, hidden);
    }

    private static void general(LstmKernels k, LayerSpec spec, Model.DirectionWeights wts, int hidden, int gs, int d,
                                int seq, int batch, boolean reverse, float[] y, int yWidth, float[] h, float[] c,
                                int[] lens, Buffers buf) {
        int col = d * hidden;
        GateActivations act = spec.activations().get(d);
        float clip = spec.clip();
        float[] p = wts.peepholes();
        for (int b = 0; b < batch; b++) {
            int len = lens == null ? seq : lens[b];
            for (int t = len; t < seq; t++) Arrays.fill(y, (t * batch + b) * yWidth + col, (t * batch + b) * yWidth + col + hidden, 0f);
            if (len == 0) { // as ONNX Runtime: a sequence of length 0 ends with zero states
                Arrays.fill(h, b * hidden, (b + 1) * hidden, 0f);
                Arrays.fill(c, b * hidden, (b + 1) * hidden, 0f);
            }
        }
        for (int s = 0; s < seq; s++) {
            k.project(h, 0, hidden, batch, hidden, wts.r(), null, (hidden + PANEL - 1) / PANEL, 4, buf.rec, 0, gs, gs);
            for (int b = 0; b < batch; b++) {
                int len = lens == null ? seq : lens[b];
                if (s >= len) continue;
                int t = reverse ? len - 1 - s : s;
                int pre = (t * batch + b) * gs, rec = b * gs, out = (t * batch + b) * yWidth + col;
                for (int u = 0; u < hidden; u++) {
                    int lane = (u / PANEL) * 4 * PANEL + u % PANEL;
                    int peep = (u / PANEL) * 3 * PANEL + u % PANEL;
                    float cPrev = c[b * hidden + u];
                    float ai = buf.gates[pre + lane] + buf.rec[rec + lane];
                    float ao = buf.gates[pre + lane + PANEL] + buf.rec[rec + lane + PANEL];
                    float af = buf.gates[pre + lane + 2 * PANEL] + buf.rec[rec + lane + 2 * PANEL];
                    float ac = buf.gates[pre + lane + 3 * PANEL] + buf.rec[rec + lane + 3 * PANEL];
                    if (p != null) {
                        ai += p[peep] * cPrev;
                        af += p[peep + 2 * PANEL] * cPrev;
                    }
                    float i = CellMath.apply(act.f(), CellMath.clip(ai, clip));
                    float f = spec.inputForget() ? 1 - i : CellMath.apply(act.f(), CellMath.clip(af, clip));
                    float g = CellMath.apply(act.g(), CellMath.clip(ac, clip));
                    float cNew = f * cPrev + i * g;
                    if (p != null) ao += p[peep + PANEL] * cNew;
                    float o = CellMath.apply(act.f(), CellMath.clip(ao, clip));
                    float hNew = o * CellMath.apply(act.h(), cNew);
                    c[b * hidden + u] = cNew;
                    h[b * hidden + u] = hNew;
                    y[out + u] = hNew;
                }
            }
        }
    }
}
