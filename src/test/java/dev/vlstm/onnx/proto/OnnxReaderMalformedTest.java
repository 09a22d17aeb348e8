package dev.vlstm.onnx.proto;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile inputs must end in OnnxFormatException naming source and field, never in another exception. */
class OnnxReaderMalformedTest {

    private static OnnxFormatException fails(byte[] bytes) {
        return assertThrows(OnnxFormatException.class, () -> OnnxReader.read(bytes, "bad.onnx"));
    }

    private static void assertMessage(String expected, byte[] bytes) {
        assertEquals(expected, fails(bytes).getMessage());
    }

    /** A graph holding one node, for placing broken bytes at a known path. */
    private static byte[] withNode(WireBytes node) {
        return WireBytes.model(new WireBytes().messageField(1, new WireBytes().stringField(4, "Relu"))
                .messageField(1, node));
    }

    @Test
    void truncatedAtEveryByte() throws IOException {
        byte[][] models = {
            Files.readAllBytes(ProtoSampleTest.resource("proto_sample.onnx")),
            Files.readAllBytes(ProtoSampleTest.resource("proto_if_subgraph.onnx")),
            Files.readAllBytes(ProtoSampleTest.resource("external/model.onnx")),
            OnnxWriter.write(OnnxRoundTripTest.everyFieldKind()),
        };
        for (byte[] model : models) {
            OnnxReader.read(model, "whole.onnx"); // the untruncated file is fine
            for (int n = 0; n < model.length; n++) {
                byte[] cut = Arrays.copyOf(model, n);
                int len = n;
                OnnxFormatException e = assertThrows(OnnxFormatException.class,
                        () -> OnnxReader.read(cut, "cut.onnx"), () -> "prefix of " + len + " bytes");
                assertTrue(e.getMessage().startsWith("cut.onnx: "), e.getMessage());
            }
        }
    }

    @Test
    void truncationMessageNamesTheFieldPath() throws IOException {
        byte[] model = Files.readAllBytes(ProtoSampleTest.resource("proto_sample.onnx"));
        OnnxFormatException e = fails(Arrays.copyOf(model, model.length - 10));
        assertTrue(e.getMessage().startsWith("bad.onnx: graph: truncated length-delimited field (declares "),
                e.getMessage());
        assertMessage("bad.onnx: empty file, not an ONNX model", new byte[0]);
        assertMessage("bad.onnx: model: missing graph", new WireBytes().varintField(1, 8).build());
    }

    @Test
    void errorsInsideNestedMessagesNameThePath() {
        WireBytes attr = new WireBytes().stringField(1, "perm").tag(8, 2).varint(5).rawInts(0x80, 0x80);
        assertMessage("bad.onnx: graph.node[1].attribute[0].ints: truncated length-delimited field "
                + "(declares 5 bytes, 2 remain)", withNode(new WireBytes().stringField(4, "Transpose")
                        .bytesField(5, attr.build())));
    }

    @Test
    void hugeLengthPrefix() {
        WireBytes tensor = new WireBytes().stringField(8, "W").varintField(2, 1).tag(9, 2).varint(0x7FFF_FFF0L);
        assertMessage("bad.onnx: graph.initializer[0].raw_data: truncated length-delimited field "
                + "(declares 2147483632 bytes, 0 remain)", WireBytes.model(new WireBytes().messageField(5, tensor)));
        byte[] top = new WireBytes().varintField(1, 8).tag(7, 2).varint(Long.MAX_VALUE).build();
        assertTrue(fails(top).getMessage().startsWith("bad.onnx: graph: truncated length-delimited field"));
        // A packed field claiming billions of elements must not allocate them.
        WireBytes packed = new WireBytes().varintField(2, 1).tag(4, 2).varint(4L << 28);
        assertTrue(fails(WireBytes.model(new WireBytes().messageField(5, packed))).getMessage()
                .startsWith("bad.onnx: graph.initializer[0].float_data: truncated length-delimited field"));
    }

    @Test
    void negativeLength() {
        byte[] b = new WireBytes().varintField(1, 8).tag(7, 2).varint(-1L).build();
        assertMessage("bad.onnx: graph: negative length -1", b);
        byte[] s = withNode(new WireBytes().tag(4, 2).varint(Integer.MIN_VALUE));
        assertMessage("bad.onnx: graph.node[1].op_type: negative length -2147483648", s);
    }

