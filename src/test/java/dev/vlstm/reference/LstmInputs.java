package dev.vlstm.reference;

import java.util.Arrays;

/**
 * The inputs of one ONNX {@code LSTM} node, row-major, shapes as the ONNX operator defines them for the node's
 * layout (dirs = number of directions, H = hidden size, I = input size).
 *
 * @param x            X: [seq, batch, I] for layout 0, [batch, seq, I] for layout 1
 * @param xShape       the 3 dims of X
 * @param w            W: [dirs, 4H, I], gates in the order i, o, f, c
 * @param r            R: [dirs, 4H, H]
 * @param b            B: [dirs, 8H] (Wb then Rb, each i, o, f, c), or null
 * @param sequenceLens sequence_lens: [batch], or null
 * @param initialH     initial_h: [dirs, batch, H] for layout 0, [batch, dirs, H] for layout 1, or null
 * @param initialC     initial_c: same shape as initial_h, or null
 * @param p            P: [dirs, 3H], peepholes in the order i, o, f, or null
 */
public record LstmInputs(float[] x, int[] xShape, float[] w, float[] r, float[] b, int[] sequenceLens,
        float[] initialH, float[] initialC, float[] p) {

    public LstmInputs {
        if (xShape.length != 3) throw new IllegalArgumentException("X must have 3 dims, got " + xShape.length);
        xShape = xShape.clone();
    }

    @Override public int[] xShape() { return xShape.clone(); }

    /** Sizes and which optional inputs are present, for failure messages. */
    public String describe() {
        return "X" + Arrays.toString(xShape) + " W[" + w.length + "] R[" + r.length + "]"
                + " B=" + (b == null ? "absent" : "present")
                + " sequence_lens=" + (sequenceLens == null ? "absent" : Arrays.toString(sequenceLens))
                + " initial_h=" + (initialH == null ? "absent" : "present")
                + " initial_c=" + (initialC == null ? "absent" : "present")
                + " P=" + (p == null ? "absent" : "present");
    }
}
