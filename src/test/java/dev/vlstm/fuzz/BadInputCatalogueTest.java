package dev.vlstm.fuzz;

import dev.vlstm.cli.Main;
import dev.vlstm.cli.Npy;
import dev.vlstm.cli.NpyArray;
import dev.vlstm.cli.NpyException;
import dev.vlstm.onnx.ImportException;
import dev.vlstm.onnx.OnnxImporter;
import dev.vlstm.onnx.proto.OnnxAttribute;
import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxFormatException;
import dev.vlstm.onnx.proto.OnnxModel;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxReader;
import dev.vlstm.onnx.proto.OnnxTensor;
import dev.vlstm.onnx.proto.OnnxValueInfo;
import dev.vlstm.onnx.proto.OnnxWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Hostile and broken inputs that the older suites (OnnxReaderMalformedTest, ExternalDataTest, OnnxImporterTest,
 * Npy*Test, CliTest, SessionTest) do not cover yet: one behaviour each, with the exact message a user reads.
 */
class BadInputCatalogueTest {

    // ---- a small valid ONNX model to break: x[seq, batch, 3] -> LSTM(hidden 2) -> Squeeze(axes=[1]) --------------

    private static final class Graph {
        final List<OnnxNode> nodes = new ArrayList<>();
        final List<OnnxTensor> initializers = new ArrayList<>();
        final List<OnnxValueInfo> inputs = new ArrayList<>(List.of(valueInfo("x", OnnxDataType.FLOAT, "seq", "batch", 3)));
        final List<OnnxValueInfo> outputs = new ArrayList<>(List.of(valueInfo("s0", OnnxDataType.FLOAT, "seq", "batch", 2)));

        Graph() {
            initializers.add(floatTensor("W0", new long[]{1, 8, 3}, ramp(24)));
            initializers.add(floatTensor("R0", new long[]{1, 8, 2}, ramp(16)));
            initializers.add(floatTensor("B0", new long[]{1, 16}, ramp(16)));
            nodes.add(namedNode("lstm0", "LSTM", List.of("x", "W0", "R0", "B0"), List.of("y0"), attrInt("hidden_size", 2)));
            nodes.add(namedNode("squeeze0", "Squeeze", List.of("y0"), List.of("s0"), attrInts("axes", 1)));
        }

        Graph replaceInitializer(OnnxTensor t) {
            initializers.replaceAll(old -> old.name().equals(t.name()) ? t : old);
            return this;
        }

        Graph replaceNode(String name, Consumer<List<OnnxNode>> edit) {
            edit.accept(nodes);
            return this;
        }

        OnnxModel build() {
            return model(7, 12, graph("catalogue", nodes, initializers, inputs, outputs));
        }
    }

    private static float[] ramp(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (i % 7 - 3) / 10f;
        return a;
    }

    private static String refusal(OnnxModel m) {
        return assertThrows(ImportException.class, () -> OnnxImporter.importModel(m, "test.onnx", null)).getMessage();
    }

    private static OnnxNode lstmWith(OnnxAttribute... attrs) {
        return namedNode("lstm0", "LSTM", List.of("x", "W0", "R0", "B0"), List.of("y0"), attrs);
    }

    @Test
    void theBaseModelImports() {
        assertEquals(2, OnnxImporter.importModel(new Graph().build(), "test.onnx", null).spec().layers().getFirst().hiddenSize());
    }

    // ---- ONNX: graph structure ---------------------------------------------------------------------------------

    @Test
    void nodesOutOfTopologicalOrderAreRefused() {
        Graph g = new Graph();
        g.nodes.add(g.nodes.removeFirst()); // Squeeze now comes before the LSTM that feeds it
        assertEquals("test.onnx: node 'squeeze0' (Squeeze): input 0 'y0' is not produced by any earlier node, initializer "
                + "or graph input (a dangling input, a cycle, or nodes not in topological order)", refusal(g.build()));
    }

    @Test
    void aValueProducedTwiceIsRefused() {
        Graph g = new Graph();
        g.nodes.add(1, namedNode("again", "Identity", List.of("x"), List.of("y0")));
        assertEquals("test.onnx: node 'again' (Identity): output 'y0' is already defined by an earlier node or initializer",
                refusal(g.build()));
    }

