package dev.vlstm.format;

import dev.vlstm.RandomModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.*;

/** The writer and reader against format-spec.md: round trip, layout rules, and refusal of broken files. */
class VlstmFileTest {

    private static final RandomModels.Built MODEL = RandomModels.build(11, 5, new int[]{13, 20}, 3, true);

    private static byte[] bytes() {
        return VlstmWriter.toBytes(MODEL.spec(), MODEL.weights(), RandomModels.metadata());
    }

    @Test
    void roundTripKeepsSpecMetadataAndEveryWeight() {
        try (VlstmFile f = VlstmFile.parse(bytes(), "m.vlstm")) {
            assertEquals(MODEL.spec(), f.spec());
            assertEquals(RandomModels.metadata(), f.metadata());
            for (int l = 0; l < 2; l++) {
                int h = MODEL.spec().layers().get(l).hiddenSize(), in = MODEL.spec().layers().get(l).inputSize();
                var w = MODEL.weights().layers().get(l).getFirst();
                assertGatePanels(f.tensorFloats("l" + l + ".d0.w"), w.w(), h, in);
                assertGatePanels(f.tensorFloats("l" + l + ".d0.r"), w.r(), h, h);
                float[] b = f.tensorFloats("l" + l + ".d0.b");
                for (int q = 0; q * 16 < h; q++)
                    for (int g = 0; g < 4; g++)
                        for (int j = 0; j < 16; j++) {
                            int u = 16 * q + j;
                            float expected = u < h ? w.wb()[g * h + u] + w.rb()[g * h + u] : 0f;
                            assertEquals(expected, b[(q * 4 + g) * 16 + j], "bias panel " + q + " gate " + g + " lane " + j);
                        }
            }
            float[] head = f.tensorFloats("head.w");
            for (int q = 0; q < 1; q++)
                for (int k = 0; k < 20; k++)
                    for (int j = 0; j < 16; j++)
                        assertEquals(j < 3 ? MODEL.weights().head().getFirst().weight()[j * 20 + k] : 0f, head[(q * 20 + k) * 16 + j]);
        }
    }

    /** format-spec.md: element [q][k][g][j] = W[g*H + 16q + j][k], zero past H. */
    private static void assertGatePanels(float[] packed, float[] w, int h, int k) {
        int panels = (h + 15) / 16;
        assertEquals(panels * k * 4 * 16, packed.length);
        for (int q = 0; q < panels; q++)
            for (int kk = 0; kk < k; kk++)
                for (int g = 0; g < 4; g++)
                    for (int j = 0; j < 16; j++) {
                        int u = 16 * q + j;
                        assertEquals(u < h ? w[(g * h + u) * k + kk] : 0f, packed[((q * k + kk) * 4 + g) * 16 + j]);
                    }
    }

