package dev.vlstm.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reads little-endian fields from one section of a file, checking every read against the section's end. */
final class SectionReader {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment file;
    private final String where;
    private final long end;
    private long pos;

    /** Reads bytes [start, end) of {@code file}; {@code where} names file and section in errors. */
    SectionReader(MemorySegment file, long start, long end, String where) {
        this.file = file;
        this.pos = start;
        this.end = end;
        this.where = where;
    }

    long position() {
        return pos;
    }

    long remaining() {
        return end - pos;
    }

    private long take(int n, String field) {
        if (end - pos < n)
            throw new VlstmFormatException(where + ": " + field + " at byte " + pos + " needs " + n
                    + " bytes but the section ends at byte " + end + " (truncated)");
        long at = pos;
        pos += n;
        return at;
    }

    int u16(String field) {
        return Short.toUnsignedInt(file.get(U16, take(2, field)));
    }

    /** An unsigned 32-bit value, returned as a non-negative long. */
    long u32(String field) {
        return Integer.toUnsignedLong(file.get(U32, take(4, field)));
    }

    /** A u32 that must lie in [min, max]. */
    int u32(String field, long min, long max) {
        long v = u32(field);
        if (v < min || v > max) throw new VlstmFormatException(where + ": " + field + " is " + v + ", expected " + min + ".." + max);
        return (int) v;
    }

    /** A u64 field; values above Long.MAX_VALUE come back negative and callers refuse them. */
    long u64(String field) {
        return file.get(U64, take(8, field));
    }

    float f32(String field) {
        return Float.intBitsToFloat(file.get(U32, take(4, field)));
    }

    void zero(int n, String field) {
        for (int i = 0; i < n; i++) {
            if (file.get(ValueLayout.JAVA_BYTE, take(1, field)) != 0)
                throw new VlstmFormatException(where + ": " + field + " must be zero (reserved in version "
                        + FileLayout.MAJOR + "." + FileLayout.MINOR + ")");
        }
    }

    String string(String field, int maxBytes) {
        long n = u32(field + " length");
        if (n > maxBytes) throw new VlstmFormatException(where + ": " + field + " length " + n + ", expected at most " + maxBytes);
        long at = take((int) n, field);
        return utf8(file.asSlice(at, n).toArray(ValueLayout.JAVA_BYTE), field);
    }

    /** A fixed-size, zero-padded UTF-8 field. */
    String paddedString(int size, String field) {
        long at = take(size, field);
        byte[] b = file.asSlice(at, size).toArray(ValueLayout.JAVA_BYTE);
        int len = 0;
        while (len < size && b[len] != 0) len++;
        if (len == size) throw new VlstmFormatException(where + ": " + field + " has no terminating zero byte");
        for (int i = len; i < size; i++)
            if (b[i] != 0) throw new VlstmFormatException(where + ": " + field + " has bytes after its terminating zero");
        return utf8(java.util.Arrays.copyOf(b, len), field);
    }

    private String utf8(byte[] b, String field) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new VlstmFormatException(where + ": " + field + " is not valid UTF-8");
        }
    }
}
