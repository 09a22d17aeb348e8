package dev.vlstm;

/** Rows of floats in flat arrays: copying blocks of them, and splitting a count of them between threads. */
final class Rows {
    private Rows() {
    }

    /**
     * {@code rows} rows of {@code width} floats, {@code fromStride} apart from {@code from[fromAt]}, to
     * {@code toStride} apart from {@code to[toAt]}: one copy when both are dense (W1b's 150 rows of 16 units per layer
     * were 150 calls, about 5 % of its time at 1 thread).
     */
    static void copy(float[] from, int fromAt, int fromStride, float[] to, int toAt, int toStride, int rows, int width) {
        if (fromStride == width && toStride == width) {
            System.arraycopy(from, fromAt, to, toAt, rows * width);
            return;
        }
        for (int r = 0; r < rows; r++) System.arraycopy(from, fromAt + r * fromStride, to, toAt + r * toStride, width);
    }

    /**
     * First row of part {@code part} of {@code rows} rows (batch rows, or the rows of a split projection): an even
     * share, moved to a multiple of 6 when every part still gets at least 6 rows, because the kernels take rows 6 at a
     * time (then 4, then singly) and a single row costs about three times a blocked one: 64 rows on 2 threads split
     * 30 + 34 (5 blocks; 5 blocks + 4), not 32 + 32 (5 blocks + 2 single rows each).
     */
    static int start(int rows, int part, int parts) {
        int even = Team.start(rows, part, parts);
        if (part == 0 || part == parts || rows < 6 * parts) return even;
        return Math.round(even / 6f) * 6;
    }

    /** {@code [a][b][w]} → {@code [b][a][w]}: a batch-first array to time-major, or back. */
    static void swapSeqBatch(float[] src, float[] dst, int a, int b, int w) {
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++) System.arraycopy(src, (i * b + j) * w, dst, (j * a + i) * w, w);
    }
}
