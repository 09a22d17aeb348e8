package dev.vlstm.onnx.proto;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A hardened reader of one protobuf message occupying a slice of a byte array. It checks every length, count and
 * nesting level against what is actually there before acting on it, so hostile input ends in an
 * {@link OnnxFormatException} naming the source and field path rather than an IndexOutOfBounds, a
 * NegativeArraySize, an OutOfMemoryError or a StackOverflowError.
 *
 * <p>{@link CodedInputStream} decodes the primitives; each sub-message gets its own cursor over exactly its bytes,
 * so nothing can read past its parent's end. Usage: {@code while (c.next()) switch (c.field()) {...}}.
 */
final class ProtoCursor {
    /** Deeper than ONNX's own schema ever goes (model/graph/node/attribute/tensor/entry is 6); bounds groups too. */
    static final int MAX_DEPTH = 64;
    /** Messages and strings per read: far above real models, low enough that tiny objects cannot exhaust memory. */
    static final long MAX_OBJECTS = 1L << 24;

    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, START_GROUP = 3, END_GROUP = 4, FIXED32 = 5;
    private static final String[] WIRE_NAMES = {
        "varint", "fixed64", "length-delimited", "start-group", "end-group", "fixed32", "invalid(6)", "invalid(7)",
    };

    /** State shared by all cursors of one read. */
    private static final class Context {
        final String source;
        long objectsLeft = MAX_OBJECTS;
        final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);

