package dev.vlstm.reference;

/**
 * Moves tensors between the two LSTM layouts, so that a layout = 1 node (which ONNX Runtime refuses) can still be
 * checked against ONNX Runtime through the equivalent layout = 0 node.
 */
final class BatchFirst {
    private BatchFirst() {}

    /** The same node and inputs in layout 0: X, initial_h and initial_c get their first two axes swapped. */
    static LstmInputs toSequenceFirst(LstmInputs in, LstmAttributes a) {
        int[] xs = in.xShape();
        int batch = xs[0];
        int seq = xs[1];
        int dirs = a.directionCount();
        int h = a.hiddenSize();
        return new LstmInputs(swap01(in.x(), batch, seq, xs[2]), new int[] {seq, batch, xs[2]}, in.w(), in.r(),
                in.b(), in.sequenceLens(), swap01(in.initialH(), batch, dirs, h), swap01(in.initialC(), batch, dirs, h),
                in.p());
    }

    /** Y from [seq, dirs, batch, H] to [batch, seq, dirs, H]. */
    static float[] yToBatchFirst(float[] y, int seq, int dirs, int batch, int h) {
        float[] out = new float[y.length];
        for (int t = 0; t < seq; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    for (int n = 0; n < h; n++)
                        out[((b * seq + t) * dirs + d) * h + n] = y[((t * dirs + d) * batch + b) * h + n];
        return out;
    }

    /** A [a, b, c] tensor as [b, a, c]; null stays null. */
    static float[] swap01(float[] v, int a, int b, int c) {
        if (v == null) return null;
        float[] out = new float[v.length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                System.arraycopy(v, (i * b + j) * c, out, (j * a + i) * c, c);
        return out;
    }
}
