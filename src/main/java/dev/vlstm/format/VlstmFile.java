package dev.vlstm.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

import static dev.vlstm.format.FileLayout.*;

/**
 * A parsed and fully validated .vlstm file: its spec, metadata and tensor payloads as slices of one memory segment.
 * Every field is checked (format-spec.md, "Validation") before anything is returned, so the payload slices can be
 * read without further bounds or size checks.
 *
 * <pre>{@code
 * try (VlstmFile f = VlstmFile.map(Path.of("model.vlstm"))) {
 *     ModelSpec spec = f.spec();
 *     MemorySegment r0 = f.tensor("l0.d0.r");
 * }
 * }</pre>
 */
public final class VlstmFile implements AutoCloseable {
    private final String source;
    private final ModelSpec spec;
    private final Map<String, String> metadata;
    private final Map<String, TensorEntry> entries;
    private final Map<String, MemorySegment> tensors;
    private final Arena arena;
    private final int major;
    private final byte[] fingerprint;

    /**
     * One row of the tensor table (format-spec.md, "Tensor table").
     *
     * @param name   the tensor's name, e.g. {@code l0.d0.w}
     * @param dtype  its element type code (1: float32)
     * @param dims   its dimensions
     * @param offset where its payload starts in the file
     * @param length its payload's bytes
     * @param crc32c the payload's checksum
     */
    public record TensorEntry(String name, int dtype, long[] dims, long offset, long length, int crc32c) {
    }

    private VlstmFile(String source, int major, ModelSpec spec, Map<String, String> metadata, Map<String, TensorEntry> entries,
                      Map<String, MemorySegment> tensors, Arena arena, byte[] fingerprint) {
        this.major = major;
        this.fingerprint = fingerprint;
        this.source = source;
        this.spec = spec;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.entries = Collections.unmodifiableMap(entries);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.arena = arena;
    }

