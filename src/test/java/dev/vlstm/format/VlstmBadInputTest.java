package dev.vlstm.format;

import dev.vlstm.RandomModels;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A catalogue of broken .vlstm files, each with the exact error expected. Fields are changed with the checksums
 * recomputed, so each test reaches the validation rule it names rather than stopping at a CRC mismatch.
 */
class VlstmBadInputTest {
    static final RandomModels.Built MODEL = RandomModels.build(21, 5, new int[]{13, 20}, 3, true);

    static ByteBuffer file() {
        return ByteBuffer.wrap(VlstmWriter.toBytes(MODEL.spec(), MODEL.weights(), RandomModels.metadata())).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Recomputes the sections CRC and then the header CRC, as a forger would. */
    static byte[] resealed(ByteBuffer b) {
        byte[] a = b.array();
        int metaEnd = b.getInt(40) + b.getInt(44);
        CRC32C s = new CRC32C();
        s.update(a, 64, metaEnd - 64);
        b.putInt(48, (int) s.getValue());
        CRC32C h = new CRC32C();
        h.update(a, 0, 60);
        b.putInt(60, (int) h.getValue());
        return a;
    }

    static int tableOffset(ByteBuffer b) {
        return b.getInt(32);
    }

    static String refusal(byte[] bytes) {
        return assertThrows(VlstmFormatException.class, () -> VlstmFile.parse(bytes, "bad.vlstm").close()).getMessage();
    }

    static void assertRefused(byte[] bytes, String... parts) {
        String m = refusal(bytes);
        assertTrue(m.startsWith("bad.vlstm: "), m);
        for (String p : parts) assertTrue(m.contains(p), "expected '" + p + "' in: " + m);
    }

    @Test
    void truncatedAtEverySectionBoundary() {
        ByteBuffer b = file();
        int table = tableOffset(b), meta = b.getInt(40), metaEnd = meta + b.getInt(44);
        long firstPayload = b.getLong(table + 88);
        for (int cut : new int[]{0, 8, 63, 64, table, meta, metaEnd, (int) firstPayload, b.capacity() - 1}) {
            byte[] t = java.util.Arrays.copyOf(b.array(), cut);
            String m = refusal(t);
            assertTrue(m.contains("too short") || m.contains("truncated or extended"), "cut at " + cut + ": " + m);
        }
    }

    @Test
    void aTensorOffsetPastTheEndOfTheFile() {
        ByteBuffer b = file();
        int e = tableOffset(b) + 128 * 7;  // the last tensor
        b.putLong(e + 88, 1L << 40);
        assertRefused(resealed(b), "tensor 'head.b'", "lies past the end of the file");
    }

    @Test
    void overlappingTensors() {
        ByteBuffer b = file();
        int e1 = tableOffset(b) + 128;
        b.putLong(e1 + 88, b.getLong(tableOffset(b) + 88));
        assertRefused(resealed(b), "tensor 'l0.d0.r'", "overlaps the previous tensor");
    }

    @Test
    void aMisalignedTensor() {
        ByteBuffer b = file();
        int e = tableOffset(b);
        b.putLong(e + 88, b.getLong(e + 88) + 4);
        assertRefused(resealed(b), "tensor 'l0.d0.w'", "is not a multiple of 64");
    }

    @Test
    void dimensionsWhoseProductOverflows() {
        ByteBuffer b = file();
        int e = tableOffset(b);
        b.putLong(e + 56, 1L << 40).putLong(e + 64, 1L << 40);
        assertRefused(resealed(b), "tensor 'l0.d0.w'", "overflows 64 bits");
    }

    @Test
    void gigabytesDeclaredInATinyFileAreRefusedBeforeAnyAllocation() {
        ByteBuffer b = file();
        int e = tableOffset(b);
        b.putLong(e + 56, 1L << 28);  // dims now claim 2^28 x 5 x 4 x 16 floats, tens of gigabytes
        b.putLong(e + 96, (1L << 28) * 5 * 4 * 16 * 4);
        assertRefused(resealed(b), "tensor 'l0.d0.w'", "lies past the end of the file");
    }

    @Test
    void zeroDimensions() {
        ByteBuffer b = file();
        int e = tableOffset(b);
        b.putLong(e + 64, 0);
        assertRefused(resealed(b), "tensor 'l0.d0.w'", "dimension 1 is 0, expected >= 1");
    }

    @Test
    void aHiddenSizeOfZeroOrAbsurdSize() {
        ByteBuffer b = file();
        b.putInt(64 + 24 + 4, 0); // layer 0 hidden size
        assertRefused(resealed(b), "model section", "layer 0 hidden size is 0, expected 1..65536");
        ByteBuffer c = file();
        c.putInt(64 + 24 + 4, -1);
        assertRefused(resealed(c), "layer 0 hidden size is 4294967295, expected 1..65536");
    }

    @Test
    void aTensorOfTheWrongDimsForTheModel() {
        ByteBuffer b = file();
        int e = tableOffset(b) + 128 * 2; // l0.d0.b [1, 4, 16]
        b.putLong(e + 64, 8).putLong(e + 72, 8);
        assertRefused(resealed(b), "tensor 'l0.d0.b' has dims [1, 8, 8], expected [1, 4, 16]");
    }

    @Test
    void unknownCodesAreNamed() {
        ByteBuffer b = file();
        b.putInt(64 + 24 + 8, 7); // layer 0 direction
        assertRefused(resealed(b), "layer 0 direction has unknown code 7");
        ByteBuffer c = file();
        c.putInt(64 + 24 + 20, 99); // layer 0 activation f
        assertRefused(resealed(c), "activation f has unknown code 99");
        ByteBuffer d = file();
        d.putInt(tableOffset(d) + 48, 11); // dtype
        assertRefused(resealed(d), "tensor 'l0.d0.w': dtype code 11, expected 1 (f32), 2 (bf16) or 3 (int8)");
    }

    /** A model with a head of three operations (format 2.1): dense 20 -> 6, Relu, Softmax. */
    static final RandomModels.Built CHAINED = RandomModels.withHead(22, 5, new int[]{20}, java.util.List.of(
            HeadOp.dense(20, 6), HeadOp.of(HeadOp.Kind.RELU, 6), HeadOp.of(HeadOp.Kind.SOFTMAX, 6)), false);

    static ByteBuffer chainedFile() {
        return ByteBuffer.wrap(VlstmWriter.toBytes(CHAINED.spec(), CHAINED.weights(), RandomModels.metadata()))
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Offset of head operation i's 16-byte record: the last records of the model section, before the tensor table. */
    static int headRecord(ByteBuffer b, int i) {
        return tableOffset(b) - 16 * (3 - i);
    }

    @Test
    void badHeadOperationsAreNamed() {
        ByteBuffer b = chainedFile();
        assertEquals(3, b.getInt(headRecord(b, 0) - 4), "operation count before the records");
        b.putInt(headRecord(b, 1), 99);
        assertRefused(resealed(b), "head operation 1 kind has unknown code 99");
        ByteBuffer c = chainedFile();
        c.putFloat(headRecord(c, 1) + 8, 0.5f);
        assertRefused(resealed(c), "head operation 1 (Relu)", "alpha 0.5, expected 0");
        ByteBuffer d = chainedFile();
        d.putInt(headRecord(d, 2) + 12, 1);
        assertRefused(resealed(d), "head operation 2 reserved must be zero");
        ByteBuffer e = chainedFile();
        e.putInt(headRecord(e, 2) + 4, 7);
        assertRefused(resealed(e), "head output size 6, but the head operations end at width 7");
        ByteBuffer f = chainedFile();
        f.putInt(headRecord(f, 0) + 4, 5);    // the dense layer's width: the next operations no longer chain
        assertRefused(resealed(f), "head operation 1 (Relu): output size 6, expected its input size 5");
        ByteBuffer g = chainedFile();
        g.putInt(headRecord(g, 0) - 4, 0);
        assertRefused(resealed(g), "head operation count is 0, expected 1..64");
        ByteBuffer h = chainedFile();
        h.putInt(64 + 12, 3);                 // head present
        assertRefused(resealed(h), "head present is 3, expected 0..2");
    }

    /** The last u32 of a token-ids model's section is its vocabulary size (format 2.2). */
    @Test
    void aBadVocabularyOrInputRoleIsNamed() {
        RandomModels.Built ids = RandomModels.withEmbedding(25, 30, 4, new int[]{8}, 3);
        java.util.function.Supplier<ByteBuffer> fresh = () -> ByteBuffer.wrap(VlstmWriter.toBytes(ids.spec(), ids.weights(),
                RandomModels.metadata())).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = fresh.get();
        int vocabulary = 64 + b.getInt(28) - 4;
        assertEquals(30, b.getInt(vocabulary));
        b.putInt(vocabulary, 0);
        assertRefused(resealed(b), "vocabulary size is 0, expected 1..16777216");
        ByteBuffer c = fresh.get();
        c.putInt(vocabulary, 29);
        assertRefused(resealed(c), "tensor 'embedding'", "[29, 4]");
        ByteBuffer d = fresh.get();
        d.putInt(64 + 24 + 96 + 4, 1);    // the first input's role: token ids (6) becomes the sequence input (1)
        assertRefused(resealed(d), "4 bytes left over after the outputs");   // no token ids input: no vocabulary field
        var s = ids.spec();
        ModelSpec both = new ModelSpec(s.layers(), s.layout(), s.stateLayout(), s.head(), java.util.List.of(s.inputs().getFirst(),
                new IoSpec(IoSpec.Role.SEQUENCE_INPUT, "x", java.util.List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"),
                        IoSpec.Dim.fixed(4)))), s.outputs(), 30);
        VlstmFormatException e = assertThrows(VlstmFormatException.class, () -> VlstmWriter.toBytes(both, ids.weights(), RandomModels.metadata()));
        assertTrue(e.getMessage().contains("a model takes a sequence input or token ids, not both"), e.getMessage());
        ModelSpec noTable = new ModelSpec(s.layers(), s.layout(), s.stateLayout(), s.head(), s.inputs(), s.outputs(), 0);
        e = assertThrows(VlstmFormatException.class, () -> VlstmWriter.toBytes(noTable, ids.weights(), RandomModels.metadata()));
        assertTrue(e.getMessage().contains("vocabulary size 0, expected 1..16777216 for a token ids input"), e.getMessage());
        var w = ids.weights();
        e = assertThrows(VlstmFormatException.class, () -> VlstmWriter.toBytes(s, new ModelWeights(w.layers(), w.head(), null,
                new float[7]), RandomModels.metadata()));
        assertTrue(e.getMessage().contains("embedding table: 7 values, expected 120"), e.getMessage());
    }

    @Test
    void poolingOnlyOpensAHeadWithAPooledOutput() {
        RandomModels.Built late = RandomModels.withHead(24, 5, new int[]{20}, java.util.List.of(
                HeadOp.dense(20, 4), HeadOp.of(HeadOp.Kind.MEAN_OVER_TIME, 4)), true);
        VlstmFormatException e = assertThrows(VlstmFormatException.class,
                () -> VlstmWriter.toBytes(late.spec(), late.weights(), RandomModels.metadata()));
        assertTrue(e.getMessage().contains("pools over time after another operation"), e.getMessage());
        RandomModels.Built pooled = RandomModels.withHead(24, 5, new int[]{20}, java.util.List.of(
                HeadOp.of(HeadOp.Kind.MAX_OVER_TIME, 20)), true);
        IoSpec lastStep = new IoSpec(IoSpec.Role.LAST_STEP_OUTPUT, "y", pooled.spec().outputs().getFirst().shape());
        ModelSpec noRole = new ModelSpec(pooled.spec().layers(), pooled.spec().layout(), pooled.spec().head(),
                pooled.spec().inputs(), java.util.List.of(lastStep));   // a last-step output, not the pooled one
        e = assertThrows(VlstmFormatException.class, () -> VlstmWriter.toBytes(noRole, pooled.weights(), RandomModels.metadata()));
        assertTrue(e.getMessage().contains("the head pools over time but the model has no pooled output"), e.getMessage());
    }

    @Test
    void aLayerNormEpsilonMustBePositive() {
        RandomModels.Built m = RandomModels.withHead(23, 5, new int[]{20}, java.util.List.of(
                HeadOp.of(HeadOp.Kind.LAYER_NORM, 20, 0f)), false);
        VlstmFormatException e = assertThrows(VlstmFormatException.class,
                () -> VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()));
        assertTrue(e.getMessage().contains("head: epsilon 0.0, expected > 0"), e.getMessage());
    }

