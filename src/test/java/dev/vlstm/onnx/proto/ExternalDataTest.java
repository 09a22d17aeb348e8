package dev.vlstm.onnx.proto;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** External data stays inside the model's folder and matches the tensor's size. */
class ExternalDataTest {
    @TempDir Path tmp;
    Path modelDir;
    static final float[] VALUES = {1, 2, 3, 4};

    @BeforeEach
    void setUp() throws IOException {
        modelDir = Files.createDirectory(tmp.resolve("model"));
        Files.createDirectory(modelDir.resolve("sub"));
        // 8 bytes of padding, then the four floats
        Files.write(modelDir.resolve("sub/w.bin"), floatBytes(8, VALUES));
        Files.write(tmp.resolve("outside.bin"), floatBytes(0, VALUES));
    }

    private static byte[] floatBytes(int pad, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(pad + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.position(pad);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    private static OnnxTensor ext(String location, long offset, long length) {
        return externalTensor("w", OnnxDataType.FLOAT, new long[] {2, 2}, location, offset, length);
    }

    private String refused(OnnxTensor t) {
        return assertThrows(OnnxFormatException.class, () -> t.resolve(modelDir)).getMessage();
    }

    private boolean symlink(Path link, Path target) {
        try {
            Files.createSymbolicLink(link, target);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Test
    void validReference() throws IOException {
        OnnxTensor resolved = ext("sub/w.bin", 8, 16).resolve(modelDir);
        assertFalse(resolved.isExternal());
        assertArrayEquals(VALUES, resolved.toFloats());
        assertEquals("w", resolved.name());
        // without a length, the data runs to the end of the file
        assertArrayEquals(VALUES, ext("sub/w.bin", 8, -1).resolve(modelDir).toFloats());
        assertArrayEquals(VALUES, ext("./sub//w.bin", 8, 16).resolve(modelDir).toFloats());
        // a non-external tensor is returned as is
        OnnxTensor inline = floatTensor("x", new long[] {1}, new float[] {1});
        assertSame(inline, inline.resolve(modelDir));
    }

    @Test
    void wholeModelThroughWriterAndReader() throws IOException {
        OnnxTensor constant = externalTensor("c", OnnxDataType.FLOAT, new long[] {4}, "sub/w.bin", 8, 16);
        OnnxModel model = model(8, 17, graph("g",
                List.of(node("Constant", List.of(), List.of("c"), attrTensor("value", constant))),
                List.of(ext("sub/w.bin", 8, 16)), List.of(), List.of(valueInfo("c", OnnxDataType.FLOAT, 4))));
        Path file = modelDir.resolve("m.onnx");
        OnnxWriter.write(model, file);
        OnnxModel read = OnnxReader.read(file);
        assertEquals(model, read);
        OnnxModel resolved = read.resolveExternalData(file.getParent());
        assertArrayEquals(VALUES, resolved.graph().initializer("w").toFloats());
        assertArrayEquals(VALUES, resolved.graph().nodes().get(0).attribute("value").asTensor().toFloats());
    }

    @Test
    void absolutePathsAreRefused() {
        String abs = modelDir.resolve("sub/w.bin").toAbsolutePath().toString();
        assertEquals("tensor 'w': external data '" + abs + "': absolute paths are not allowed",
                refused(ext(abs, 8, 16)));
        assertTrue(refused(ext("\\\\server\\share\\w.bin", 0, 16)).endsWith("absolute paths are not allowed"));
        assertTrue(refused(ext("C:\\w.bin", 0, 16)).endsWith("absolute paths are not allowed"));
        assertTrue(refused(ext("c:w.bin", 0, 16)).endsWith("absolute paths are not allowed"));
    }

    @Test
    void dotDotSegmentsAreRefused() {
        assertEquals("tensor 'w': external data '../outside.bin': '..' segments are not allowed",
                refused(ext("../outside.bin", 0, 16)));
        assertTrue(refused(ext("sub/../sub/w.bin", 8, 16)).endsWith("'..' segments are not allowed"));
        assertTrue(refused(ext("sub\\..\\..\\outside.bin", 0, 16)).endsWith("'..' segments are not allowed"));
        // ".." inside a name is not a segment
        assertThrows(NoSuchFileException.class, () -> ext("w..bin", 0, 16).resolve(modelDir));
    }

    @Test
    void symlinkLeavingTheFolderIsRefused() throws IOException {
        assumeTrue(symlink(modelDir.resolve("link.bin"), tmp.resolve("outside.bin")), "symlinks unsupported");
        String msg = refused(ext("link.bin", 0, 16));
        assertTrue(msg.startsWith("tensor 'w': external data 'link.bin': resolves to "), msg);
        assertTrue(msg.contains("outside the model folder"), msg);
        // a symlinked directory leading out is refused too
        Files.createDirectory(tmp.resolve("elsewhere"));
        Files.write(tmp.resolve("elsewhere/w.bin"), floatBytes(0, VALUES));
        assertTrue(symlink(modelDir.resolve("dirlink"), tmp.resolve("elsewhere")));
        assertTrue(refused(ext("dirlink/w.bin", 0, 16)).contains("outside the model folder"));
    }

    @Test
    void symlinksInsideTheFolderAreFine() throws IOException {
        assumeTrue(symlink(modelDir.resolve("alias.bin"), modelDir.resolve("sub/w.bin")), "symlinks unsupported");
        assertArrayEquals(VALUES, ext("alias.bin", 8, 16).resolve(modelDir).toFloats());
        // and the model folder itself may be reached through a symlink
        Path linkedDir = tmp.resolve("linked-model");
        assertTrue(symlink(linkedDir, modelDir));
        assertArrayEquals(VALUES, ext("sub/w.bin", 8, 16).resolve(linkedDir).toFloats());
    }

    @Test
    void offsetAndLengthAreChecked() {
        assertEquals("tensor 'w': external data 'sub/w.bin': offset 100 is past the end of the 24-byte file",
                refused(ext("sub/w.bin", 100, 16)));
        assertEquals("tensor 'w': external data 'sub/w.bin': offset 16 + length 16 runs past the end of the "
                + "24-byte file", refused(ext("sub/w.bin", 16, 16)));
        assertEquals("tensor 'w': external data 'sub/w.bin': 12 bytes, but dims need 16 bytes of float",
                refused(ext("sub/w.bin", 8, 12)));
        assertEquals("tensor 'w': external data 'sub/w.bin': 20 bytes, but dims need 16 bytes of float",
                refused(ext("sub/w.bin", 4, -1)));
    }

    @Test
    void otherRefusals() {
        assertThrows(NoSuchFileException.class, () -> ext("missing.bin", 0, 16).resolve(modelDir));
        assertEquals("tensor 'w': external data 'sub': not a regular file", refused(ext("sub", 0, 16)));
        OnnxTensor str = externalTensor("s", OnnxDataType.STRING, new long[] {1}, "sub/w.bin", 0, 16);
        assertEquals("tensor 's': external data 'sub/w.bin': data type string has no fixed byte size",
                refused(str));
        assertTrue(refused(ext("a\0b", 0, 16)).endsWith("location contains a NUL byte"));
    }
}
