package dev.vlstm.kernel;

/**
 * A layer's recurrent matrix R stored in fewer bytes: bf16 bits, or int8 with one scale per column (column
 * {@code line * PANEL + j} of gate line {@code line}, {@link GateLines}). At batch 1 each step streams all of R, so
 * half or a quarter of its bytes is what a bandwidth-bound step saves; a reduced model holds R only in this form
 * (steps of several rows widen it a panel at a time: {@link LstmKernels}' lstmStep with a ReducedMatrix). Immutable;
 * built once when a model loads.
 *
 * <p>int8 blocks each four consecutive column vectors: for quad g and input k, {@code 4 × lanes} bytes, byte
 * {@code j × lanes + i} lane i of the quad's vector j, so each vector's bytes are one narrow load that a
 * sign-extending convert widens to floats ({@code vpmovsxbd} and {@code vcvtdq2ps} with AVX-512; an earlier
 * interleave, byte {@code 4i + j}, took two shifts and a convert per vector, and 512-bit shifts issue on one port of
 * an Intel core: BENCHMARKS.md, 2026-12-07). Below 8 lanes a vector's bytes are narrower than the smallest vector
 * shape (64 bits), so the kernels load 8 bytes and use the first {@code lanes}; the array ends in {@code 8 - lanes}
 * bytes of padding for the last quad's last load.
 *
 * <p>bf16 interleaves each pair of column vectors ({@code lanes} units each, the kernels' vector width): for pair p and input k, {@code 2 × lanes} shorts where short {@code 2i} is lane i of the
 * pair's first vector and {@code 2i + 1} lane i of its second. Read as {@code lanes} ints, each int holds both: its
 * upper half, masked, is the second vector's float, and the int shifted left by 16 the first's — one load and two
 * integer operations widen two vectors (with sign-extending loads, each vector took a load, an extend and a shift,
 * and a batch-1 step over an R in L3 ran slower than fp32: BENCHMARKS.md, 2026-12-07).
 */
public final class ReducedMatrix {
    /** bf16 bits (the upper half of each binary32), or null. */
    final short[] bf16;
    /** int8 values q, or null; a weight is q × {@link #scales}[its column]. */
    final byte[] int8;
    final float[] scales;
    /** The matrix's k (its input width: the layer's hidden size for R). */
    final int k;
    /** The lanes of a column vector in the bf16 interleave and the int8 blocks. */
    final int lanes;

    private ReducedMatrix(short[] bf16, byte[] int8, float[] scales, int k, int lanes) {
        this.bf16 = bf16;
        this.int8 = int8;
        this.scales = scales;
        this.k = k;
        this.lanes = lanes;
    }

    /**
     * The bf16 form of {@code lines} (gate-line order, k = {@code k}), whose values must already be bf16 values (a
     * bf16 file's decoded weights): each keeps its upper 16 bits exactly.
     */
    public static ReducedMatrix bf16(float[] lines, int k) {
        return bf16(lines, k, Kernels.get().lanes());
    }

    /** {@link #bf16(float[], int)} interleaved for vectors of {@code lanes} floats. */
    static ReducedMatrix bf16(float[] lines, int k, int lanes) {
        short[] bits = new short[lines.length];
        for (int e = 0; e < lines.length; e++) {
            int b = Float.floatToRawIntBits(lines[e]);
            if ((b & 0xFFFF) != 0) throw new IllegalArgumentException("weight " + e + " (" + lines[e] + ") is not a bf16 value");
            bits[interleaved(e, k, lanes)] = (short) (b >>> 16);
        }
        return new ReducedMatrix(bits, null, null, k, lanes);
    }

    /** Where weight {@code e} of the gate-line order lies in the int8 blocks of {@code lanes}-lane vectors. */
    static int quadBlocked(int e, int k, int lanes) {
        int line = e / (k * LstmKernels.PANEL), kk = e / LstmKernels.PANEL % k, j = e % LstmKernels.PANEL;
        int cv = line * (LstmKernels.PANEL / lanes) + j / lanes, lane = j % lanes;
        return ((cv / 4) * k + kk) * 4 * lanes + (cv % 4) * lanes + lane;
    }

    /** Bytes past an int8 matrix's last quad: the kernels' 8-byte loads of a vector narrower than 8 lanes. */
    static int int8Padding(int lanes) {
        return Math.max(0, 8 - lanes);
    }

    /** Where weight {@code e} of the gate-line order lies in the bf16 interleave of {@code lanes}-lane vectors. */
    static int interleaved(int e, int k, int lanes) {
        int line = e / (k * LstmKernels.PANEL), kk = e / LstmKernels.PANEL % k, j = e % LstmKernels.PANEL;
        int cv = line * (LstmKernels.PANEL / lanes) + j / lanes, lane = j % lanes;
        return ((cv / 2) * k + kk) * 2 * lanes + 2 * lane + cv % 2;
    }

    /**
     * The int8 form of a file's matrix: {@code packed} its bytes in the file's order {@code [panels][k][4][PANEL]}
     * (format-spec.md, "Reduced weight matrices"), {@code scales} its {@code .scale} tensor, one per column
     * {@code [panels][4][PANEL]}. The bytes themselves are kept, never recovered from the decoded floats (with a tiny
     * scale q × scale rounds, and q would not come back).
     */
    public static ReducedMatrix int8(byte[] packed, float[] scales, int k) {
        return int8(packed, scales, k, Kernels.get().lanes());
    }

    /** {@link #int8(byte[], float[], int)} interleaved for vectors of {@code lanes} floats. */
    static ReducedMatrix int8(byte[] packed, float[] scales, int k, int lanes) {
        int p = LstmKernels.PANEL;
        byte[] q = new byte[packed.length + int8Padding(lanes)];
        for (int e = 0; e < packed.length; e++) {      // file element (panel, kk, g, j) -> gate-line element
            int j = e % p, g = e / p % 4, kk = e / (4 * p) % k, panel = e / (4 * p * k);
            int line = ((panel * 4 + g) * k + kk) * p + j;
            q[quadBlocked(line, k, lanes)] = packed[e];
        }
        return new ReducedMatrix(null, q, scales.clone(), k, lanes);
    }

    /**
     * Floats of scratch a step of up to {@code rows} rows needs (a product, {@code LstmKernels.project}: rows 0): one
     * panel widened to fp32 and, for an int8 step, each row's sums over that panel before they are scaled.
     */
    public int scratchFloats(int rows) {
        return 4 * k * LstmKernels.PANEL + (int8 != null ? rows * 4 * LstmKernels.PANEL : 0);
    }

    /** Weight {@code e} as a float, for the scalar kernels and tests. */
    float weight(int e) {
        if (bf16 != null) return Float.intBitsToFloat(bf16[interleaved(e, k, lanes)] << 16);
        return int8[quadBlocked(e, k, lanes)];     // the scale is applied once per column's sum
    }
}
