package dev.vlstm.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Reads and writes NumPy .npy files holding float32 little-endian C-order arrays, and reads int32/int64 token ids.
 *
 * <p>Reads format versions 1.0, 2.0 and 3.0; writes 1.0 laid out byte for byte as numpy's {@code np.save} does.
 * Every problem, including I/O failure, is an {@link NpyException} naming the file.
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
public final class Npy {
    /** Largest element count {@link #read(Path)} accepts: 512 Mi floats = 2 GiB of heap. */
    public static final long DEFAULT_MAX_ELEMENTS = 512L * 1024 * 1024;

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Headers of real float arrays are ~128 bytes; the cap stops a forged 2.0 length from allocating gigabytes. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    /** numpy aligns the data start to 64 bytes so the payload can be memory-mapped. */
    private static final int ALIGNMENT = 64;
    /** numpy leaves room for the first dim to grow to 21 digits, so appending rewrites the header in place. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    private static final int IO_CHUNK_BYTES = 1 << 16;

    private Npy() {
    }

    /** Reads a float32 array of at most {@link #DEFAULT_MAX_ELEMENTS} elements. */
    public static NpyArray read(Path file) {
        return read(file, DEFAULT_MAX_ELEMENTS);
    }

    /** Reads a float32 array, refusing (before allocating) one of more than {@code maxElements} elements. */
    public static NpyArray read(Path file, long maxElements) {
        return withPayload(file, maxElements, List.of("<f4"), (ch, p) -> new NpyArray(p.shape(), readFloats(ch, p.start(), p.count())));
    }

    /**
     * Reads an int32 or int64 array (a token-ids model's input, as {@code np.int64} ids of PyTorch's LongTensor or
     * {@code np.int32}) of at most {@link #DEFAULT_MAX_ELEMENTS} elements, widened to long.
     */
    public static NpyIds readIds(Path file) {
        return withPayload(file, DEFAULT_MAX_ELEMENTS, List.of("<i8", "<i4"), (ch, p) -> new NpyIds(p.shape(),
                readLongs(ch, p.start(), p.count(), p.descr().equals("<i8") ? Long.BYTES : Integer.BYTES)));
    }

    /** The payload of a checked file: its dtype, shape, element count and where the data starts. */
    private record Payload(String descr, long[] shape, int count, long start) {
    }

    private interface PayloadReader<T> {
        T read(FileChannel ch, Payload p) throws IOException;
    }

