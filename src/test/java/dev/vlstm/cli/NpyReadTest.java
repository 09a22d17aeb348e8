package dev.vlstm.cli;

import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Reads the files real numpy wrote (src/test/resources/npy/make_npy_samples.py). */
class NpyReadTest {
    static Path sample(String name) {
        try {
            return Path.of(NpyReadTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing test resource npy/" + name, e);
        }
    }

    private static float[] range(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return v;
    }

    @Test
    void readsInt64AndInt32TokenIdsWidenedToLong() {
        NpyIds l = Npy.readIds(sample("i8_2x3.npy")), i = Npy.readIds(sample("i4_2x3.npy"));
        assertArrayEquals(new long[] {2, 3}, l.shape());
        assertArrayEquals(new long[] {0, 1, 1L << 40, -3, 4, 5}, l.data());
        assertArrayEquals(new long[] {0, 1, Integer.MAX_VALUE, -3, 4, 5}, i.data());
        String e = assertThrows(NpyException.class, () -> Npy.readIds(sample("u8_2x3.npy"))).getMessage();
        assertTrue(e.contains("dtype '<u8' (uint64); expected '<i8' or '<i4'"), e);
        e = assertThrows(NpyException.class, () -> Npy.readIds(sample("f4_2x3x4.npy"))).getMessage();
        assertTrue(e.contains("dtype '<f4' (float32)"), e);
        e = assertThrows(NpyException.class, () -> Npy.read(sample("i8_2x3.npy"))).getMessage();
        assertTrue(e.contains("dtype '<i8' (int64); expected '<f4'"), e);
    }

    @Test
    void reads3dArrayInCOrder() {
        NpyArray a = Npy.read(sample("f4_2x3x4.npy"));
        assertArrayEquals(new long[] {2, 3, 4}, a.shape());
        float[] expected = new float[24];
        for (int i = 0; i < 24; i++) expected[i] = i / 8f - 1;
        assertArrayEquals(expected, a.data());
    }

    @Test
    void reads1dArrayPreservingSpecialValueBits() {
        NpyArray a = Npy.read(sample("f4_5.npy"));
        assertArrayEquals(new long[] {5}, a.shape());
        float[] expected = {1.5f, -0.0f, 1e-45f, Float.POSITIVE_INFINITY, Float.NaN};
        for (int i = 0; i < 5; i++)
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(a.data()[i]), "element " + i);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(a.data()[1]));
    }

    @Test
    void readsScalarWithEmptyShape() {
        NpyArray a = Npy.read(sample("f4_scalar.npy"));
        assertArrayEquals(new long[0], a.shape());
        assertArrayEquals(new float[] {3.25f}, a.data());
    }

    @Test
    void readsZeroSizedArray() {
        NpyArray a = Npy.read(sample("f4_0x3.npy"));
        assertArrayEquals(new long[] {0, 3}, a.shape());
        assertEquals(0, a.data().length);
    }

    @Test
    void readsVersion2() {
        assertEquals(new NpyArray(new long[] {2, 3}, range(6)), Npy.read(sample("f4_v2_2x3.npy")));
    }

    @Test
    void readsVersion3() {
        assertEquals(new NpyArray(new long[] {2, 3}, range(6)), Npy.read(sample("f4_v3_2x3.npy")));
    }

    @Test
    void rejectsFloat64() {
        NpyException e = assertThrows(NpyException.class, () -> Npy.read(sample("f8_2x3.npy")));
        assertTrue(e.getMessage().contains("f8_2x3.npy"), e.getMessage());
        assertTrue(e.getMessage().contains("dtype '<f8' (float64); expected '<f4' (float32 little-endian)"), e.getMessage());
    }

    @Test
    void rejectsBigEndianFloat32() {
        NpyException e = assertThrows(NpyException.class, () -> Npy.read(sample("f4_big_endian_2x3.npy")));
        assertTrue(e.getMessage().contains("dtype '>f4' (float32 big-endian); expected '<f4' (float32 little-endian)"), e.getMessage());
    }

    @Test
    void rejectsFortranOrder() {
        NpyException e = assertThrows(NpyException.class, () -> Npy.read(sample("f4_fortran_2x3.npy")));
        assertTrue(e.getMessage().contains("f4_fortran_2x3.npy: fortran_order True (column-major); expected False (C order)"), e.getMessage());
    }
}