    @Test
    void aNodeOverwritingAnInitializerIsRefused() {
        Graph g = new Graph();
        g.nodes.addFirst(namedNode("clobber", "Identity", List.of("x"), List.of("W0")));
        assertEquals("test.onnx: node 'clobber' (Identity): output 'W0' is already defined by an earlier node or initializer",
                refusal(g.build()));
    }

    @Test
    void aNodeInAnotherDomainIsRefused() {
        Graph g = new Graph();
        OnnxNode n = g.nodes.getFirst();
        g.nodes.set(0, new OnnxNode(n.name(), n.opType(), "com.microsoft", n.inputs(), n.outputs(), n.attributes()));
        assertEquals("test.onnx: node 'lstm0' (LSTM): domain 'com.microsoft' is not supported; expected the default ONNX domain",
                refusal(g.build()));
    }

    @Test
    void anUnnamedNodeIsNamedByItsPosition() {
        Graph g = new Graph();
        g.nodes.add(namedNode("", "HardSwish", List.of("s0"), List.of("r")));
        assertTrue(refusal(g.build()).startsWith("test.onnx: node '#2' (HardSwish): op type HardSwish is not supported;"));
    }

    // ---- ONNX: weights ------------------------------------------------------------------------------------------

    @Test
    void float64WeightsAreRefusedNamingTheDtype() {
        OnnxTensor w = new OnnxTensor("W0", OnnxDataType.DOUBLE, new long[]{1, 8, 3}, new byte[24 * 8], null, null, null, null, null);
        assertEquals("test.onnx: node 'lstm0' (LSTM): input 1 'W0': initializer 'W0' has dtype double; vlstm reads float32 "
                + "weights (and int64 shape constants)", refusal(new Graph().replaceInitializer(w).build()));
    }

    @Test
    void int64WeightsAreRefused() {
        OnnxTensor w = int64Tensor("W0", new long[]{1, 8, 3}, new long[24]);
        assertEquals("test.onnx: node 'lstm0' (LSTM): W must be float32, found an integer tensor (int32 or int64)",
                refusal(new Graph().replaceInitializer(w).build()));
    }

    @Test
    void aWeightPayloadShorterThanItsDimsIsRefused() {
        OnnxTensor w = new OnnxTensor("W0", OnnxDataType.FLOAT, new long[]{1, 8, 3}, new byte[95], null, null, null, null, null);
        assertEquals("test.onnx: initializer 'W0': tensor 'W0': raw_data has 95 bytes, but 24 float elements need 96",
                refusal(new Graph().replaceInitializer(w).build()));
    }

    @Test
    void aWeightClaimingMoreElementsThanAnArrayHoldsIsRefusedBeforeAllocating() {
        OnnxTensor w = new OnnxTensor("W0", OnnxDataType.FLOAT, new long[]{1, 1L << 20, 1L << 20}, new byte[0], null, null, null, null, null);
        assertEquals("test.onnx: initializer 'W0': tensor 'W0' has 1099511627776 elements, more than a Java array holds",
                refusal(new Graph().replaceInitializer(w).build()));
    }

    // ---- ONNX: attributes and shapes ----------------------------------------------------------------------------

    @Test
    void anUnknownAttributeIsRefusedNamingIt() {
        Graph g = new Graph();
        g.nodes.set(0, lstmWith(attrInt("hidden_size", 2), attrInt("frobnicate", 1)));
        assertEquals("test.onnx: node 'lstm0' (LSTM): attribute 'frobnicate' is not supported here (expected only "
                + "[hidden_size, direction, activations, activation_alpha, activation_beta, clip, input_forget, layout])",
                refusal(g.build()));
    }

    @Test
    void anAttributeOfTheWrongTypeIsRefused() {
        Graph g = new Graph();
        g.nodes.set(0, lstmWith(attrFloat("hidden_size", 2f)));
        assertEquals("test.onnx: node 'lstm0' (LSTM): attribute 'hidden_size' is FLOAT, expected INT", refusal(g.build()));
    }

    @Test
    void aHiddenSizeBeyondTheFormatsRangeIsRefused() {
        Graph g = new Graph();
        g.nodes.set(0, lstmWith(attrInt("hidden_size", 1L << 32)));
        assertEquals("test.onnx: node 'lstm0' (LSTM): attribute hidden_size is missing or not in 1..65536", refusal(g.build()));
    }

