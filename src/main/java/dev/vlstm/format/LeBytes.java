package dev.vlstm.format;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A growing little-endian byte buffer for the small, structured parts of a file. */
final class LeBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    LeBytes u32(long v) {
        for (int i = 0; i < 4; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    LeBytes u16(int v) {
        out.write(v);
        out.write(v >>> 8);
        return this;
    }

    LeBytes u64(long v) {
        for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    LeBytes f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    LeBytes string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > FileLayout.MAX_STRING)
            throw new VlstmFormatException("string of " + b.length + " bytes, at most " + FileLayout.MAX_STRING);
        u32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    LeBytes bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    LeBytes zeros(int n) {
        for (int i = 0; i < n; i++) out.write(0);
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
