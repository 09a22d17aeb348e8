package dev.vlstm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Every way a .npy file can be broken yields an NpyException naming the file, what was found and what was expected. */
class NpyMalformedTest {
    private static final String GOOD_2X3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

    @TempDir
    Path dir;

    /** A .npy file with the given version, header text (newline added) and payload size. */
    private Path npy(int major, int minor, String header, int payloadBytes) throws IOException {
        byte[] text = (header + "\n").getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        ByteBuffer prefix = ByteBuffer.allocate(major == 1 ? 10 : 12).order(ByteOrder.LITTLE_ENDIAN);
        prefix.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, (byte) minor});
        if (major == 1) prefix.putShort((short) text.length);
        else prefix.putInt(text.length);
        return file(prefix.array(), text, new byte[payloadBytes]);
    }

    private Path npy(String header, int payloadBytes) throws IOException {
        return npy(1, 0, header, payloadBytes);
    }

    private Path file(byte[]... parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.write(p);
        Path file = dir.resolve("bad.npy");
        Files.write(file, out.toByteArray());
        return file;
    }

    private static void assertFails(Path file, String... fragments) {
        assertFails(file, Npy.DEFAULT_MAX_ELEMENTS, fragments);
    }

    private static void assertFails(Path file, long maxElements, String... fragments) {
        NpyException e = assertThrows(NpyException.class, () -> Npy.read(file, maxElements));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), "names the file: " + e.getMessage());
        for (String fragment : fragments) assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' in: " + e.getMessage());
    }

    @Test
    void wellFormedBaselineReads() throws IOException {
        assertEquals(6, Npy.read(npy(GOOD_2X3, 24)).data().length);
    }

    @Test
    void missingFile() {
        assertFails(dir.resolve("nope.npy"), "no such file");
    }

    @Test
    void wrongMagic() throws IOException {
        assertFails(file("PK\3\4 zip".getBytes(StandardCharsets.ISO_8859_1)),
                "not a .npy file: starts with bytes 50 4b 03 04", "zip archive", "expected magic 93 4e 55 4d 50 59");
        assertFails(file("hello world, not numpy".getBytes(StandardCharsets.US_ASCII)), "starts with bytes 68 65 6c 6c");
    }

    @Test
    void tooShortForPreamble() throws IOException {
        assertFails(file(new byte[0]), "file is 0 bytes, too short for the .npy preamble");
        assertFails(file(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 1, 0}), "file is 10 bytes, too short for the 12-byte preamble of version 2.0");
    }

    @Test
    void unsupportedVersion() throws IOException {
        assertFails(npy(4, 0, GOOD_2X3, 24), "unsupported .npy format version 4.0; expected 1.0, 2.0 or 3.0");
        assertFails(npy(1, 1, GOOD_2X3, 24), "version 1.1");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        byte[] preamble = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xE8, 0x03}; // claims 1000 bytes
        assertFails(file(preamble, "{}\n".getBytes(StandardCharsets.US_ASCII)),
                "header length 1000 runs past end of file: header would end at byte 1010 but the file is 13 bytes");
    }

    @Test
    void headerLengthOverCap() throws IOException {
        assertFails(npy(2, 0, GOOD_2X3 + " ".repeat(2 << 20), 24), "exceeds the limit of 1048576 bytes");
    }

    @Test
    void headerNotADict() throws IOException {
        assertFails(npy("[1, 2]", 24), "header is not a valid dict literal: expected '{' at offset 0, found '['");
        assertFails(npy("", 24), "expected '{' at offset 1, found end of header");
    }

    @Test
    void headerWithGarbageAfterDict() throws IOException {
        assertFails(npy(GOOD_2X3 + " x", 24), "expected end of header after the dict", "found 'x'");
    }

    @Test
    void headerSyntaxErrors() throws IOException {
        assertFails(npy("{'descr' '<f4'}", 24), "expected ':' at offset 9, found '''");
        assertFails(npy("{'descr': '<f4", 24), "expected a closing ' for the string");
        assertFails(npy("{'descr': '<\\f4'}", 24), "no backslash escapes");
        assertFails(npy("{'descr': '<f4', 'fortran_order': Falsey}", 24), "expected True or False");
        assertFails(npy("{'descr': '<f4', 'fortran_order': None}", 24), "expected a string, True, False, an int or a tuple", "found 'N'");
        assertFails(npy("{descr: '<f4'}", 24), "expected a quoted key or '}'");
        assertFails(npy("{'descr': '<f4' 'shape': ()}", 24), "expected ',' or '}'");
    }

    @Test
    void structuredDtypeListIsRejected() throws IOException {
        assertFails(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8),
                "expected a string, True, False, an int or a tuple at offset 10, found '['");
    }

    @Test
    void missingKey() throws IOException {
        assertFails(npy("{'descr': '<f4', 'fortran_order': False}", 4),
                "header lacks key 'shape'; expected exactly 'descr', 'fortran_order', 'shape'");
    }

    @Test
    void unexpectedKey() throws IOException {
        assertFails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", 24),
                "header has unexpected key 'extra'; expected exactly 'descr', 'fortran_order', 'shape'");
    }

    @Test
    void duplicateKey() throws IOException {
        assertFails(npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 24), "header has key 'descr' twice");
    }

    @Test
    void wrongValueTypes() throws IOException {
        assertFails(npy("{'descr': True, 'fortran_order': False, 'shape': (2, 3)}", 24), "header 'descr' is True; expected a string such as '<f4'");
        assertFails(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", 24), "header 'fortran_order' is the int 0; expected True or False");
        assertFails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': 6}", 24), "header 'shape' is the int 6; expected a tuple of ints");
        assertFails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': ('2', 3)}", 24), "expected an int or ')' in the shape tuple");
    }

    @Test
    void parenthesizedIntIsNotATuple() throws IOException {
        assertFails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5)}", 20), "'(5)' is an int in Python, a 1-D shape is written (5,)");
    }

    @Test
    void otherDtypes() throws IOException {
        assertFails(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", 24), "dtype '<i4' (int32); expected '<f4' (float32 little-endian)");
        assertFails(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", 6), "dtype '|u1' (uint8)");
        assertFails(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", 12), "dtype '<f2' (float16)");
        assertFails(npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", 48), "dtype '>f8' (float64 big-endian)");
        assertFails(npy("{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2, 3), }", 48), "dtype '<M8[ns]'; expected '<f4'");
    }

    @Test
    void fortranOrder() throws IOException {
        assertFails(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24), "fortran_order True (column-major); expected False (C order)");
    }

    @Test
    void negativeDimension() throws IOException {
        assertFails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 24), "shape (2, -3) has a negative dimension -3; expected dims >= 0");
    }

    @Test
    void dimensionProductOverflows() throws IOException {
        assertFails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", 24),
                "shape (4294967296, 4294967296, 16) has more elements than a 64-bit count holds");
    }

    @Test
    void dimensionTooLargeFor64Bits() throws IOException {
        assertFails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 24),
                "header int 99999999999999999999 does not fit in 64 bits");
    }

    @Test
    void elementCountOverDefaultCapIsRefusedBeforeAllocating() throws IOException {
        // The file holds 24 bytes: the cap must be checked before the payload size, let alone allocation.
        assertFails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (536870913,), }", 24),
                "shape (536870913,) has 536870913 elements; expected at most 536870912 (refusing to allocate)");
    }

    @Test
    void elementCountOverCustomCap() throws IOException {
        assertFails(npy(GOOD_2X3, 24), 5, "shape (2, 3) has 6 elements; expected at most 5");
    }

    @Test
    void truncatedPayload() throws IOException {
        assertFails(npy(GOOD_2X3, 20), "payload is 20 bytes but shape (2, 3) of float32 needs 24 (file truncated)");
    }

    @Test
    void trailingBytes() throws IOException {
        assertFails(npy(GOOD_2X3, 28), "payload is 28 bytes but shape (2, 3) of float32 needs 24 (4 trailing bytes)");
    }

    @Test
    void invalidUtf8InVersion3Header() throws IOException {
        byte[] preamble = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 3, 0, 3, 0, 0, 0};
        assertFails(file(preamble, new byte[] {'{', (byte) 0xC3, '}'}), "version 3.0 header is not valid UTF-8");
    }

    @Test
    void lenientWhereNumpyIsLenient() throws IOException {
        // Double quotes, odd spacing and Python 2 long suffixes (numpy's _filter_header strips them) all read fine.
        Path file = npy("{ \"shape\" : ( 2L ,3L ) ,\n\t\"fortran_order\":False,\"descr\":\"<f4\"}   ", 24);
        assertArrayEquals(new long[] {2, 3}, Npy.read(file).shape());
        assertArrayEquals(new long[0], Npy.read(npy("{'descr': '<f4', 'fortran_order': False, 'shape': ( ), }", 4)).shape());
    }
}