    /** Opens and checks the preamble, header, dtype (one of {@code dtypes}), order and size, then reads the payload. */
    private static <T> T withPayload(Path file, long maxElements, List<String> dtypes, PayloadReader<T> reader) {
        if (maxElements < 0 || maxElements > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("maxElements must be in [0, " + (Integer.MAX_VALUE - 8) + "], got " + maxElements);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer preamble = readAt(ch, 0, (int) Math.min(size, 12));
            checkMagic(file, preamble, size);
            int major = Byte.toUnsignedInt(preamble.get(6)), minor = Byte.toUnsignedInt(preamble.get(7));
            if (minor != 0 || major < 1 || major > 3)
                throw new NpyException(file + ": unsupported .npy format version " + major + "." + minor + "; expected 1.0, 2.0 or 3.0");
            int lengthBytes = major == 1 ? 2 : 4;
            int headerStart = 8 + lengthBytes;
            if (size < headerStart)
                throw new NpyException(file + ": file is " + size + " bytes, too short for the " + headerStart + "-byte preamble of version " + major + ".0");
            long headerLength = major == 1 ? Short.toUnsignedInt(preamble.getShort(8)) : Integer.toUnsignedLong(preamble.getInt(8));
            if (headerStart + headerLength > size)
                throw new NpyException(file + ": header length " + headerLength + " runs past end of file: header would end at byte "
                        + (headerStart + headerLength) + " but the file is " + size + " bytes");
            if (headerLength > MAX_HEADER_BYTES)
                throw new NpyException(file + ": header length " + headerLength + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            NpyHeader header = NpyHeader.parse(decodeHeader(file, readAt(ch, headerStart, (int) headerLength), major), file);
            checkDtypeAndOrder(file, header, dtypes);
            long count = checkedElementCount(file, header.shape(), maxElements);
            long dataStart = headerStart + headerLength;
            int itemBytes = Integer.parseInt(header.descr().substring(2));
            long expectedBytes = count * itemBytes;
            long payloadBytes = size - dataStart;
            if (payloadBytes != expectedBytes)
                throw new NpyException(file + ": payload is " + payloadBytes + " bytes but shape " + shapeString(header.shape())
                        + " of " + NpyDtypeNames.describe(header.descr()).replaceAll("[ ()]", "") + " needs " + expectedBytes
                        + (payloadBytes < expectedBytes ? " (file truncated)" : " (" + (payloadBytes - expectedBytes) + " trailing bytes)"));
            return reader.read(ch, new Payload(header.descr(), header.shape(), (int) count, dataStart));
        } catch (NoSuchFileException e) {
            throw new NpyException(file + ": no such file", e);
        } catch (IOException e) {
            throw new NpyException(file + ": cannot read: " + e, e);
        }
    }

    /**
     * Writes a float32 C-order array as .npy version 1.0, atomically: a temp file in the same folder is written,
     * forced to disk and renamed over {@code file}, so a failure at any point leaves an existing {@code file} intact.
     */
    public static void write(Path file, long[] shape, float[] data) {
        long count;
        try {
            count = elementCount(shape);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new NpyException(file + ": cannot write shape " + shapeString(shape) + ": " + e.getMessage(), e);
        }
        if (count != data.length)
            throw new NpyException(file + ": cannot write shape " + shapeString(shape) + " (" + count + " elements) with " + data.length + " floats");
        byte[] header = headerBytes(file, shape);
        Path dir = file.toAbsolutePath().getParent();
        // Not Files.createTempFile: it makes the file rw------- and the rename would keep that; CREATE_NEW uses the umask.
        Path temp = dir.resolve("." + file.getFileName() + "." + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, ByteBuffer.wrap(header));
                writeFloats(ch, data);
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new NpyException(file + ": cannot write: " + e, e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // Best effort: the write already failed (or succeeded, leaving nothing to delete).
            }
        }
    }