    @Test
    void malformedVarints() {
        byte[] tooLong = new byte[12];
        Arrays.fill(tooLong, (byte) 0xFF);
        assertMessage("bad.onnx: tag: malformed varint (over 10 bytes)", tooLong);
        assertMessage("bad.onnx: ir_version: truncated varint", new WireBytes().tag(1, 0).rawInts(0x80).build());
        WireBytes dims = new WireBytes().tag(1, 2).varint(2).rawInts(0x01, 0x81); // last varint runs off the end
        assertMessage("bad.onnx: graph.initializer[0].dims: truncated varint at the end of packed field",
                WireBytes.model(new WireBytes().messageField(5, dims)));
    }

    @Test
    void wrongWireType() {
        assertMessage("bad.onnx: graph: wrong wire type varint, expected length-delimited",
                new WireBytes().varintField(1, 8).varintField(7, 3).build());
        assertMessage("bad.onnx: ir_version: wrong wire type length-delimited, expected varint",
                new WireBytes().stringField(1, "8").build());
        WireBytes attr = new WireBytes().stringField(1, "alpha").varintField(2, 3);
        assertMessage("bad.onnx: graph.node[1].attribute[0].f: wrong wire type varint, expected fixed32",
                withNode(new WireBytes().stringField(4, "Elu").messageField(5, attr)));
        WireBytes tensor = new WireBytes().tag(4, 1).raw(new byte[8]);
        assertMessage("bad.onnx: graph.initializer[0].float_data: wrong wire type fixed64, expected length-delimited",
                WireBytes.model(new WireBytes().messageField(5, tensor)));
        assertMessage("bad.onnx: field#9: invalid wire type 6", new WireBytes().tag(9, 6).build());
        assertMessage("bad.onnx: field#9: unexpected end-group tag", new WireBytes().tag(9, 4).build());
        assertMessage("bad.onnx: model: invalid tag (field number 0)", new byte[] {0});
    }

    @Test
    void deeplyNestedGroupsAreCapped() {
        WireBytes b = new WireBytes();
        for (int i = 0; i < 100_000; i++) b.tag(99, 3);
        assertMessage("bad.onnx: field#99: groups nested deeper than 64", b.build());
        // Balanced, shallow groups in unknown fields are legal protobuf and skipped.
        WireBytes ok = new WireBytes().tag(99, 3).tag(98, 3).varintField(1, 5).tag(98, 4).tag(99, 4);
        byte[] model = WireBytes.model(new WireBytes().raw(ok.build()));
        assertEquals(0, OnnxReader.read(model, "ok.onnx").graph().nodes().size());
        assertMessage("bad.onnx: graph.field#99: end-group tag for field 98 closes group 99",
                WireBytes.model(new WireBytes().tag(99, 3).tag(98, 4)));
        assertMessage("bad.onnx: graph.field#99: truncated group (no end-group tag)",
                WireBytes.model(new WireBytes().tag(99, 3)));
    }

    /** Subgraphs are skipped by length, so even absurd nesting costs no recursion (protobuf would stop at 100). */
    @Test
    void deeplyNestedSubgraphsAreSkippedWithoutRecursion() {
        byte[] graph = new WireBytes().stringField(2, "innermost").build();
        for (int i = 0; i < 1500; i++) {
            byte[] attr = new WireBytes().stringField(1, "then_branch").bytesField(6, graph)
                    .varintField(20, OnnxAttribute.GRAPH).build();
            byte[] node = new WireBytes().stringField(4, "If").bytesField(5, attr).build();
            graph = new WireBytes().bytesField(1, node).build();
        }
        OnnxModel m = OnnxReader.read(WireBytes.model(new WireBytes().raw(graph)), "deep.onnx");
        assertEquals(OnnxAttribute.GRAPH, m.graph().nodes().get(0).attribute("then_branch").type());
    }

