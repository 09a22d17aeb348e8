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
                        assertEquals(j < 3 ? MODEL.weights().headWeight()[j * 20 + k] : 0f, head[(q * 20 + k) * 16 + j]);
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
        assertEquals(1, le.getShort(8));
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
        var bad = new dev.vlstm.format.ModelWeights(MODEL.weights().layers().subList(0, 1), null, null);
        assertThrows(VlstmFormatException.class, () -> VlstmWriter.write(MODEL.spec(), bad, RandomModels.metadata(), file));
        assertEquals("old", Files.readString(file));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp file may be left behind");
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
        byte[] v2 = withHeaderField(bytes(), 8, (short) 2);
        e = assertThrows(VlstmFormatException.class, () -> VlstmFile.parse(v2, "m"));
        assertTrue(e.getMessage().contains("format version 2.0, this reader reads only 1.x"), e.getMessage());
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
