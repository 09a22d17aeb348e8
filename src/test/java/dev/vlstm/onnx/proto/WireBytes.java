package dev.vlstm.onnx.proto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Hand-assembled protobuf bytes for tests that need encodings a correct writer never produces. */
final class WireBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    WireBytes tag(int field, int wireType) {
        return varint(((long) field << 3) | wireType);
    }

    WireBytes varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return this;
    }

    WireBytes raw(byte... b) {
        out.write(b, 0, b.length);
        return this;
    }

    WireBytes rawInts(int... b) {
        for (int x : b) out.write(x);
        return this;
    }

    WireBytes fixed32(int v) {
        for (int k = 0; k < 4; k++) out.write(v >>> (8 * k));
        return this;
    }

    /** field, varint value */
    WireBytes varintField(int field, long v) {
        return tag(field, 0).varint(v);
    }

    /** field, length-delimited bytes */
    WireBytes bytesField(int field, byte[] b) {
        return tag(field, 2).varint(b.length).raw(b);
    }

    WireBytes stringField(int field, String s) {
        return bytesField(field, s.getBytes(StandardCharsets.UTF_8));
    }

    WireBytes messageField(int field, WireBytes m) {
        return bytesField(field, m.build());
    }

    byte[] build() {
        return out.toByteArray();
    }

    /** ir_version 8, one opset, and the given graph bytes: the smallest model our reader accepts. */
    static byte[] model(WireBytes graph) {
        return new WireBytes().varintField(1, 8)
                .messageField(8, new WireBytes().varintField(2, 17))
                .messageField(7, graph).build();
    }
}