    /**
     * Maps the file read-only into a shared arena and validates it; {@link #close()} unmaps it.
     *
     * @param file a .vlstm file
     * @return the open file
     * @throws IOException when it cannot be read
     * @throws VlstmFormatException naming the file and field when it breaks the format
     */
    public static VlstmFile map(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parse(seg, file.toString(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads the file into 64-byte-aligned off-heap memory (no mapping) and validates it; {@link #close()} frees it.
     * Unlike {@link #map}, nothing another process does to the file afterwards (truncating it, say) can reach the
     * reader: a mapped page that disappears raises SIGBUS, which the JVM cannot always turn into an exception.
     *
     * @param file a .vlstm file
     * @return the open file
     * @throws IOException when it cannot be read
     */
    public static VlstmFile read(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = arena.allocate(Math.max(1, size), ALIGN).asSlice(0, size);
            java.nio.ByteBuffer buf = seg.asByteBuffer();
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0)
                    throw new VlstmFormatException(file + ": the file shrank from " + size + " bytes while it was read");
            }
            return parse(seg, file.toString(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Validates {@code bytes} as a .vlstm file held in memory (no file, nothing to unmap).
     *
     * @param bytes  the file's contents
     * @param source what messages call it
     * @return the open file
     */
    public static VlstmFile parse(byte[] bytes, String source) {
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(Math.max(1, bytes.length), ALIGN).asSlice(0, bytes.length);
        MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
        try {
            return parse(seg, source, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static VlstmFile parse(MemorySegment seg, String source, Arena arena) {
        long size = seg.byteSize();
        if (size < HEADER_SIZE)
            throw new VlstmFormatException(source + ": " + size + " bytes, too short for the " + HEADER_SIZE + "-byte header of a .vlstm file");
        for (int i = 0; i < MAGIC.length; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i])
                throw new VlstmFormatException(source + ": not a .vlstm file (magic bytes differ from \\x89VLSTM\\r\\n)");
        }
        SectionReader r = new SectionReader(seg, 8, HEADER_SIZE, source + ": header");
        int major = r.u16("major version");
        int minor = r.u16("minor version");
        if (major < OLDEST_MAJOR || major > MAJOR)
            throw new VlstmFormatException(source + ": format version " + major + "." + minor + ", this reader reads "
                    + OLDEST_MAJOR + ".x to " + MAJOR + ".x; convert the model again with this vlstm version");
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(seg.asSlice(0, 60).asByteBuffer());
        int storedHeaderCrc = seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 60);
        if ((int) headerCrc.getValue() != storedHeaderCrc)
            throw new VlstmFormatException(source + ": header CRC32C mismatch (stored " + hex(storedHeaderCrc) + ", computed "
                    + hex((int) headerCrc.getValue()) + "): the file is corrupt");
        r.u32("header size", HEADER_SIZE, HEADER_SIZE);
        long declaredSize = r.u64("file size");
        if (declaredSize != size)
            throw new VlstmFormatException(source + ": header says the file has " + Long.toUnsignedString(declaredSize)
                    + " bytes but it has " + size + " (truncated or extended)");
        long modelOffset = r.u32("model offset", HEADER_SIZE, HEADER_SIZE);
        long modelLength = r.u32("model length");
        long tableOffset = r.u32("table offset");
        long tensorCount = r.u32("tensor count", 0, MAX_TENSORS);
        long metaOffset = r.u32("metadata offset");
        long metaLength = r.u32("metadata length");
        int sectionsCrc = (int) r.u32("sections CRC");
        r.u32("flags", 0, 0);
        r.zero(4, "reserved");
        if (tableOffset != modelOffset + modelLength)
            throw new VlstmFormatException(source + ": table offset " + tableOffset + ", expected " + (modelOffset + modelLength)
                    + " (right after the model section)");
        if (metaOffset != tableOffset + ENTRY_SIZE * tensorCount)
            throw new VlstmFormatException(source + ": metadata offset " + metaOffset + ", expected "
                    + (tableOffset + ENTRY_SIZE * tensorCount) + " (right after " + tensorCount + " table entries)");
        long sectionsEnd = metaOffset + metaLength;
        if (sectionsEnd > size)
            throw new VlstmFormatException(source + ": sections end at byte " + sectionsEnd + ", past the end of the file ("
                    + size + " bytes)");
        CRC32C crc = new CRC32C();
        crc.update(seg.asSlice(HEADER_SIZE, sectionsEnd - HEADER_SIZE).asByteBuffer());
        if ((int) crc.getValue() != sectionsCrc)
            throw new VlstmFormatException(source + ": sections CRC32C mismatch (stored " + hex(sectionsCrc) + ", computed "
                    + hex((int) crc.getValue()) + "): the file is corrupt");

        byte[] fingerprint = fingerprint(seg.asSlice(HEADER_SIZE, sectionsEnd - HEADER_SIZE));
        ModelSpec spec = ModelSection.decode(new SectionReader(seg, modelOffset, tableOffset, source + ": model section"),
                source + ": model section", major);
        Map<String, String> metadata = readMetadata(new SectionReader(seg, metaOffset, sectionsEnd, source + ": metadata"), source);
        Map<String, TensorEntry> entries = readTable(seg, tableOffset, (int) tensorCount, sectionsEnd, source);
        spec = spec.withWeights(weightType(entries, minor, source));
        checkTensorSet(spec, entries, source);

        Map<String, MemorySegment> tensors = new LinkedHashMap<>();
        long previousEnd = sectionsEnd;
        for (TensorEntry e : entries.values()) {
            checkZeroPadding(seg, previousEnd, e.offset(), source);
            previousEnd = e.offset() + e.length();
            MemorySegment payload = seg.asSlice(e.offset(), e.length());
            CRC32C c = new CRC32C();
            c.update(payload.asByteBuffer());
            if ((int) c.getValue() != e.crc32c())
                throw new VlstmFormatException(source + ": tensor '" + e.name() + "': CRC32C mismatch (stored " + hex(e.crc32c())
                        + ", computed " + hex((int) c.getValue()) + "): the weights are corrupt");
            tensors.put(e.name(), payload);
        }
        if (previousEnd != size)
            throw new VlstmFormatException(source + ": " + (size - previousEnd) + " bytes after the last tensor; the file "
                    + "must end with the last payload");
        for (TensorEntry e : entries.values())
            if (e.name().endsWith(SCALE_SUFFIX) && e.dtype() == WeightType.FP32.code && spec.weights() == WeightType.INT8)
                checkScales(tensors.get(e.name()), e.name(), source);
        return new VlstmFile(source, major, spec, metadata, entries, tensors, arena, fingerprint);
    }

    private static void checkZeroPadding(MemorySegment seg, long from, long to, String source) {
        for (long i = from; i < to; i++)
            if (seg.get(ValueLayout.JAVA_BYTE, i) != 0)
                throw new VlstmFormatException(source + ": padding byte " + i + " is not zero (the file is corrupt)");
    }

    private static Map<String, String> readMetadata(SectionReader r, String source) {
        int count = r.u32("metadata entry count", 0, MAX_METADATA);
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String key = r.string("metadata key " + i, MAX_STRING);
            String value = r.string("metadata value of '" + key + "'", MAX_STRING);
            if (out.put(key, value) != null)
                throw new VlstmFormatException(source + ": metadata key '" + key + "' appears twice");
        }
        if (r.remaining() != 0)
            throw new VlstmFormatException(source + ": metadata: " + r.remaining() + " bytes left over after " + count + " entries");
        return out;
    }

    private static Map<String, TensorEntry> readTable(MemorySegment seg, long tableOffset, int count, long sectionsEnd, String source) {
        Map<String, TensorEntry> out = new LinkedHashMap<>();
        long previousEnd = sectionsEnd;
        for (int i = 0; i < count; i++) {
            SectionReader r = new SectionReader(seg, tableOffset + (long) ENTRY_SIZE * i, tableOffset + (long) ENTRY_SIZE * (i + 1),
                    source + ": tensor table entry " + i);
            String name = r.paddedString(NAME_BYTES, "name");
            String at = source + ": tensor '" + name + "'";
            if (name.isEmpty()) throw new VlstmFormatException(source + ": tensor table entry " + i + " has an empty name");
            long dtypeCode = r.u32("dtype");
            WeightType type = WeightType.ofCode(dtypeCode);
            if (type == null)
                throw new VlstmFormatException(at + ": dtype code " + dtypeCode + ", expected 1 (f32), 2 (bf16) or 3 (int8)");
            int dtype = type.code;
            int rank = r.u32("rank", 1, MAX_RANK);
            long[] dims = new long[rank];
            long elements = 1;
            for (int d = 0; d < MAX_RANK; d++) {
                long v = r.u64("dimension " + d);
                if (d < rank) {
                    if (v < 1) throw new VlstmFormatException(at + ": dimension " + d + " is " + Long.toUnsignedString(v) + ", expected >= 1");
                    dims[d] = v;
                    elements = multiplyOrFail(elements, v, at);
                } else if (v != 0) {
                    throw new VlstmFormatException(at + ": dimension " + d + " beyond rank " + rank + " must be 0");
                }
            }
            long offset = r.u64("offset");
            long length = r.u64("length");
            int crc = (int) r.u32("CRC32C");
            r.zero(20, "reserved");
            long expectedLength = multiplyOrFail(elements, type.bytes, at);
            if (length != expectedLength)
                throw new VlstmFormatException(at + ": length " + Long.toUnsignedString(length) + " bytes, expected "
                        + expectedLength + " (product of dims x " + type.bytes + " for " + type.label + ")");
            if (offset % ALIGN != 0)
                throw new VlstmFormatException(at + ": offset " + Long.toUnsignedString(offset) + " is not a multiple of " + ALIGN);
            if (offset < previousEnd)
                throw new VlstmFormatException(at + ": offset " + Long.toUnsignedString(offset) + " overlaps "
                        + (i == 0 ? "the sections" : "the previous tensor") + " (which end at byte " + previousEnd + ")");
            if (offset > seg.byteSize() || length > seg.byteSize() - offset)
                throw new VlstmFormatException(at + ": payload [" + offset + ", +" + length + ") lies past the end of the file ("
                        + seg.byteSize() + " bytes)");
            previousEnd = offset + length;
            if (out.put(name, new TensorEntry(name, dtype, dims, offset, length, crc)) != null)
                throw new VlstmFormatException(at + ": name appears twice in the tensor table");
        }
        return out;
    }

    /**
     * The file's weight type: the dtype of layer 0's W (every other matrix must match, {@link #checkTensorSet});
     * other than f32 only from version 2.3.
     */
    private static WeightType weightType(Map<String, TensorEntry> entries, int minor, String source) {
        TensorEntry w = entries.get(weightName(0, 0, 'w'));
        WeightType type = w == null ? WeightType.FP32 : WeightType.ofCode(w.dtype());
        if (type != WeightType.FP32 && minor < 3)
            throw new VlstmFormatException(source + ": tensor '" + w.name() + "' is " + type.label
                    + ", which needs format version 2.3, but the file says 2." + minor);
        return type;
    }

    /** An int8 matrix's scales: each finite and > 0, or the weights would decode to NaN, Inf or nothing. */
    private static void checkScales(MemorySegment scales, String name, String source) {
        float[] v = scales.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
        for (int i = 0; i < v.length; i++)
            if (!(v[i] > 0) || v[i] == Float.POSITIVE_INFINITY)
                throw new VlstmFormatException(source + ": tensor '" + name + "': scale " + i + " is " + v[i]
                        + ", expected a finite value > 0");
    }

    private static void checkTensorSet(ModelSpec spec, Map<String, TensorEntry> entries, String source) {
        List<Expected> expected = expectedTensors(spec);
        Set<String> names = new HashSet<>();
        for (Expected e : expected) {
            names.add(e.name());
            TensorEntry t = entries.get(e.name());
            if (t == null) throw new VlstmFormatException(source + ": tensor '" + e.name() + "' is missing");
            if (!java.util.Arrays.equals(t.dims(), e.dims()))
                throw new VlstmFormatException(source + ": tensor '" + e.name() + "' has dims " + java.util.Arrays.toString(t.dims())
                        + ", expected " + java.util.Arrays.toString(e.dims()) + " from the model section");
            if (t.dtype() != e.dtype().code)
                throw new VlstmFormatException(source + ": tensor '" + e.name() + "' is " + WeightType.ofCode(t.dtype()).label
                        + ", expected " + e.dtype().label + (e.dtype() == WeightType.FP32 ? "" : " like tensor 'l0.d0.w'")
                        + (spec.weights() == WeightType.FP32 && t.dtype() != WeightType.FP32.code
                        ? " (only weight matrices may be reduced, all of them alike)" : ""));
        }
        for (String n : entries.keySet())
            if (!names.contains(n)) throw new VlstmFormatException(source + ": unexpected tensor '" + n + "' for this model");
    }

    private static long multiplyOrFail(long a, long b, String at) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new VlstmFormatException(at + ": the product of its dimensions overflows 64 bits");
        }
    }

    private static String hex(int v) {
        return String.format("0x%08x", v);
    }

    /** SHA-256 of the sections (model, tensor table with every payload's CRC, metadata): identifies this model file. */
    private static byte[] fingerprint(MemorySegment sections) {
        try {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(sections.asByteBuffer());
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /**
     * 32 bytes that identify this model file (format-spec.md, "State snapshots").
     *
     * @return a copy of the fingerprint
     */
    public byte[] fingerprint() {
        return fingerprint.clone();
    }

    /**
     * The file's major format version (1 or 2).
     *
     * @return 1 or 2
     */
    public int majorVersion() {
        return major;
    }

    /**
     * Where the file came from, for messages.
     *
     * @return the path or name given
     */
    public String source() {
        return source;
    }

    /**
     * The model the file describes.
     *
     * @return the model's description
     */
    public ModelSpec spec() {
        return spec;
    }

    /**
     * The metadata section (format-spec.md, "Metadata section").
     *
     * @return the metadata, unmodifiable, in file order
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The tensor table, in file order.
     *
     * @return the entries by name, unmodifiable
     */
    public Map<String, TensorEntry> entries() {
        return entries;
    }

    /**
     * A tensor's payload (little-endian f32, 64-byte aligned in the file).
     *
     * @param name the tensor's name
     * @return a read-only slice of the file
     */
    public MemorySegment tensor(String name) {
        MemorySegment s = tensors.get(name);
        if (s == null) throw new IllegalArgumentException(source + ": no tensor named '" + name + "'");
        return s;
    }

    /**
     * The payload as floats (a copy; a bf16 or int8 matrix decoded, int8 with its scales), for tools and tests.
     *
     * @param name the tensor's name
     * @return a new array of its values
     */
    public float[] tensorFloats(String name) {
        TensorEntry e = entries.get(name);
        WeightType type = e == null ? WeightType.FP32 : WeightType.ofCode(e.dtype());
        if (type == WeightType.FP32)
            return tensor(name).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
        float[] scales = type == WeightType.INT8 ? tensorFloats(name + SCALE_SUFFIX) : null;
        return ReducedWeights.decode(tensor(name), e.dims(), type, scales);
    }

    /**
     * Whether the file's memory is still there.
     *
     * @return false once closed
     */
    public boolean isOpen() {
        return arena.scope().isAlive();
    }

    /** Unmaps the file. Segments obtained from it throw {@link IllegalStateException} afterwards. Idempotent. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