        Context(String source) {
            this.source = source;
        }
    }

    private final Context ctx;
    private final FieldPath path;
    private final int depth;
    private final byte[] buf;
    private final int start;
    private final int length;
    private final CodedInputStream in;
    private int field;
    private int wireType;

    private ProtoCursor(Context ctx, FieldPath path, int depth, byte[] buf, int start, int length) {
        this.ctx = ctx;
        this.path = path;
        this.depth = depth;
        this.buf = buf;
        this.start = start;
        this.length = length;
        this.in = CodedInputStream.newInstance(buf, start, length);
    }

    /** A cursor over a whole serialized ModelProto; {@code source} prefixes every error message. */
    static ProtoCursor root(String source, byte[] bytes) {
        return new ProtoCursor(new Context(source), FieldPath.ROOT, 0, bytes, 0, bytes.length);
    }

    /** Moves to the next field; false at the end of this message. */
    boolean next() {
        if (remaining() == 0) return false;
        long tag = rawVarint("tag");
        if (tag < 0 || tag > 0xFFFF_FFFFL) throw fail(null, "invalid tag " + Long.toUnsignedString(tag));
        field = (int) (tag >>> 3);
        wireType = (int) (tag & 7);
        if (field == 0) throw fail(null, "invalid tag (field number 0)");
        if (wireType > FIXED32) throw fail(unknownName(), "invalid wire type " + wireType);
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    /** An error at this message, or at one of its fields when {@code leaf} is not null. */
    OnnxFormatException fail(String leaf, String message) {
        return new OnnxFormatException(ctx.source + ": " + path.render(leaf) + ": " + message);
    }

    private OnnxFormatException fail(String leaf, String message, Throwable cause) {
        return new OnnxFormatException(ctx.source + ": " + path.render(leaf) + ": " + message, cause);
    }

    // ---- scalar fields -------------------------------------------------------------------------------------

    /** A varint field (int32, int64, enum): the raw 64 bits; callers narrow as protobuf does. */
    long varint(String leaf) {
        expectWire(VARINT, leaf);
        return rawVarint(leaf);
    }

    float fixedFloat(String leaf) {
        expectWire(FIXED32, leaf);
        need(4, leaf);
        try {
            return in.readFloat();
        } catch (IOException e) {
            throw fail(leaf, "truncated fixed32", e);
        }
    }

    byte[] bytes(String leaf) {
        expectWire(LENGTH_DELIMITED, leaf);
        int len = length(leaf);
        spend(leaf);
        try {
            return in.readRawBytes(len);
        } catch (IOException e) {
            throw fail(leaf, "truncated length-delimited field", e);
        }
    }

    /** A string field, decoded strictly: names that differ only in malformed bytes must not collapse. */
    String string(String leaf) {
        byte[] b = bytes(leaf);
        try {
            return ctx.utf8.decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw fail(leaf, "string is not valid UTF-8", e);
        }
    }

    /** A sub-message as its own cursor; {@code index} is its position if repeated, else -1. */
    ProtoCursor message(String name, int index) {
        String leaf = index < 0 ? name : name + "[" + index + "]";
        expectWire(LENGTH_DELIMITED, leaf);
        int len = length(leaf);
        if (depth + 1 > MAX_DEPTH) throw fail(leaf, "messages nested deeper than " + MAX_DEPTH);
        spend(leaf);
        ProtoCursor child = new ProtoCursor(ctx, path.child(name, index), depth + 1, buf, start + pos(), len);
        skipBytes(len, leaf);
        return child;
    }

    // ---- repeated scalars: accept both the packed and the one-per-tag wire form -----------------------------

    void floats(String leaf, GrowableArrays.Floats out) {
        if (wireType == FIXED32) {
            reserve(out.reserve(1), leaf);
            out.addUnchecked(fixedFloat(leaf));
            return;
        }
        int count = packedLength(leaf, 4) / 4;
        reserve(out.reserve(count), leaf);
        try {
            for (int k = 0; k < count; k++) out.addUnchecked(in.readFloat());
        } catch (IOException e) {
            throw fail(leaf, "truncated packed floats", e);
        }
    }

    void doubles(String leaf, GrowableArrays.Doubles out) {
        if (wireType == FIXED64) {
            need(8, leaf);
            reserve(out.reserve(1), leaf);
            try {
                out.addUnchecked(in.readDouble());
            } catch (IOException e) {
                throw fail(leaf, "truncated fixed64", e);
            }
            return;
        }
        int count = packedLength(leaf, 8) / 8;
        reserve(out.reserve(count), leaf);
        try {
            for (int k = 0; k < count; k++) out.addUnchecked(in.readDouble());
        } catch (IOException e) {
            throw fail(leaf, "truncated packed doubles", e);
        }
    }

    void varints(String leaf, GrowableArrays.Longs out) {
        if (wireType == VARINT) {
            reserve(out.reserve(1), leaf);
            out.addUnchecked(rawVarint(leaf));
            return;
        }
        int len = packedLength(leaf, 1);
        // Every varint ends in exactly one byte with the high bit clear, so counting those sizes the array
        // exactly; requiring the last byte to be one keeps any varint from running past the packed block.
        int from = start + pos();
        if (len > 0 && buf[from + len - 1] < 0) throw fail(leaf, "truncated varint at the end of packed field");
        int count = 0;
        for (int k = from; k < from + len; k++) if (buf[k] >= 0) count++;
        reserve(out.reserve(count), leaf);
        for (int k = 0; k < count; k++) out.addUnchecked(rawVarint(leaf));
    }

    // ---- skipping ------------------------------------------------------------------------------------------

    /** Skips the current field (unknown, or known but not modelled, such as subgraphs) without parsing it. */
    void skip() {
        String leaf = unknownName();
        switch (wireType) {
            case VARINT -> rawVarint(leaf);
            case FIXED64 -> skipBytes(8, leaf);
            case FIXED32 -> skipBytes(4, leaf);
            case LENGTH_DELIMITED -> skipBytes(length(leaf), leaf);
            case START_GROUP -> skipGroup(leaf);
            default -> throw fail(leaf, "unexpected end-group tag");
        }
    }

    /** Groups (deprecated, never used by ONNX) may nest; an explicit stack keeps that off the call stack. */
    private void skipGroup(String leaf) {
        int[] open = new int[MAX_DEPTH];
        int n = 0;
        open[n++] = field;
        while (n > 0) {
            if (!next()) throw fail(leaf, "truncated group (no end-group tag)");
            if (wireType == START_GROUP) {
                if (depth + n >= MAX_DEPTH) throw fail(leaf, "groups nested deeper than " + MAX_DEPTH);
                open[n++] = field;
            } else if (wireType == END_GROUP) {
                if (field != open[n - 1])
                    throw fail(leaf, "end-group tag for field " + field + " closes group " + open[n - 1]);
                n--;
            } else {
                skip();
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    String unknownName() {
        return "field#" + field;
    }

    private int pos() {
        return in.getTotalBytesRead();
    }

    private int remaining() {
        return length - pos();
    }

    private void expectWire(int expected, String leaf) {
        if (wireType != expected)
            throw fail(leaf, "wrong wire type " + WIRE_NAMES[wireType] + ", expected " + WIRE_NAMES[expected]);
    }

    private void need(int n, String leaf) {
        if (remaining() < n) throw fail(leaf, "truncated field (needs " + n + " bytes, " + remaining() + " remain)");
    }

    private void skipBytes(int n, String leaf) {
        need(n, leaf);
        try {
            in.skipRawBytes(n);
        } catch (IOException e) {
            throw fail(leaf, "truncated field", e);
        }
    }

    /** Reads a length prefix and checks it against the bytes left in this message before anything is allocated. */
    private int length(String leaf) {
        long len = rawVarint(leaf);
        if (len < 0) throw fail(leaf, "negative length " + len);
        if (len > remaining())
            throw fail(leaf, "truncated length-delimited field (declares " + len + " bytes, "
                    + remaining() + " remain)");
        return (int) len;
    }

    private int packedLength(String leaf, int elementSize) {
        expectWire(LENGTH_DELIMITED, leaf);
        int len = length(leaf);
        if (len % elementSize != 0)
            throw fail(leaf, "packed field of " + len + " bytes is not a multiple of " + elementSize);
        return len;
    }

    /** Checks the varint's extent by hand first, so CodedInputStream never has to fail mid-way. */
    private long rawVarint(String leaf) {
        int from = start + pos();
        int limit = Math.min(remaining(), 10);
        int k = 0;
        while (k < limit && buf[from + k] < 0) k++;
        if (k == limit) throw fail(leaf, limit < 10 ? "truncated varint" : "malformed varint (over 10 bytes)");
        try {
            return in.readRawVarint64();
        } catch (IOException e) {
            throw fail(leaf, "malformed varint", e);
        }
    }

    private void spend(String leaf) {
        if (--ctx.objectsLeft < 0) throw fail(leaf, "more than " + MAX_OBJECTS + " messages and strings");
    }

    private void reserve(boolean ok, String leaf) {
        if (!ok) throw fail(leaf, "more than " + GrowableArrays.MAX_ARRAY + " elements");
    }
}
