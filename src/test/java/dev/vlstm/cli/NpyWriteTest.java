package dev.vlstm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class NpyWriteTest {
    @TempDir
    Path dir;

    @Test
    void writesTheSameBytesAsNumpy() throws IOException {
        float[] data = new float[24];
        for (int i = 0; i < 24; i++) data[i] = i / 8f - 1;
        Path ours = dir.resolve("ours.npy");
        Npy.write(ours, new long[] {2, 3, 4}, data);
        assertArrayEquals(Files.readAllBytes(NpyReadTest.sample("f4_2x3x4.npy")), Files.readAllBytes(ours));
    }

    @Test
    void writesScalarAnd1dLikeNumpy() throws IOException {
        Path scalar = dir.resolve("scalar.npy");
        Npy.write(scalar, new long[0], new float[] {3.25f});
        assertArrayEquals(Files.readAllBytes(NpyReadTest.sample("f4_scalar.npy")), Files.readAllBytes(scalar));
        Path empty = dir.resolve("empty.npy");
        Npy.write(empty, new long[] {0, 3}, new float[0]);
        assertArrayEquals(Files.readAllBytes(NpyReadTest.sample("f4_0x3.npy")), Files.readAllBytes(empty));
    }

    @Test
    void dataStartsAt64ByteBoundary() throws IOException {
        for (int rank = 0; rank <= 8; rank++) {
            long[] shape = new long[rank];
            java.util.Arrays.fill(shape, 1);
            Path file = dir.resolve("rank" + rank + ".npy");
            Npy.write(file, shape, new float[] {7});
            assertEquals(0, (Files.size(file) - Float.BYTES) % 64, "rank " + rank);
        }
    }

    @Test
    void roundTripsShapesAndBits() {
        long[][] shapes = {{}, {1}, {5}, {3, 7}, {2, 3, 4}, {0}, {4, 0, 2}, {20000}};
        for (long[] shape : shapes) {
            int n = (int) Npy.elementCount(shape);
            float[] data = new float[n];
            for (int i = 0; i < n; i++) data[i] = Float.intBitsToFloat(0x9E3779B9 * (i + 1)); // arbitrary bit patterns, incl. NaNs
            Path file = dir.resolve("rt.npy");
            Npy.write(file, shape, data);
            NpyArray back = Npy.read(file);
            assertArrayEquals(shape, back.shape());
            for (int i = 0; i < n; i++) assertEquals(Float.floatToRawIntBits(data[i]), Float.floatToRawIntBits(back.data()[i]));
        }
    }

    @Test
    void replacesExistingFileAndLeavesNoTempFiles() throws IOException {
        Path file = dir.resolve("a.npy");
        Files.write(file, new byte[10_000]);
        Npy.write(file, new long[] {2}, new float[] {1, 2});
        assertEquals(new NpyArray(new long[] {2}, new float[] {1, 2}), Npy.read(file));
        assertEquals(1, listDir().length);
    }

    @Test
    void failedMoveDeletesTempAndKeepsDestination() throws IOException {
        Path target = dir.resolve("occupied.npy");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "x"); // a non-empty directory cannot be replaced
        NpyException e = assertThrows(NpyException.class, () -> Npy.write(target, new long[] {1}, new float[] {1}));
        assertTrue(e.getMessage().contains("occupied.npy: cannot write"), e.getMessage());
        assertEquals("x", Files.readString(target.resolve("keep.txt")));
        assertArrayEquals(new String[] {"occupied.npy"}, listDir());
    }

    @Test
    void shapeDataMismatchIsRefusedBeforeTouchingDestination() throws IOException {
        Path file = dir.resolve("old.npy");
        Npy.write(file, new long[] {1}, new float[] {42});
        NpyException e = assertThrows(NpyException.class, () -> Npy.write(file, new long[] {2, 3}, new float[5]));
        assertTrue(e.getMessage().contains("old.npy: cannot write shape (2, 3) (6 elements) with 5 floats"), e.getMessage());
        assertEquals(new NpyArray(new long[] {1}, new float[] {42}), Npy.read(file));
        assertEquals(1, listDir().length);
    }

    @Test
    void negativeDimIsRefused() {
        NpyException e = assertThrows(NpyException.class, () -> Npy.write(dir.resolve("n.npy"), new long[] {-1}, new float[0]));
        assertTrue(e.getMessage().contains("negative dimension -1"), e.getMessage());
    }

    private String[] listDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }
}
