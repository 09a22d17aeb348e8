package dev.vlstm;

import dev.vlstm.format.IoSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.VlstmFile;
import dev.vlstm.format.VlstmWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Token-ids models (format 2.2, {@code nn.Embedding} before the first layer): a run on ids must give the run of the
 * same layers on the ids' table rows as float features — exactly when the table is not folded, within rounding when it
 * is — for int and long ids, every kernel path, streaming; and a bad id is refused naming it.
 */
class EmbeddingTest {
    static final int VOCABULARY = 50, WIDTH = 7;
    static final RandomModels.Built IDS = RandomModels.withEmbedding(31, VOCABULARY, WIDTH, new int[]{16, 16}, 5);

    static Model load(RandomModels.Built m) {
        return load(m, true);
    }

    /** The same layers and head, reading float features: the model the embedding feeds. */
    static Model floatTwin() {
        ModelSpec s = IDS.spec();
        ModelSpec plain = new ModelSpec(s.layers(), s.layout(), s.stateLayout(), s.head(), java.util.List.of(new IoSpec(
                IoSpec.Role.SEQUENCE_INPUT, "x", java.util.List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"),
                IoSpec.Dim.fixed(WIDTH)))), s.outputs());
        var w = IDS.weights();
        return Model.load(VlstmWriter.toBytes(plain, new dev.vlstm.format.ModelWeights(w.layers(), w.head()),
                RandomModels.metadata()), "float.vlstm");
    }

    static float[] rows(int[] ids) {
        float[] x = new float[ids.length * WIDTH];
        for (int i = 0; i < ids.length; i++) System.arraycopy(IDS.weights().embedding(), ids[i] * WIDTH, x, i * WIDTH, WIDTH);
        return x;
    }

    static Model load(RandomModels.Built m, boolean fold) {
        Limits limits = fold ? Limits.defaults() : Limits.defaults().withMaxFoldedEmbeddingBytes(0);
        return Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "ids.vlstm", limits);
    }

    /**
     * Unfolded, the ids' table rows are layer 0's input: bit for bit the float model on those rows. Folded, layer 0
     * reads each id's precomputed gate row: the same products, rounded in another order (the lookup table is computed
     * at load by the default kernels over all rows at once), so within float rounding.
     */
    @ParameterizedTest(name = "{0} kernels")
    @ValueSource(strings = {"scalar", "vector", "vector, 2 threads"})
    void idsRunAsTheirTableRows(String kernels) {
        int threads = kernels.endsWith("2 threads") ? 2 : 1;
        for (boolean fold : new boolean[]{false, true}) {
            try (Model ids = load(IDS, fold); Model plain = floatTwin();
                 Session s = new Session(ids, 1, 1, threads, SessionTest.kernels(kernels));
                 Session p = new Session(plain, 1, 1, threads, SessionTest.kernels(kernels))) {
                assertTrue(ids.takesTokenIds() && !plain.takesTokenIds());
                assertEquals(fold, ids.embedding.folded);
                assertEquals(VOCABULARY, ids.vocabularySize());
                // seq 1 with 2 threads takes the row split, batch 1 the panel split, 2 layers of 16 the pipeline
                for (int[] shape : new int[][]{{9, 3}, {1, 6}, {12, 1}, {1, 1}}) {
                    int seq = shape[0], batch = shape[1];
                    int[] tokens = RandomModels.ids(new Random(seq * 7 + batch), seq * batch, VOCABULARY);
                    tokens[0] = VOCABULARY - 1;
                    long[] longTokens = Arrays.stream(tokens).asLongStream().toArray();
                    float[] expected = p.run(rows(tokens), seq, batch), got = s.run(tokens, seq, batch);
                    assertArrayEquals(got, s.run(longTokens, seq, batch), "long ids = int ids");
                    String at = kernels + ", " + (fold ? "folded" : "unfolded") + ", seq " + seq + " batch " + batch;
                    if (!fold) {
                        assertArrayEquals(expected, got, "int ids, " + at);
                        continue;
                    }
                    double maxAbs = 0;
                    for (int i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i] - expected[i]));
                    System.out.printf("token ids (%s) vs the float model on the table rows: max abs error %.3g%n", at, maxAbs);
                    assertTrue(maxAbs <= 1e-6, at + ": max abs error " + maxAbs);
                }
            }
        }
    }

    /** A first step from zero skips the forget gate only when the folded rows are finite: an Inf row still gives NaN as ONNX does. */
    @Test
    void aFoldedTableWithAnInfRowKeepsTheFloatModelsNaN() {
        var w = IDS.weights();
        float[] table = w.embedding().clone();
        table[3 * WIDTH] = Float.POSITIVE_INFINITY;
        RandomModels.Built inf = new RandomModels.Built(IDS.spec(), new dev.vlstm.format.ModelWeights(w.layers(), w.head(), null, table));
        try (Model folded = load(inf, true); Model unfolded = load(inf, false)) {
            assertTrue(folded.embedding.folded);
            float[] a = folded.newSession().run(new int[]{3}, 1, 1), b = unfolded.newSession().run(new int[]{3}, 1, 1);
            for (int i = 0; i < a.length; i++)
                assertEquals(Float.isNaN(b[i]), Float.isNaN(a[i]), "value " + i + ": folded " + a[i] + ", unfolded " + b[i]);
        }
    }

    @Test
    void streamingIdsGivesTheRunsOutputAtEveryStep() {
        try (Model m = load(IDS); Session session = m.newSession()) {
            int seq = 8, out = m.outputSize();
            int[] tokens = RandomModels.ids(new Random(4), seq, VOCABULARY);
            float[] whole = session.run(tokens, seq, 1), step = new float[out];
            LstmState state = m.newState();
            for (int t = 0; t < seq; t++) {
                session.step(state, tokens[t], step);
                for (int j = 0; j < out; j++) assertEquals(whole[t * out + j], step[j], 1e-6, "step " + t + " unit " + j);
            }
            LstmState[] two = {m.newState(), m.newState()};
            float[] both = new float[2 * out];
            session.step(two, 2, new int[]{tokens[0], tokens[0]}, both);
            assertArrayEquals(Arrays.copyOfRange(both, 0, out), Arrays.copyOfRange(both, out, 2 * out));
        }
    }

    @Test
    void badIdsAndTheWrongInputKindAreRefusedByName() {
        try (Model m = load(IDS); Model plain = floatTwin(); Session s = m.newSession(); Session p = plain.newSession()) {
            String e = assertThrows(IllegalArgumentException.class, () -> s.run(new int[]{3, VOCABULARY, 1}, 3, 1)).getMessage();
            assertTrue(e.contains("token id 50 at position 1 of input 'ids' is outside the vocabulary of 50 (ids 0..49)"), e);
            e = assertThrows(IllegalArgumentException.class, () -> s.run(new long[]{-1}, 1, 1)).getMessage();
            assertTrue(e.contains("token id -1 at position 0"), e);
            e = assertThrows(IllegalArgumentException.class, () -> s.run(new long[]{1L << 33}, 1, 1)).getMessage();
            assertTrue(e.contains("token id 8589934592 at position 0"), e);
            e = assertThrows(IllegalArgumentException.class, () -> s.run(new int[5], 3, 2)).getMessage();
            assertTrue(e.contains("has 5 token ids, expected seq 3 x batch 2"), e);
            e = assertThrows(IllegalArgumentException.class, () -> s.run(new float[3 * WIDTH], 3, 1)).getMessage();
            assertTrue(e.contains("input 'ids' takes token ids"), e);
            e = assertThrows(IllegalArgumentException.class, () -> p.run(new int[3], 3, 1)).getMessage();
            assertTrue(e.contains("token ids given, but input 'x' takes 7 float features"), e);
            LstmState state = m.newState();
            float[] out = new float[m.outputSize()];
            e = assertThrows(IllegalArgumentException.class, () -> s.step(state, VOCABULARY + 3, out)).getMessage();
            assertTrue(e.contains("token id 53 at position 0"), e);
            e = assertThrows(IllegalArgumentException.class, () -> s.step(state, new float[WIDTH], out)).getMessage();
            assertTrue(e.contains("takes token ids"), e);
            // A refused call leaves the session usable.
            assertEquals(m.outputSize(), s.run(new int[]{1}, 1, 1).length);
        }
    }

    @Test
    void aTokenIdsModelIsFormat22AndReadsBack() throws Exception {
        byte[] b = VlstmWriter.toBytes(IDS.spec(), IDS.weights(), RandomModels.metadata());
        assertEquals(2, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort(10), "minor version");
        try (VlstmFile f = VlstmFile.parse(b, "ids.vlstm")) {
            assertEquals(IDS.spec(), f.spec());
            assertArrayEquals(IDS.weights().embedding(), f.tensorFloats("embedding"));
        }
    }
}