    @Test
    void aFeatureDimensionBeyondIntIsRefused() {
        Graph g = new Graph();
        g.inputs.set(0, valueInfo("x", OnnxDataType.FLOAT, "seq", "batch", 1L << 31));
        assertEquals("test.onnx: graph input 'x' has shape [seq, batch, 2147483648], expected [seq, batch, features] with a "
                + "fixed number of features (1..2147483647)", refusal(g.build()));
    }

    @Test
    void aHeadWithZeroOutputsIsRefused() {
        Graph g = new Graph();
        g.initializers.add(floatTensor("hw", new long[]{2, 0}, new float[0]));
        g.nodes.add(namedNode("head", "MatMul", List.of("s0", "hw"), List.of("m")));
        g.outputs.set(0, valueInfoNoShape("m", OnnxDataType.FLOAT));
        assertEquals("test.onnx: node 'head' (MatMul): B has shape [2, 0], expected [2, out] with out >= 1", refusal(g.build()));
    }

    @Test
    void anInt64ConstantClaimingBillionsOfElementsIsRefusedBeforeAllocating() {
        // Fuzzer finding crash-41e8a091: the int64 payload was checked only after allocating dims' worth of longs.
        OnnxTensor big = new OnnxTensor("big", OnnxDataType.INT64, new long[]{1L << 28}, new byte[8], null, null, null, null, null);
        Graph g = new Graph();
        g.initializers.add(big);
        assertEquals("test.onnx: initializer 'big': tensor 'big': raw_data has 8 bytes, but 268435456 int64 elements need "
                + "2147483648", refusal(g.build()));
    }

    // ---- ONNX: constant folding (Transpose, Slice, Concat of constants) ------------------------------------------

    @Test
    void aTransposeOfAConstantWithABadPermIsRefusedNamingTheNode() {
        Graph g = new Graph();
        g.nodes.addFirst(namedNode("tr", "Transpose", List.of("W0"), List.of("wt"), attrInts("perm", 0, 1, 7)));
        assertEquals("test.onnx: node 'tr' (Transpose): perm [0, 1, 7] is out of range", refusal(g.build()));
    }

    @Test
    void aSliceOfAConstantWithTooFewStepsIsRefused() {
        Graph g = new Graph();
        g.initializers.add(int64Tensor("starts", new long[]{2}, new long[]{0, 0}));
        g.initializers.add(int64Tensor("ends", new long[]{2}, new long[]{1, 4}));
        g.initializers.add(int64Tensor("axes", new long[]{2}, new long[]{0, 1}));
        g.initializers.add(int64Tensor("steps", new long[]{1}, new long[]{1}));
        g.nodes.addFirst(namedNode("sl", "Slice", List.of("W0", "starts", "ends", "axes", "steps"), List.of("ws")));
        assertEquals("test.onnx: node 'sl' (Slice): starts, ends, axes and steps differ in length", refusal(g.build()));
    }

    @Test
    void aSliceWithStartsButNoEndsIsRefused() {
        // Fuzzer finding crash-f64fd05c: a NullPointerException.
        Graph g = new Graph();
        g.nodes.addFirst(namedNode("sl", "Slice", List.of("W0"), List.of("ws"), attrInts("starts", 0)));
        assertEquals("test.onnx: node 'sl' (Slice): attribute 'starts' without 'ends'", refusal(g.build()));
    }

    @Test
    void aLayoutAttributeOfTheWrongTypeIsRefusedNamingTheFile() {
        Graph g = new Graph();
        g.nodes.set(0, lstmWith(attrInt("hidden_size", 2), attrFloat("layout", 1f)));
        assertEquals("test.onnx: attribute 'layout' is FLOAT, expected INT", refusal(g.build()));
    }

    /** 30 Concat nodes, each doubling the previous constant: 2^30 elements from one 4-byte tensor. */
    private static Graph doublingConcats(OnnxTensor seed) {
        Graph g = new Graph();
        g.initializers.add(seed);
        String prefix = seed.name().substring(0, 1);
        for (int i = 1; i <= 30; i++)
            g.nodes.add(i - 1, namedNode("double" + i, "Concat", List.of(prefix + (i - 1), prefix + (i - 1)),
                    List.of(prefix + i), attrInt("axis", 0)));
        return g;
    }

