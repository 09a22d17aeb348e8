package dev.vlstm.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import static dev.vlstm.format.FileLayout.*;

/**
 * Writes a .vlstm file: packs ONNX-layout weights into panels, lays out the sections and checksums everything.
 *
 * <pre>{@code
 * VlstmWriter.write(spec, weights, metadata, Path.of("model.vlstm"));   // atomic: temp file, fsync, rename
 * }</pre>
 */
public final class VlstmWriter {
    private VlstmWriter() {
    }

    /** A packed tensor, f32. */
    private record Payload(String name, long[] dims, float[] data) {
    }

    /** A tensor as the file stores it: its table dtype and little-endian payload bytes. */
    private record Stored(String name, long[] dims, WeightType dtype, ByteBuffer bytes) {
    }

    /**
     * Writes the model to {@code file} atomically: a temp file in the same folder is written, forced to disk and renamed
     * over the destination, so a failure at any point leaves an existing destination untouched.
     *
     * @param spec     the model
     * @param weights  its weights in ONNX layout
     * @param metadata the metadata section's entries
     * @param file     the destination
     * @throws IOException when the file cannot be written
     */
    public static void write(ModelSpec spec, ModelWeights weights, Map<String, String> metadata, Path file) throws IOException {
        write(spec, weights, metadata, file, ch -> ch);
    }