    @Test
    void semanticRefusals() {
        assertMessage("bad.onnx: model: missing opset_import",
                new WireBytes().varintField(1, 8).messageField(7, new WireBytes()).build());
        assertMessage("bad.onnx: model: missing ir_version",
                new WireBytes().messageField(8, new WireBytes().varintField(2, 17))
                        .messageField(7, new WireBytes()).build());
        assertMessage("bad.onnx: graph: graph appears twice", new WireBytes().varintField(1, 8)
                .messageField(7, new WireBytes()).messageField(7, new WireBytes()).build());
        assertMessage("bad.onnx: opset_import[1]: domain '' imported twice", new WireBytes().varintField(1, 8)
                .messageField(8, new WireBytes().varintField(2, 17))
                .messageField(8, new WireBytes().varintField(2, 13)).messageField(7, new WireBytes()).build());
        assertMessage("bad.onnx: graph.node[1]: missing op_type", withNode(new WireBytes().stringField(3, "n")));
        WireBytes attr = new WireBytes().stringField(1, "a").varintField(3, 1).varintField(20, 2);
        assertMessage("bad.onnx: graph.node[1].attribute[1]: duplicate attribute 'a'",
                withNode(new WireBytes().stringField(4, "X").messageField(5, attr).messageField(5, attr)));
        assertMessage("bad.onnx: graph.node[1].attribute[0]: attribute without a name",
                withNode(new WireBytes().stringField(4, "X").messageField(5, new WireBytes().varintField(3, 1))));
        assertMessage("bad.onnx: graph.node[1].name: string is not valid UTF-8",
                withNode(new WireBytes().stringField(4, "X").bytesField(3, new byte[] {(byte) 0xC3, 0x28})));
        WireBytes negDim = new WireBytes().varintField(1, -3).varintField(2, 1);
        assertMessage("bad.onnx: graph.initializer[0].dims: negative dimension -3",
                WireBytes.model(new WireBytes().messageField(5, negDim)));
        WireBytes floats = new WireBytes().varintField(2, 1).tag(4, 2).varint(5).raw(new byte[5]);
        assertMessage("bad.onnx: graph.initializer[0].float_data: packed field of 5 bytes is not a multiple of 4",
                WireBytes.model(new WireBytes().messageField(5, floats)));
        WireBytes location = new WireBytes().varintField(14, 2);
        assertMessage("bad.onnx: graph.initializer[0].data_location: unknown data_location 2",
                WireBytes.model(new WireBytes().messageField(5, location)));
        WireBytes noLocation = new WireBytes().varintField(14, 1);
        assertMessage("bad.onnx: graph.initializer[0].external_data: data_location is EXTERNAL but no location "
                + "is given", WireBytes.model(new WireBytes().messageField(5, noLocation)));
        WireBytes badOffset = new WireBytes().varintField(14, 1)
                .messageField(13, new WireBytes().stringField(1, "location").stringField(2, "w.bin"))
                .messageField(13, new WireBytes().stringField(1, "offset").stringField(2, "-4"));
        assertMessage("bad.onnx: graph.initializer[0].external_data: offset '-4' is not a non-negative integer",
                WireBytes.model(new WireBytes().messageField(5, badOffset)));
    }

    @Test
    void filesOver2GbAreRefusedBeforeReading(@TempDir Path dir) throws IOException {
        Path big = dir.resolve("huge.onnx");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30); // sparse: no disk space used
        }
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxReader.read(big));
        assertEquals(big + ": file is 3221225472 bytes; ONNX protobuf files are limited to 2 GB (larger models "
                + "keep their weights as external data)", e.getMessage());
    }

    /** Random corruption of valid models: every outcome is a model or an OnnxFormatException. */
    @Test
    void randomMutationsOnlyEverThrowOnnxFormatException() throws IOException {
        byte[][] seeds = {
            Files.readAllBytes(ProtoSampleTest.resource("proto_sample.onnx")),
            OnnxWriter.write(OnnxRoundTripTest.everyFieldKind()),
        };
        Random rnd = new Random(42);
        int failures = 0;
        for (int iter = 0; iter < 30_000; iter++) {
            byte[] b = seeds[iter % 2].clone();
            int edits = 1 + rnd.nextInt(4);
            for (int k = 0; k < edits; k++) {
                int at = rnd.nextInt(b.length);
                b[at] = switch (rnd.nextInt(4)) {
                    case 0 -> (byte) rnd.nextInt(256);
                    case 1 -> (byte) (b[at] ^ (1 << rnd.nextInt(8)));
                    case 2 -> (byte) 0xFF;
                    default -> 0;
                };
            }
            try {
                OnnxModel m = OnnxReader.read(b, "fuzz.onnx");
                for (OnnxTensor t : m.graph().initializers()) {
                    try {
                        if (t.dataType() == OnnxDataType.FLOAT) t.toFloats();
                    } catch (OnnxFormatException expected) {
                        // a corrupted payload size is reported, fine
                    }
                }
            } catch (OnnxFormatException e) {
                assertTrue(e.getMessage().startsWith("fuzz.onnx: "), e.getMessage());
                failures++;
            }
        }
        assertTrue(failures > 1000, "mutations should mostly break the model: " + failures);
    }
}
