package dev.vlstm.onnx.proto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads external tensor data. The location comes from an untrusted model, so it may only name a file inside the
 * model's folder: absolute paths and ".." segments are refused outright, and the file's real path (after symlinks)
 * must stay under the folder's real path. Offset and length are checked against the file and the tensor's size.
 */
final class ExternalData {
    private ExternalData() {}

    static OnnxTensor resolve(OnnxTensor t, Path modelDir) throws IOException {
        OnnxExternalData ext = t.externalData();
        if (ext == null) return t;
        String where = TensorData.describe(t) + ": external data '" + ext.location() + "'";
        int elementSize = OnnxDataType.byteSize(t.dataType());
        if (elementSize == 0)
            throw new OnnxFormatException(where + ": data type " + OnnxDataType.name(t.dataType())
                    + " has no fixed byte size");
        long expected;
        try {
            expected = Math.multiplyExact(TensorData.elementCount(t), elementSize);
        } catch (ArithmeticException e) {
            throw new OnnxFormatException(where + ": tensor too large");
        }
        Path file = insideFolder(ext.location(), modelDir, where);
        byte[] bytes;
        // NOFOLLOW_LINKS on the real path: nothing can swap in a symlink between the check and the open.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            long offset = ext.offset();
            if (offset > size)
                throw new OnnxFormatException(where + ": offset " + offset + " is past the end of the "
                        + size + "-byte file");
            long length = ext.length() < 0 ? size - offset : ext.length();
            if (length > size - offset)
                throw new OnnxFormatException(where + ": offset " + offset + " + length " + length
                        + " runs past the end of the " + size + "-byte file");
            if (length != expected)
                throw new OnnxFormatException(where + ": " + length + " bytes, but dims need " + expected
                        + " bytes of " + OnnxDataType.name(t.dataType()));
            if (length > GrowableArrays.MAX_ARRAY)
                throw new OnnxFormatException(where + ": " + length + " bytes, more than a Java array holds");
            ByteBuffer bb = ByteBuffer.allocate((int) length);
            while (bb.hasRemaining()) {
                if (ch.read(bb, offset + bb.position()) < 0)
                    throw new OnnxFormatException(where + ": file shrank while being read");
            }
            bytes = bb.array();
        }
        return new OnnxTensor(t.name(), t.dataType(), t.dimsRef(), bytes, null, null, null, null, null);
    }

    /** Every external tensor of the model (initializers and TENSOR attributes) loaded. */
    static OnnxModel resolveAll(OnnxModel model, Path modelDir) throws IOException {
        OnnxGraph g = model.graph();
        List<OnnxTensor> initializers = new ArrayList<>();
        for (OnnxTensor t : g.initializers()) initializers.add(resolve(t, modelDir));
        List<OnnxNode> nodes = new ArrayList<>();
        for (OnnxNode n : g.nodes()) {
            Map<String, OnnxAttribute> attrs = new LinkedHashMap<>();
            for (OnnxAttribute a : n.attributes().values()) {
                OnnxTensor t = a.t();
                if (t != null && t.isExternal())
                    a = new OnnxAttribute(a.name(), a.type(), a.f(), a.i(), a.sRef(), resolve(t, modelDir),
                            a.floatsRef(), a.intsRef(), a.stringsRef());
                attrs.put(a.name(), a);
            }
            nodes.add(new OnnxNode(n.name(), n.opType(), n.domain(), n.inputs(), n.outputs(), attrs));
        }
        OnnxGraph resolved = new OnnxGraph(g.name(), nodes, initializers, g.inputs(), g.outputs(), g.valueInfo());
        return new OnnxModel(model.irVersion(), model.producerName(), model.producerVersion(), model.opsets(),
                resolved);
    }

    /** The real path of {@code location} inside {@code modelDir}, or an OnnxFormatException saying why not. */
    static Path insideFolder(String location, Path modelDir, String where) throws IOException {
        // Check the text first, for every platform's syntax, so a refusal does not depend on the host OS.
        if (location.indexOf('\0') >= 0) throw new OnnxFormatException(where + ": location contains a NUL byte");
        if (location.startsWith("/") || location.startsWith("\\") || location.matches("^[A-Za-z]:.*"))
            throw new OnnxFormatException(where + ": absolute paths are not allowed");
        for (String segment : location.split("[/\\\\]"))
            if (segment.equals(".."))
                throw new OnnxFormatException(where + ": '..' segments are not allowed");
        Path relative;
        try {
            relative = Path.of(location);
        } catch (InvalidPathException e) {
            throw new OnnxFormatException(where + ": not a valid path", e);
        }
        if (relative.isAbsolute()) throw new OnnxFormatException(where + ": absolute paths are not allowed");
        Path folder = modelDir.toRealPath();
        Path candidate = folder.resolve(relative);
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (NoSuchFileException e) {
            NoSuchFileException missing = new NoSuchFileException(candidate.toString(), null, where + " not found");
            missing.initCause(e);
            throw missing;
        }
        if (!real.startsWith(folder))
            throw new OnnxFormatException(where + ": resolves to " + real + ", outside the model folder " + folder);
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS))
            throw new OnnxFormatException(where + ": not a regular file");
        return real;
    }
}