    /** {@link #write} with the file channel wrapped, so tests can make the disk fail part-way. */
    static void write(ModelSpec spec, ModelWeights weights, Map<String, String> metadata, Path file,
                      java.util.function.UnaryOperator<WritableByteChannel> wrap) throws IOException {
        List<Stored> payloads = store(spec, pack(spec, weights));
        Path dir = file.toAbsolutePath().getParent();
        // CREATE_NEW rather than Files.createTempFile, whose owner-only permissions the rename would keep.
        Path temp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                writeTo(spec, payloads, metadata, wrap.apply(ch));
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Checks a spec against the format's rules without writing anything (the converter calls it before packing).
     *
     * @param spec the model
     */
    public static void check(ModelSpec spec) {
        SpecRules.check(spec, "model");
    }

    /**
     * The bytes of the file {@link #write} would write (for tests and in-memory use; models under 2 GB).
     *
     * @param spec     the model
     * @param weights  its weights in ONNX layout
     * @param metadata the metadata section's entries
     * @return the file's bytes
     */
    public static byte[] toBytes(ModelSpec spec, ModelWeights weights, Map<String, String> metadata) {
        var out = new java.io.ByteArrayOutputStream();
        try {
            writeTo(spec, store(spec, pack(spec, weights)), metadata, Channels.newChannel(out));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The payloads as the spec stores them: each weight matrix in the spec's {@link WeightType} (int8: followed by
     * its scales), everything else f32 (format-spec.md, "Tensor table").
     */
    private static List<Stored> store(ModelSpec spec, List<Payload> payloads) {
        List<Stored> out = new ArrayList<>();
        java.util.Map<String, Expected> expected = new java.util.HashMap<>();
        for (Expected e : expectedTensors(spec)) expected.put(e.name(), e);
        for (Payload p : payloads) {
            WeightType type = expected.get(p.name()).dtype();
            switch (type) {
                case FP32 -> out.add(new Stored(p.name(), p.dims(), type, littleEndian(p.data())));
                case BF16 -> {
                    ByteBuffer b = ByteBuffer.allocate(2 * p.data().length).order(ByteOrder.LITTLE_ENDIAN);
                    for (float v : p.data()) b.putShort(ReducedWeights.bf16(v));
                    out.add(new Stored(p.name(), p.dims(), type, b.flip()));
                }
                case INT8 -> {
                    float[] scales = ReducedWeights.int8Scales(p.data(), p.dims(), p.name());
                    out.add(new Stored(p.name(), p.dims(), type, ByteBuffer.wrap(ReducedWeights.int8(p.data(), p.dims(), scales))));
                    Expected e = expected.get(p.name() + SCALE_SUFFIX);
                    out.add(new Stored(e.name(), e.dims(), WeightType.FP32, littleEndian(scales)));
                }
            }
        }
        return out;
    }

    private static void writeTo(ModelSpec spec, List<Stored> payloads, Map<String, String> metadata,
                                WritableByteChannel ch) throws IOException {
        byte[] model = ModelSection.encode(spec);
        byte[] meta = encodeMetadata(metadata);
        long tableOffset = HEADER_SIZE + model.length;
        long metaOffset = tableOffset + (long) ENTRY_SIZE * payloads.size();
        long sectionsEnd = metaOffset + meta.length;

        long[] offsets = new long[payloads.size()];
        long pos = alignUp(sectionsEnd);
        for (int i = 0; i < payloads.size(); i++) {
            offsets[i] = pos;
            pos = alignUp(pos + payloads.get(i).bytes().remaining());
        }
        long fileSize = payloads.isEmpty() ? sectionsEnd : offsets[offsets.length - 1] + payloads.getLast().bytes().remaining();

        LeBytes table = new LeBytes();
        List<ByteBuffer> encoded = new ArrayList<>();
        for (int i = 0; i < payloads.size(); i++) {
            Stored p = payloads.get(i);
            ByteBuffer bytes = p.bytes();
            encoded.add(bytes);
            byte[] name = p.name().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            table.bytes(name).zeros(NAME_BYTES - name.length).u32(p.dtype().code).u32(p.dims().length);
            for (int d = 0; d < MAX_RANK; d++) table.u64(d < p.dims().length ? p.dims()[d] : 0);
            table.u64(offsets[i]).u64(bytes.remaining()).u32(crc(bytes)).zeros(20);
        }

        LeBytes sections = new LeBytes().bytes(model).bytes(table.toByteArray()).bytes(meta);
        byte[] sectionBytes = sections.toByteArray();
        CRC32C sectionsCrc = new CRC32C();
        sectionsCrc.update(sectionBytes);

        LeBytes header = new LeBytes().bytes(MAGIC).u16(MAJOR).u16(spec.minorVersion()).u32(HEADER_SIZE).u64(fileSize)
                .u32(HEADER_SIZE).u32(model.length).u32(tableOffset).u32(payloads.size())
                .u32(metaOffset).u32(meta.length).u32(sectionsCrc.getValue()).u32(0).u32(0);
        byte[] head = header.toByteArray();
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(head);
        header.u32(headerCrc.getValue());

        long written = writeFully(ch, ByteBuffer.wrap(header.toByteArray())) + writeFully(ch, ByteBuffer.wrap(sectionBytes));
        for (int i = 0; i < payloads.size(); i++) {
            written += writeFully(ch, ByteBuffer.allocate((int) (offsets[i] - written)));
            written += writeFully(ch, encoded.get(i));
        }
        if (written != fileSize) throw new IllegalStateException("wrote " + written + " bytes, planned " + fileSize);
    }

    private static long writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        long n = b.remaining();
        while (b.hasRemaining()) ch.write(b);
        return n;
    }

    private static ByteBuffer littleEndian(float[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return b;
    }

    private static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate());
        return (int) c.getValue();
    }

