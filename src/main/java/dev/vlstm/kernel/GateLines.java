package dev.vlstm.kernel;

/**
 * The order in which the kernels read an LSTM gate matrix (W or R), made from the file's order when a model loads.
 *
 * <p>The file packs a gate matrix {@code [panels][k][4][PANEL]} (format-spec.md, "Tensors and the packed layout"): for
 * each k, a panel's four gate lines of 16 units follow each other, 256 contiguous bytes. The kernels take it
 * {@code [panels][4][k][PANEL]}: each gate line of a panel is its own block, with one k after the other. Both read
 * front to back at batch 1 (the one-row kernel streams a panel's four lines side by side), but the blocked kernels for
 * several rows hold one gate line's vectors (two 256-bit ones) and run along k, and in the file's order those are 256
 * bytes apart: every load lands in one of a quarter of the L1 sets, so a gate line over k = 256 (16 KB) cannot stay
 * in L1 while the row blocks pass, and each k starts a new cache line. In this order the same line is 16 KB in a row.
 * Measured on the Zen 3 machine (AVX2): {@code vlstm bench} on W4 (hidden 256, batch 64, 100 steps, 1 thread), five
 * JVMs each, alternating: 160-169 ms in the file's order, 144-154 ms in this one; batch-1 runs and steps no slower.
 * A head's matrix ({@code gates = 1}) is the same in both orders.
 *
 * <p>The file keeps its order: it is the format's (version 2), and a reorder at load costs one copy, once.
 */
public final class GateLines {
    private GateLines() {
    }

    /**
     * {@code [panels][k][4][PANEL]} to {@code [panels][4][k][PANEL]}, as a new array; {@code panels} is
     * {@code packed.length / (k * 4 * PANEL)}.
     */
    public static float[] fromFileOrder(float[] packed, int k) {
        long panelFloats = 4L * k * LstmKernels.PANEL;
        if (k < 1 || packed.length % panelFloats != 0)
            throw new IllegalArgumentException("a gate matrix of " + packed.length + " floats is not whole panels of k = "
                    + k + " (" + panelFloats + " floats each)");
        int line = k * LstmKernels.PANEL, panelSize = 4 * line;      // no overflow: a panel fits in the array
        float[] lines = new float[packed.length];
        for (int q = 0; q < packed.length / panelSize; q++) {
            for (int kk = 0; kk < k; kk++) {
                for (int g = 0; g < 4; g++) {
                    System.arraycopy(packed, q * panelSize + (kk * 4 + g) * LstmKernels.PANEL, lines,
                            q * panelSize + g * line + kk * LstmKernels.PANEL, LstmKernels.PANEL);
                }
            }
        }
        return lines;
    }
}
