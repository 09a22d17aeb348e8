package dev.vlstm.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * bf16 and int8 weight matrices (format 2.3): encoding a packed f32 matrix {@code [panels][k][gates][16]} and
 * decoding it back to floats. int8 is symmetric with one scale per column {@code (panel, gate, lane)} — the output unit
 * of one gate — so the scale can be applied once per accumulator after a dot product over k.
 */
final class ReducedWeights {
    private ReducedWeights() {
    }

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The bf16 nearest {@code f} (ties to even); NaN stays a (quiet) NaN, overflow rounds to infinity as in IEEE. */
    static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short s) {
        return Float.intBitsToFloat(s << 16);
    }

    /** Columns of a matrix of these dims: panels × gates × 16. */
    static int columns(long[] dims) {
        return (int) (dims[0] * dims[2] * dims[3]);
    }

    /** The column of element {@code e} of a matrix {@code [panels][k][gates][16]}. */
    private static int column(long e, long k, int lineWidth) {
        return (int) (e / (k * lineWidth) * lineWidth + e % lineWidth);
    }

    /**
     * Each column's int8 scale: its largest |w| / 127, or 1 for a column of zeros (the padding past a layer's last
     * unit), so every scale is finite and positive.
     *
     * @throws VlstmFormatException for an Inf or NaN weight, which int8 cannot hold, naming the tensor
     */
    static float[] int8Scales(float[] w, long[] dims, String name) {
        int lineWidth = (int) (dims[2] * dims[3]);
        float[] max = new float[columns(dims)];
        for (int e = 0; e < w.length; e++) {
            if (!Float.isFinite(w[e]))
                throw new VlstmFormatException("tensor '" + name + "': weight " + e + " is " + w[e]
                        + "; int8 holds finite weights only (convert with --weights fp32 or bf16)");
            int c = column(e, dims[1], lineWidth);
            max[c] = Math.max(max[c], Math.abs(w[e]));
        }
        for (int c = 0; c < max.length; c++) max[c] = max[c] == 0 ? 1f : max[c] / 127f;
        return max;
    }

    /** {@code w} as int8, each weight round(w / scale) of its column, within -127 .. 127. */
    static byte[] int8(float[] w, long[] dims, float[] scales) {
        int lineWidth = (int) (dims[2] * dims[3]);
        byte[] out = new byte[w.length];
        for (int e = 0; e < w.length; e++) {
            float q = Math.round(w[e] / scales[column(e, dims[1], lineWidth)]);
            out[e] = (byte) Math.max(-127, Math.min(127, q));
        }
        return out;
    }

    /** A bf16 or int8 payload as floats (int8: q × its column's scale). */
    static float[] decode(MemorySegment payload, long[] dims, WeightType type, float[] scales) {
        int n = (int) (payload.byteSize() / type.bytes);
        float[] out = new float[n];
        if (type == WeightType.BF16) {
            for (int e = 0; e < n; e++) out[e] = fromBf16(payload.get(U16, 2L * e));
        } else {
            int lineWidth = (int) (dims[2] * dims[3]);
            for (int e = 0; e < n; e++) out[e] = payload.get(ValueLayout.JAVA_BYTE, e) * scales[column(e, dims[1], lineWidth)];
        }
        return out;
    }
}
