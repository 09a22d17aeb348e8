package dev.vlstm.format;

/**
 * Converts ONNX-layout weights into vlstm's packed panel layout (format-spec.md, "Tensors and the packed layout"),
 * done once at conversion so the kernels can stream weights front to back.
 *
 * <p>A panel covers {@value #PANEL} consecutive output units. An LSTM matrix becomes {@code [panels][k][4][16]}: for
 * each input index {@code k}, the four gate lines (i, o, f, c) of 16 units follow each other. A linear head matrix
 * becomes {@code [panels][k][1][16]}. Units past the real width are zero. For example, with {@code hidden = 2} and
 * {@code k = 1} the ONNX rows {@code [i0, i1, o0, o1, f0, f1, c0, c1]} pack to one panel of 64 floats
 * {@code [i0, i1, 0 ×14, o0, o1, 0 ×14, f0, f1, 0 ×14, c0, c1, 0 ×14]}.
 *
 * <p>All methods are pure: they read their arguments and return new arrays.
 *
 * <pre>{@code
 * float[] packedW = PanelPacking.packGates(w, hidden, inputSize);   // W[4*hidden][inputSize] -> [panels][k][4][16]
 * }</pre>
 */
public final class PanelPacking {

    /** Output units per panel, fixed by the file format (the kernels' {@code LstmKernels.PANEL}). */
    public static final int PANEL = 16;

    /** The four LSTM gates, in ONNX order i, o, f, c. */
    private static final int GATES = 4;

    private PanelPacking() {}

    /**
     * Number of 16-unit panels that cover {@code units} output units: {@code ceil(units / 16)}.
     *
     * @param units output units, 0 or more
     * @return the panel count
     */
    public static int panels(int units) {
        if (units < 0) throw new IllegalArgumentException("units must be >= 0, got " + units);
        return (units + PANEL - 1) / PANEL;
    }

    /**
     * Packs an ONNX LSTM matrix {@code W[4*hidden][k]} (row-major, gate blocks i, o, f, c; the input weights with
     * {@code k = inputSize} or the recurrent weights with {@code k = hidden}) into {@code [panels][k][4][16]}.
     *
     * @param w      the ONNX matrix
     * @param hidden units per gate
     * @param k      its columns
     * @return {@code panels(hidden) * k * 64} floats
     */
    public static float[] packGates(float[] w, int hidden, int k) {
        checkDims(hidden, k);
        checkLength(w, (long) GATES * hidden * k, "gate matrix W[4*" + hidden + "][" + k + "]");
        int panels = panels(hidden);
        float[] packed = new float[size((long) panels * k * GATES * PANEL)];
        for (int q = 0; q < panels; q++) {
            int units = Math.min(PANEL, hidden - q * PANEL);
            for (int g = 0; g < GATES; g++) {
                for (int j = 0; j < units; j++) {
                    int row = g * hidden + q * PANEL + j;
                    for (int kk = 0; kk < k; kk++) {
                        packed[((q * k + kk) * GATES + g) * PANEL + j] = w[row * k + kk];
                    }
                }
            }
        }
        return packed;
    }

    /**
     * Sums the ONNX input and recurrent biases ({@code Wb[4*hidden]}, {@code Rb[4*hidden]}, gate blocks i, o, f, c) and
     * packs them into {@code [panels][4][16]}. Either may be {@code null}, meaning zeros.
     *
     * @param wb     the input bias, or null
     * @param rb     the recurrent bias, or null
     * @param hidden units per gate
     * @return {@code panels(hidden) * 64} floats
     */
    public static float[] packGateBias(float[] wb, float[] rb, int hidden) {
        if (wb != null) checkLength(wb, (long) GATES * hidden, "input bias Wb[4*" + hidden + "]");
        if (rb != null) checkLength(rb, (long) GATES * hidden, "recurrent bias Rb[4*" + hidden + "]");
        int panels = panels(hidden);
        float[] packed = new float[size((long) panels * GATES * PANEL)];
        for (int q = 0; q < panels; q++) {
            int units = Math.min(PANEL, hidden - q * PANEL);
            for (int g = 0; g < GATES; g++) {
                for (int j = 0; j < units; j++) {
                    int row = g * hidden + q * PANEL + j;
                    float sum = (wb == null ? 0f : wb[row]) + (rb == null ? 0f : rb[row]);
                    packed[(q * GATES + g) * PANEL + j] = sum;
                }
            }
        }
        return packed;
    }

    /**
     * Packs a linear head matrix {@code A[units][k]} (row-major, as {@code nn.Linear.weight} or {@code Gemm(transB=1)})
     * into {@code [panels][k][1][16]}.
     *
     * @param w     the matrix
     * @param units its rows
     * @param k     its columns
     * @return {@code panels(units) * k * 16} floats
     */
    public static float[] packRows(float[] w, int units, int k) {
        checkDims(units, k);
        checkLength(w, (long) units * k, "head matrix A[" + units + "][" + k + "]");
        int panels = panels(units);
        float[] packed = new float[size((long) panels * k * PANEL)];
        for (int q = 0; q < panels; q++) {
            int width = Math.min(PANEL, units - q * PANEL);
            for (int j = 0; j < width; j++) {
                int row = q * PANEL + j;
                for (int kk = 0; kk < k; kk++) {
                    packed[(q * k + kk) * PANEL + j] = w[row * k + kk];
                }
            }
        }
        return packed;
    }

    /**
     * Packs a head bias {@code b[units]} into {@code [panels][16]}; {@code null} means no bias (all zeros).
     *
     * @param b     the bias, or null
     * @param units its length
     * @return {@code panels(units) * 16} floats
     */
    public static float[] packRowBias(float[] b, int units) {
        if (b != null) checkLength(b, units, "head bias b[" + units + "]");
        float[] packed = new float[size((long) panels(units) * PANEL)];
        if (b != null) System.arraycopy(b, 0, packed, 0, units);
        return packed;
    }

    private static void checkDims(int units, int k) {
        if (units < 0 || k < 0)
            throw new IllegalArgumentException("sizes must be >= 0, got units " + units + " and k " + k);
    }

    private static void checkLength(float[] a, long expected, String what) {
        if (a == null) throw new IllegalArgumentException(what + ": missing, expected " + expected + " values");
        if (a.length != expected)
            throw new IllegalArgumentException(what + ": " + a.length + " values, expected " + expected);
    }

    private static int size(long n) {
        if (n > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("packed tensor of " + n + " floats does not fit in a Java array");
        return (int) n;
    }
}