    @Test
    void concatenatingAConstantWithItselfOverAndOverIsRefusedBeforeExhaustingMemory() {
        // Refused at 2^27 - 2 elements held in all (2 + 4 + ... + 2^26), before any of them reaches a gigabyte.
        assertEquals("test.onnx: node 'double26' (Concat): constant folding would hold 134217726 elements, more than "
                + "67108864; refusing", refusal(doublingConcats(floatTensor("c0", new long[]{1}, new float[]{1})).build()));
    }

    @Test
    void concatenatingAShapeVectorWithItselfOverAndOverIsRefused() {
        assertEquals("test.onnx: node 'double11' (Concat): a shape vector of 2048 elements; expected at most 1024",
                refusal(doublingConcats(int64Tensor("v0", new long[]{1}, new long[]{1})).build()));
    }

    // ---- ONNX: external data, through the importer --------------------------------------------------------------

    private static OnnxTensor externalW(String location) {
        return externalTensor("W0", OnnxDataType.FLOAT, new long[]{1, 8, 3}, location, 0, 96);
    }

    @Test
    void externalDataWithoutAModelFolderIsRefused() {
        assertEquals("test.onnx: initializer 'W0' uses external data, which needs the model's folder",
                refusal(new Graph().replaceInitializer(externalW("w.bin")).build()));
    }

    @Test
    void externalDataAtAnAbsolutePathIsRefusedNamingTheInitializer(@TempDir Path dir) throws IOException {
        Path onnx = dir.resolve("m.onnx");
        OnnxWriter.write(new Graph().replaceInitializer(externalW("/etc/passwd")).build(), onnx);
        ImportException e = assertThrows(ImportException.class, () -> OnnxImporter.importFile(onnx));
        assertEquals(onnx + ": initializer 'W0': tensor 'W0': external data '/etc/passwd': absolute paths are not allowed",
                e.getMessage());
    }

    @Test
    void externalDataThroughASymlinkOutOfTheFolderFailsTheCliConvert(@TempDir Path dir) throws IOException {
        Path modelDir = Files.createDirectory(dir.resolve("model")), secret = dir.resolve("secret.bin");
        Files.write(secret, new byte[96]);
        try {
            Files.createSymbolicLink(modelDir.resolve("w.bin"), secret);
        } catch (UnsupportedOperationException | IOException e) {
            assumeTrue(false, "symlinks unsupported: " + e);
        }
        Path onnx = modelDir.resolve("m.onnx"), out = dir.resolve("m.vlstm");
        OnnxWriter.write(new Graph().replaceInitializer(externalW("w.bin")).build(), onnx);
        Cli r = cli("convert", onnx.toString(), out.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + onnx + ": initializer 'W0': tensor 'W0': external data 'w.bin': resolves to "
                + secret.toRealPath() + ", outside the model folder " + modelDir.toRealPath() + "\n", r.err);
        assertFalse(Files.exists(out), "nothing is written for a refused model");
    }

    @Test
    void aMissingExternalDataFileIsOneCliErrorNamingIt(@TempDir Path dir) throws IOException {
        Path onnx = dir.resolve("m.onnx");
        OnnxWriter.write(new Graph().replaceInitializer(externalW("w.bin")).build(), onnx);
        Cli r = cli("convert", onnx.toString(), dir.resolve("m.vlstm").toString());
        assertEquals(1, r.code);
        assertEquals("error: " + onnx + ": initializer 'W0': " + dir.toRealPath().resolve("w.bin")
                + ": tensor 'W0': external data 'w.bin' not found\n", r.err);
    }

    // ---- ONNX: protobuf bytes the older suites do not build ------------------------------------------------------

    /** Minimal protobuf encoder: varint fields and length-delimited fields. */
    private static final class Pb {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pb varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Pb field(int number, int wireType) {
            return varint(((long) number << 3) | wireType);
        }

        Pb varintField(int number, long v) {
            return field(number, 0).varint(v);
        }

        Pb bytesField(int number, byte[] b) {
            field(number, 2).varint(b.length);
            out.writeBytes(b);
            return this;
        }