    /** Product of the dims; 0 if any dim is 0 (even if others are huge, as numpy allows). */
    static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) throw new IllegalArgumentException("negative dimension " + dim);
            if (dim == 0) count = 0;
        }
        if (count == 0) return 0;
        for (long dim : shape) count = Math.multiplyExact(count, dim);
        return count;
    }

    /** Python's repr of the shape tuple: {@code ()}, {@code (5,)}, {@code (2, 3)}. */
    static String shapeString(long[] shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", ", "(", ")"));
    }

    private static void checkMagic(Path file, ByteBuffer preamble, long size) {
        int n = Math.min(preamble.limit(), MAGIC.length);
        for (int i = 0; i < n; i++) {
            if (preamble.get(i) != MAGIC[i]) {
                byte[] found = new byte[Math.min(preamble.limit(), 8)];
                preamble.get(0, found);
                // A file of one byte 'P' must not index found[1] (fuzzer finding, crash-511993d3).
                String zip = found.length >= 2 && found[0] == 'P' && found[1] == 'K' ? " (a zip archive: .npz files are not supported)" : "";
                throw new NpyException(file + ": not a .npy file: starts with bytes " + HexFormat.ofDelimiter(" ").formatHex(found)
                        + zip + "; expected magic 93 4e 55 4d 50 59 (\\x93NUMPY)");
            }
        }
        if (size < 10)
            throw new NpyException(file + ": file is " + size + " bytes, too short for the .npy preamble (at least 10 bytes)");
    }

    private static String decodeHeader(Path file, ByteBuffer bytes, int major) {
        if (major < 3) return StandardCharsets.ISO_8859_1.decode(bytes).toString(); // numpy's encoding for 1.0 and 2.0
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new NpyException(file + ": version 3.0 header is not valid UTF-8", e);
        }
    }

    private static void checkDtypeAndOrder(Path file, NpyHeader header, List<String> dtypes) {
        if (!dtypes.contains(header.descr()))
            throw new NpyException(file + ": dtype '" + header.descr() + "'" + NpyDtypeNames.describe(header.descr())
                    + "; expected " + (dtypes.size() == 1 ? "'<f4' (float32 little-endian)"
                    : "'<i8' or '<i4' (int64 or int32 little-endian token ids)"));
        if (header.fortranOrder())
            throw new NpyException(file + ": fortran_order True (column-major); expected False (C order): save with np.ascontiguousarray(a)");
    }

    private static long checkedElementCount(Path file, long[] shape, long maxElements) {
        long count;
        try {
            count = elementCount(shape);
        } catch (IllegalArgumentException e) {
            throw new NpyException(file + ": shape " + shapeString(shape) + " has a " + e.getMessage() + "; expected dims >= 0");
        } catch (ArithmeticException e) {
            throw new NpyException(file + ": shape " + shapeString(shape) + " has more elements than a 64-bit count holds; expected at most " + maxElements);
        }
        if (count > maxElements)
            throw new NpyException(file + ": shape " + shapeString(shape) + " has " + count + " elements; expected at most " + maxElements + " (refusing to allocate)");
        return count;
    }

    /** The 1.0 header numpy writes: dict, growth spaces, padding to {@link #ALIGNMENT}, newline. */
    private static byte[] headerBytes(Path file, long[] shape) {
        StringBuilder dict = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeString(shape) + ", }");
        if (shape.length > 0) dict.repeat(' ', Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length()));
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        dict.repeat(' ', ALIGNMENT - unpadded % ALIGNMENT).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (text.length > 0xFFFF)
            throw new NpyException(file + ": header of " + text.length + " bytes for shape of " + shape.length + " dims does not fit version 1.0 (max 65535)");
        ByteBuffer out = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return out.array();
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) throw new IOException("file shrank while reading");
        }
        return buf.flip();
    }

    private static float[] readFloats(FileChannel ch, long position, int count) throws IOException {
        float[] data = new float[count];
        ByteBuffer buf = ByteBuffer.allocate(IO_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ch.position(position);
        for (int done = 0; done < count; ) {
            // In long: (count - done) * 4 overflows int from 2^29 floats on (the default cap allows exactly that).
            buf.clear().limit((int) Math.min(IO_CHUNK_BYTES, (long) (count - done) * Float.BYTES));
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) throw new IOException("file shrank while reading");
            }
            buf.flip().asFloatBuffer().get(data, done, buf.limit() / Float.BYTES);
            done += buf.limit() / Float.BYTES;
        }
        return data;
    }

    private static long[] readLongs(FileChannel ch, long position, int count, int itemBytes) throws IOException {
        long[] data = new long[count];
        ByteBuffer buf = ByteBuffer.allocate(IO_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ch.position(position);
        for (int done = 0; done < count; ) {
            buf.clear().limit((int) Math.min(IO_CHUNK_BYTES, (long) (count - done) * itemBytes));
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) throw new IOException("file shrank while reading");
            }
            buf.flip();
            while (buf.hasRemaining()) data[done++] = itemBytes == Long.BYTES ? buf.getLong() : buf.getInt();
        }
        return data;
    }

    private static void writeFloats(FileChannel ch, float[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(IO_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < data.length; ) {
            int n = Math.min(IO_CHUNK_BYTES / Float.BYTES, data.length - done);
            buf.clear();
            buf.asFloatBuffer().put(data, done, n);
            buf.limit(n * Float.BYTES);
            writeFully(ch, buf);
            done += n;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }
}