    @Test
    void nonzeroFlagsAndReservedFields() {
        ByteBuffer b = file();
        b.putInt(52, 1);
        assertRefused(resealed(b), "flags is 1, expected 0..0");
        ByteBuffer c = file();
        c.putInt(64 + 24 + 92, 5); // layer 0 reserved
        assertRefused(resealed(c), "layer 0 reserved must be zero");
    }

    @Test
    void badChecksumsAreNamed() {
        ByteBuffer b = file();
        b.put(70, (byte) (b.get(70) ^ 1));
        assertRefused(b.array(), "sections CRC32C mismatch");
        ByteBuffer c = file();
        c.put(c.capacity() - 1, (byte) (c.get(c.capacity() - 1) ^ 1));
        assertRefused(c.array(), "tensor 'head.b': CRC32C mismatch");
        ByteBuffer d = file();
        d.put(20, (byte) 1);
        assertRefused(d.array(), "header CRC32C mismatch");
    }

    static ByteBuffer reducedFile(WeightType type) {
        return ByteBuffer.wrap(VlstmWriter.toBytes(MODEL.spec().withWeights(type), MODEL.weights(), RandomModels.metadata()))
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The table entry of tensor {@code name}. */
    static int entry(ByteBuffer b, String name) {
        for (int i = 0, count = b.getInt(36); i < count; i++) {
            int e = tableOffset(b) + 128 * i;
            byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (java.util.Arrays.equals(java.util.Arrays.copyOfRange(b.array(), e, e + n.length), n) && b.get(e + n.length) == 0) return e;
        }
        throw new AssertionError("no tensor " + name);
    }

    /** Float {@code i} of tensor {@code name}'s payload set to {@code v}, its CRC recomputed, the file resealed. */
    static byte[] withPayloadFloat(ByteBuffer b, String name, int i, float v) {
        int e = entry(b, name);
        int offset = (int) b.getLong(e + 88), length = (int) b.getLong(e + 96);
        b.putFloat(offset + 4 * i, v);
        CRC32C c = new CRC32C();
        c.update(b.array(), offset, length);
        b.putInt(e + 104, (int) c.getValue());
        return resealed(b);
    }

    @Test
    void badReducedWeightsAreNamedByTensor() {
        for (float bad : new float[]{0f, -0.5f, Float.NaN, Float.POSITIVE_INFINITY})
            assertRefused(withPayloadFloat(reducedFile(WeightType.INT8), "l1.d0.r.scale", 3, bad),
                    "tensor 'l1.d0.r.scale': scale 3 is " + bad + ", expected a finite value > 0");
        ByteBuffer b = reducedFile(WeightType.BF16);
        b.putShort(10, (short) 2);
        assertRefused(resealed(b), "tensor 'l0.d0.w' is bf16, which needs format version 2.3, but the file says 2.2");
        ByteBuffer c = reducedFile(WeightType.BF16);
        c.putInt(entry(c, "l0.d0.r") + 48, 1);
        assertRefused(resealed(c), "tensor 'l0.d0.r': length", "(product of dims x 4 for fp32)");
        ByteBuffer d = reducedFile(WeightType.INT8);
        d.putInt(entry(d, "l0.d0.w") + 48, 2);
        assertRefused(resealed(d), "tensor 'l0.d0.w': length", "(product of dims x 2 for bf16)");
        ByteBuffer e = file();     // an f32 model whose bias claims to be int8 at an int8 length
        int bias = entry(e, "l0.d0.b");
        e.putInt(bias + 48, 3);
        e.putLong(bias + 96, e.getLong(bias + 96) / 4);
        assertRefused(resealed(e), "tensor 'l0.d0.b'");
    }

    @Test
    void aReducedFileReadsBackItsTypeAndDecodesItsWeights() {
        try (VlstmFile fp32 = VlstmFile.parse(file().array(), "fp32.vlstm")) {
            float[] w = fp32.tensorFloats("l0.d0.r");
            for (WeightType t : new WeightType[]{WeightType.BF16, WeightType.INT8}) {
                try (VlstmFile f = VlstmFile.parse(reducedFile(t).array(), t.label + ".vlstm")) {
                    assertEquals(t, f.spec().weights());
                    assertEquals(3, reducedFile(t).getShort(10), t + " files are version 2.3");
                    float[] got = f.tensorFloats("l0.d0.r");
                    double worst = 0;
                    for (int i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got[i] - w[i]) / Math.max(1e-30, Math.abs(w[i])));
                    assertTrue(t == WeightType.BF16 ? worst <= 1.0 / 256 : worst > 0, t + ": max relative weight error " + worst);
                    assertArrayEquals(fp32.tensorFloats("l0.d0.b"), f.tensorFloats("l0.d0.b"), "biases stay f32");
                }
            }
        }
    }

    @Test
    void wrongMagicUnknownMajorAndNewerMinor() {
        ByteBuffer b = file();
        b.put(0, (byte) 'X');
        assertRefused(b.array(), "not a .vlstm file");
        ByteBuffer c = file();
        c.putShort(8, (short) 9);
        assertRefused(resealed(c), "format version 9.0, this reader reads 1.x to 2.x");
        ByteBuffer d = file();
        d.putShort(10, (short) 4);
        try (VlstmFile f = VlstmFile.parse(resealed(d), "newer-minor.vlstm")) {
            assertTrue(f.spec().equals(MODEL.spec()), "a newer minor version that uses known features reads the same model");
        }
    }

    @Test
    void sectionOffsetsThatDoNotChain() {
        ByteBuffer b = file();
        b.putInt(32, b.getInt(32) + 8);
        assertRefused(resealed(b), "table offset", "right after the model section");
        ByteBuffer c = file();
        c.putInt(44, 1 << 30);
        CRC32C h = new CRC32C();
        h.update(c.array(), 0, 60);
        c.putInt(60, (int) h.getValue());
        assertRefused(c.array(), "past the end of the file");
    }
}