    @Test
    void headerFieldsAndAlignmentFollowTheSpec() {
        byte[] b = bytes();
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertArrayEquals(new byte[]{(byte) 0x89, 'V', 'L', 'S', 'T', 'M', 0x0D, 0x0A}, Arrays.copyOf(b, 8));
        assertEquals(2, le.getShort(8));
        assertEquals(0, le.getShort(10));
        assertEquals(64, le.getInt(12));
        assertEquals(b.length, le.getLong(16));
        assertEquals(64, le.getInt(24));
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 60);
        assertEquals((int) crc.getValue(), le.getInt(60));
        try (VlstmFile f = VlstmFile.parse(b, "m")) {
            assertEquals(8, f.entries().size());
            for (var e : f.entries().values()) assertEquals(0, e.offset() % 64, e.name() + " must be 64-byte aligned");
        }
    }

    @Test
    void crc32cIsTheCastagnoliCheckValue() {
        CRC32C c = new CRC32C();
        c.update("123456789".getBytes());
        assertEquals(0xE3069283L, c.getValue(), "format-spec.md's check value");
    }

    @Test
    void writeIsAtomicAndMapReadsTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.vlstm");
        Files.writeString(file, "old");
        VlstmWriter.write(MODEL.spec(), MODEL.weights(), RandomModels.metadata(), file);
        try (VlstmFile f = VlstmFile.map(file)) {
            assertEquals(MODEL.spec(), f.spec());
        }
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp file may be left behind");
        }
    }

    @Test
    void aFailingWriteLeavesTheOldFileUntouched(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.vlstm");
        Files.writeString(file, "old");
        var bad = new dev.vlstm.format.ModelWeights(MODEL.weights().layers().subList(0, 1), java.util.List.of());
        assertThrows(VlstmFormatException.class, () -> VlstmWriter.write(MODEL.spec(), bad, RandomModels.metadata(), file));
        assertEquals("old", Files.readString(file));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp file may be left behind");
        }
    }

    /** The disk fails after n bytes, at every section boundary and inside payloads: the old file stays, no temp file. */
    @Test
    void aWriteFailingMidWayLeavesTheOldFileUntouched(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.vlstm");
        Files.writeString(file, "old");
        int total = bytes().length;
        for (int failAt : new int[]{0, 1, 64, 200, 1000, total / 2, total - 1}) {
            var e = assertThrows(IOException.class, () -> VlstmWriter.write(MODEL.spec(), MODEL.weights(), RandomModels.metadata(), file,
                    ch -> new java.nio.channels.WritableByteChannel() {
                        long written;

                        public int write(java.nio.ByteBuffer src) throws IOException {
                            if (written + src.remaining() > failAt) throw new IOException("disk full (simulated at byte " + failAt + ")");
                            written += src.remaining();
                            return ch.write(src);
                        }

                        public boolean isOpen() {
                            return ch.isOpen();
                        }

                        public void close() throws IOException {
                            ch.close();
                        }
                    }));
            assertTrue(e.getMessage().contains("simulated"), e.getMessage());
            assertEquals("old", Files.readString(file), "after a failure at byte " + failAt);
            try (var s = Files.list(dir)) {
                assertEquals(1, s.count(), "no temp file may be left behind (failure at byte " + failAt + ")");
            }
        }
    }

    @Test
    void everyTruncationIsRefusedWithAMessage() {
        byte[] b = bytes();
        for (int n = 0; n < b.length; n += (n < 1024 ? 1 : 61)) {
            byte[] cut = Arrays.copyOf(b, n);
            var e = assertThrows(VlstmFormatException.class, () -> VlstmFile.parse(cut, "cut.vlstm").close(), "length " + n);
            assertTrue(e.getMessage().startsWith("cut.vlstm: "), e.getMessage());
        }
    }

    @Test
    void everySingleByteCorruptionIsDetected() {
        byte[] b = bytes();
        for (int i = 0; i < b.length; i += (i < 2048 ? 1 : 97)) {
            byte[] bad = b.clone();
            bad[i] ^= 0x10;
            assertThrows(VlstmFormatException.class, () -> VlstmFile.parse(bad, "bad.vlstm").close(), "byte " + i);
        }
    }

    @Test
    void wrongMagicAndOtherMajorVersionsAreNamed() {
        byte[] b = bytes();
        b[1] = 'X';
        var e = assertThrows(VlstmFormatException.class, () -> VlstmFile.parse(b, "m"));
        assertTrue(e.getMessage().contains("not a .vlstm file"), e.getMessage());
        byte[] v3 = withHeaderField(bytes(), 8, (short) 3);
        e = assertThrows(VlstmFormatException.class, () -> VlstmFile.parse(v3, "m"));
        assertTrue(e.getMessage().contains("format version 3.0, this reader reads 1.x to 2.x"), e.getMessage());
        byte[] v0 = withHeaderField(bytes(), 8, (short) 0);
        e = assertThrows(VlstmFormatException.class, () -> VlstmFile.parse(v0, "m"));
        assertTrue(e.getMessage().contains("format version 0.0"), e.getMessage());
    }

    /** A file written by vlstm 0.1 (format 1.0, committed before format 2.0 existed) still loads and reads the same. */
    @Test
    void aVersionOneFileStillLoads() throws IOException {
        try (VlstmFile f = VlstmFile.map(Path.of("src/test/resources/format/lstm16-v1.0.vlstm"))) {
            assertEquals(1, f.majorVersion());
            assertEquals(2, f.spec().layers().size());
            assertEquals(GateActivations.DEFAULT, f.spec().layers().getFirst().activations().getFirst());
            assertEquals("images", f.spec().inputs().getFirst().name());
            assertEquals(13, f.spec().outputSize());
        }
    }

    @Test
    void aBidirectionalPeepholeLayerRoundTrips() {
        var acts = new GateActivations(new Activation(Activation.Kind.HARD_SIGMOID, 0.2f, 0.5f), Activation.TANH,
                new Activation(Activation.Kind.LEAKY_RELU, 0.01f, 0));
        LayerSpec layer = new LayerSpec(3, 5, Direction.BIDIRECTIONAL, 2.5f, true, true, java.util.List.of(GateActivations.DEFAULT, acts));
        var rnd = new java.util.Random(1);
        var dw = new ModelWeights.DirectionWeights(RandomModels.uniform(rnd, 60, 1), RandomModels.uniform(rnd, 100, 1),
                null, null, RandomModels.uniform(rnd, 15, 1));
        IoSpec in = new IoSpec(IoSpec.Role.SEQUENCE_INPUT, "x", java.util.List.of(IoSpec.Dim.free("s"), IoSpec.Dim.free("b"), IoSpec.Dim.fixed(3)));
        IoSpec out = new IoSpec(IoSpec.Role.FINAL_H, "h_n", java.util.List.of(IoSpec.Dim.fixed(2), IoSpec.Dim.free("b"), IoSpec.Dim.fixed(5)));
        ModelSpec spec = new ModelSpec(java.util.List.of(layer), SequenceLayout.BATCH_SEQ, StateLayout.LAYER_MAJOR, null,
                java.util.List.of(in), java.util.List.of(out));
        byte[] b = VlstmWriter.toBytes(spec, new ModelWeights(java.util.List.of(java.util.List.of(dw, dw)), java.util.List.of()), RandomModels.metadata());
        try (VlstmFile f = VlstmFile.parse(b, "bi")) {
            assertEquals(spec, f.spec());
            float[] p = f.tensorFloats("l0.d1.p");
            for (int g = 0; g < 3; g++) for (int u = 0; u < 5; u++) assertEquals(dw.p()[g * 5 + u], p[g * 16 + u]);
        }
    }

    @Test
    void aNewerMinorVersionWithKnownFeaturesIsRead() {
        byte[] b = withHeaderField(bytes(), 10, (short) 7);
        try (VlstmFile f = VlstmFile.parse(b, "m")) {
            assertEquals(MODEL.spec(), f.spec());
        }
    }

    /** Sets a u16 header field and recomputes the header CRC, so only the field's meaning is tested. */
    private static byte[] withHeaderField(byte[] b, int offset, short value) {
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        le.putShort(offset, value);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 60);
        le.putInt(60, (int) crc.getValue());
        return b;
    }
}