    private static byte[] encodeMetadata(Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA)
            throw new VlstmFormatException("metadata has " + metadata.size() + " entries, at most " + MAX_METADATA);
        LeBytes b = new LeBytes().u32(metadata.size());
        metadata.forEach((k, v) -> b.string(k).string(v));
        return b.toByteArray();
    }

    /** Checks the spec and the weight sizes, then packs every tensor into the order and layout the spec implies. */
    private static List<Payload> pack(ModelSpec spec, ModelWeights weights) {
        SpecRules.check(spec, "model to write");
        if (weights.layers().size() != spec.layers().size())
            throw new VlstmFormatException("weights for " + weights.layers().size() + " layers, spec has " + spec.layers().size());
        List<Payload> out = new ArrayList<>();
        List<Expected> expected = expectedTensors(spec.withWeights(WeightType.FP32));   // the f32 tensors, no scales
        int e = 0;
        if (spec.takesTokenIds()) {
            checkLength(weights.embedding(), (long) spec.vocabulary() * spec.inputSize(), "embedding table");
            out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), weights.embedding().clone()));
        } else if (weights.embedding() != null) {
            throw new VlstmFormatException("an embedding table given for a model without a token ids input");
        }
        for (int l = 0; l < spec.layers().size(); l++) {
            LayerSpec layer = spec.layers().get(l);
            List<ModelWeights.DirectionWeights> dirs = weights.layers().get(l);
            if (dirs.size() != layer.direction().count)
                throw new VlstmFormatException("layer " + l + ": weights for " + dirs.size() + " directions, expected " + layer.direction().count);
            int h = layer.hiddenSize(), in = layer.inputSize();
            for (int d = 0; d < dirs.size(); d++) {
                var dw = dirs.get(d);
                String at = "layer " + l + " direction " + d;
                checkLength(dw.w(), 4L * h * in, at + " W");
                checkLength(dw.r(), 4L * h * h, at + " R");
                if (dw.wb() != null) checkLength(dw.wb(), 4L * h, at + " Wb");
                if (dw.rb() != null) checkLength(dw.rb(), 4L * h, at + " Rb");
                out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), PanelPacking.packGates(dw.w(), h, in)));
                out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), PanelPacking.packGates(dw.r(), h, h)));
                out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), PanelPacking.packGateBias(dw.wb(), dw.rb(), h)));
                if (layer.peepholes()) {
                    checkLength(dw.p(), 3L * h, at + " P");
                    out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), packPeepholes(dw.p(), h)));
                } else if (dw.p() != null) {
                    throw new VlstmFormatException(at + ": peephole weights given but the layer has no peepholes flag");
                }
            }
        }
        if (weights.head().size() != spec.head().size())
            throw new VlstmFormatException("weights for " + weights.head().size() + " head operations, spec has " + spec.head().size());
        for (int i = 0; i < spec.head().size(); i++) {
            HeadOp op = spec.head().get(i);
            ModelWeights.HeadWeights hw = weights.head().get(i);
            int units = op.outputSize(), in = op.inputSize();
            String at = "head operation " + i + " (" + op.kind().onnxName + ")";
            switch (op.kind()) {
                case DENSE -> {
                    checkLength(hw.weight(), (long) units * in, at + " weight");
                    if (hw.bias() != null) checkLength(hw.bias(), units, at + " bias");
                    out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), PanelPacking.packRows(hw.weight(), units, in)));
                    out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), PanelPacking.packRowBias(hw.bias(), units)));
                }
                case LAYER_NORM -> {
                    checkLength(hw.weight(), units, at + " scale");
                    if (hw.bias() != null) checkLength(hw.bias(), units, at + " bias");
                    out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), hw.weight().clone()));
                    out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(),
                            hw.bias() == null ? new float[units] : hw.bias().clone()));
                }
                default -> {
                    if (hw.weight() != null || hw.bias() != null)
                        throw new VlstmFormatException(at + ": weights given for an operation that has none");
                }
            }
        }
        IoSpec lengths = spec.input(IoSpec.Role.CONSTANT_SEQUENCE_LENS);
        if (lengths != null) {
            int[] l = weights.sequenceLengths();
            if (l == null || l.length != lengths.shape().getFirst().size())
                throw new VlstmFormatException("constant sequence lengths: " + (l == null ? "missing" : l.length + " values")
                        + ", expected " + lengths.shape().getFirst().size());
            float[] stored = new float[l.length];
            for (int i = 0; i < l.length; i++) {
                if (l[i] < 0 || l[i] > 1 << 24)
                    throw new VlstmFormatException("constant sequence length " + l[i] + " of row " + i + ", expected 0.." + (1 << 24));
                stored[i] = l[i];
            }
            out.add(new Payload(expected.get(e).name(), expected.get(e++).dims(), stored));
        }
        return out;
    }

    /** P[3H] (gates i, o, f) as {@code [panels][3][16]}, zero past H (format-spec.md, "Tensors"). */
    private static float[] packPeepholes(float[] p, int hidden) {
        int panels = FileLayout.panels(hidden);
        float[] out = new float[panels * 3 * PANEL];
        for (int g = 0; g < 3; g++)
            for (int u = 0; u < hidden; u++) out[((u / PANEL) * 3 + g) * PANEL + u % PANEL] = p[g * hidden + u];
        return out;
    }

    private static void checkLength(float[] a, long expected, String what) {
        if (a == null || a.length != expected)
            throw new VlstmFormatException(what + ": " + (a == null ? "missing" : a.length + " values") + ", expected " + expected);
    }
}