        Pb stringField(int number, String s) {
            return bytesField(number, s.getBytes(StandardCharsets.UTF_8));
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** ir_version 8, opset 12, and the given GraphProto bytes. */
    private static byte[] modelWithGraph(byte[] graph) {
        return new Pb().varintField(1, 8).bytesField(8, new Pb().varintField(2, 12).bytes()).bytesField(7, graph).bytes();
    }

    private static String readRefusal(byte[] bytes) {
        return assertThrows(OnnxFormatException.class, () -> OnnxReader.read(bytes, "bad.onnx")).getMessage();
    }

    @Test
    void aTagBeyond32BitsIsRefused() {
        assertEquals("bad.onnx: model: invalid tag 34359738368", readRefusal(new Pb().varint(1L << 35).bytes()));
    }

    @Test
    void anAttributeWithTwoTensorsIsRefused() {
        byte[] tensor = new Pb().varintField(2, OnnxDataType.FLOAT).bytes();
        byte[] attr = new Pb().stringField(1, "value").bytesField(5, tensor).bytesField(5, tensor).bytes();
        byte[] node = new Pb().stringField(4, "Constant").bytesField(5, attr).bytes();
        assertEquals("bad.onnx: graph.node[0].attribute[0].t: tensor appears twice",
                readRefusal(modelWithGraph(new Pb().bytesField(1, node).bytes())));
    }

    @Test
    void aPackedFloatFieldLongerThanItsTensorIsCaughtAtImport() {
        // The reader keeps what the file says; the count check against dims happens when the weight is used.
        OnnxTensor w = new OnnxTensor("W0", OnnxDataType.FLOAT, new long[]{1, 8, 3}, null, new float[25], null, null, null, null);
        assertEquals("test.onnx: initializer 'W0': tensor 'W0': float_data has 25 values, but dims [1, 8, 3] need 24",
                refusal(new Graph().replaceInitializer(w).build()));
    }

    // ---- CLI: what a hostile file can put in an error line --------------------------------------------------------

    private record Cli(int code, String out, String err) {
    }

    private static Cli cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Cli(code, out.toString(), err.toString());
    }

    @Test
    void controlCharactersFromAFileAreEscapedInCliErrors(@TempDir Path dir) throws IOException {
        Graph g = new Graph();
        g.nodes.add(namedNode("evil\n\u001b[2J\u001b]0;pwned\u0007", "HardSwish", List.of("s0"), List.of("r")));
        Path onnx = dir.resolve("m.onnx");
        OnnxWriter.write(g.build(), onnx);
        Cli r = cli("convert", onnx.toString(), dir.resolve("m.vlstm").toString());
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("error: " + onnx + ": node 'evil\\n\\u001b[2J\\u001b]0;pwned\\u0007' (HardSwish): op type HardSwish"),
                r.err);
        assertEquals(1, r.err.lines().count(), "one line, whatever the file holds: " + r.err);
        assertFalse(r.err.chars().anyMatch(c -> c < 0x20 && c != '\n'), "no control character reaches the terminal");
    }

    // ---- CLI run: inputs of the wrong size and special values ------------------------------------------------------

    /** The tiny seed model (input 3, hidden 2, head 2; input 'images', output 'prob') converted into {@code dir}. */
    private static Path tinyModel(Path dir) throws IOException {
        Path onnx = dir.resolve("tiny.onnx"), vlstm = dir.resolve("tiny.vlstm");
        try (InputStream in = BadInputCatalogueTest.class.getResourceAsStream("/fuzz/onnx/gemm_head_opset12.onnx")) {
            Files.write(onnx, in.readAllBytes());
        }
        Cli c = cli("convert", onnx.toString(), vlstm.toString());
        assertEquals(0, c.code, c.err);
        return vlstm;
    }

    @Test
    void anInputOfRankTwoIsRefusedNamingTheExpectedShape(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), x = dir.resolve("x.npy");
        Npy.write(x, new long[]{2, 3}, new float[6]);
        Cli r = cli("run", model.toString(), "--in", x.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + x + ": shape [2, 3], expected [seq, batch, 3] for input 'images' of " + model + "\n", r.err);
    }

    @Test
    void anEmptySequenceIsRefused(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), x = dir.resolve("x.npy");
        Npy.write(x, new long[]{0, 1, 3}, new float[0]);
        Cli r = cli("run", model.toString(), "--in", x.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + x + ": shape [0, 1, 3], expected [seq, batch, 3] for input 'images' of " + model + "\n", r.err);
    }

    @Test
    void aReferenceOfTheWrongShapeIsRefused(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), x = dir.resolve("x.npy"), e = dir.resolve("e.npy");
        Npy.write(x, new long[]{2, 1, 3}, new float[6]);
        Npy.write(e, new long[]{2, 1, 3}, new float[6]);
        Cli r = cli("run", model.toString(), "--in", x.toString(), "--expect", e.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + e + ": shape [2, 1, 3], expected [2, 1, 2] for output 'prob'\n", r.err);
    }

    @Test
    void nanAndInfinityInputsRunThroughTheCliAndPropagate(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
        Npy.write(x, new long[]{3, 1, 3}, new float[]{Float.NaN, 0, 0, Float.POSITIVE_INFINITY, 1, 1, 0.5f, Float.NEGATIVE_INFINITY, 0});
        Cli r = cli("run", model.toString(), "--in", x.toString(), "--out", y.toString());
        assertEquals(0, r.code, r.err);
        NpyArray out = Npy.read(y);
        assertArrayEquals(new long[]{3, 1, 2}, out.shape());
        // A NaN input makes the state NaN from that step on, as in PyTorch; nothing throws.
        for (float v : out.data()) assertTrue(Float.isNaN(v), "NaN propagates through the state: " + v);
    }

    // ---- .npy --------------------------------------------------------------------------------------------------

    private static String npyRefusal(Path file) {
        return assertThrows(NpyException.class, () -> Npy.read(file)).getMessage();
    }

    private static byte[] preamble(int major, long headerLength) {
        ByteBuffer b = ByteBuffer.allocate(major == 1 ? 10 : 12).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) headerLength);
        else b.putInt((int) headerLength);
        return b.array();
    }

    @Test
    void aOneByteFileIsNotANpyFile(@TempDir Path dir) throws IOException {
        Path f = Files.write(dir.resolve("p.npy"), new byte[]{'P'}); // fuzzer finding: looked for "PK" past the end
        assertEquals(f + ": not a .npy file: starts with bytes 50; expected magic 93 4e 55 4d 50 59 (\\x93NUMPY)", npyRefusal(f));
    }

    @Test
    void theMagicAloneIsTooShort(@TempDir Path dir) throws IOException {
        Path f = Files.write(dir.resolve("m.npy"), new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'});
        assertEquals(f + ": file is 6 bytes, too short for the .npy preamble (at least 10 bytes)", npyRefusal(f));
    }

    @Test
    void aVersion2HeaderLengthOfFourGigabytesIsRefusedBeforeReading(@TempDir Path dir) throws IOException {
        Path f = Files.write(dir.resolve("h.npy"), preamble(2, 0xFFFF_FFFFL));
        assertEquals(f + ": header length 4294967295 runs past end of file: header would end at byte 4294967307 but the "
                + "file is 12 bytes", npyRefusal(f));
    }

    @Test
    void aDirectoryIsRefusedAsUnreadable(@TempDir Path dir) {
        String m = npyRefusal(dir);
        assertTrue(m.startsWith(dir + ": "), m);
    }

    @Test
    void aZeroDimensionBesideAHugeOneReadsAsAnEmptyArray(@TempDir Path dir) throws IOException {
        byte[] header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 9223372036854775807), }\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(preamble(1, header.length));
        b.writeBytes(header);
        Path f = Files.write(dir.resolve("z.npy"), b.toByteArray());
        NpyArray a = Npy.read(f);
        assertArrayEquals(new long[]{0, Long.MAX_VALUE}, a.shape());
        assertEquals(0, a.data().length);
    }

    @Test
    void aNulInTheDtypeIsShownEscaped(@TempDir Path dir) throws IOException {
        byte[] header = "{'descr': '<f4\0', 'fortran_order': False, 'shape': (1,), }\n".getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(preamble(1, header.length));
        b.writeBytes(header);
        b.writeBytes(new byte[4]);
        Path f = Files.write(dir.resolve("nul.npy"), b.toByteArray());
        Map<String, String> seen = new LinkedHashMap<>();
        seen.put("api", npyRefusal(f));
        seen.put("cli", cli("run", tinyModel(dir).toString(), "--in", f.toString()).err);
        assertEquals(f + ": dtype '<f4\0'; expected '<f4' (float32 little-endian)", seen.get("api"));
        assertEquals("error: " + f + ": dtype '<f4\\u0000'; expected '<f4' (float32 little-endian)\n", seen.get("cli"));
    }
}
