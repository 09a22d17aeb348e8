package dev.vlstm;

import dev.vlstm.format.VlstmWriter;
import dev.vlstm.kernel.Kernels;
import dev.vlstm.kernel.LstmKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Sessions against the float64 reference on random models, for both kernel implementations. */
class SessionTest {

    static Stream<Arguments> shapes() {
        // input, hidden per layer, head (0 = none), bias, seq, batch
        return Stream.of(
                Arguments.of(100, new int[]{16, 16}, 13, true, 1, 150),
                Arguments.of(100, new int[]{16, 16}, 13, true, 150, 1),
                Arguments.of(1, new int[]{13}, 0, true, 9, 2),
                Arguments.of(7, new int[]{37, 5, 17}, 3, false, 11, 3),
                Arguments.of(64, new int[]{256, 256}, 10, true, 5, 1),
                Arguments.of(3, new int[]{1}, 1, true, 4, 9));
    }

    static Stream<Arguments> shapesAndKernels() {
        return shapes().flatMap(a -> Stream.of("scalar", "vector").map(k -> {
            Object[] args = a.get();
            Object[] withKernel = java.util.Arrays.copyOf(args, args.length + 1);
            withKernel[args.length] = k;
            return Arguments.of(withKernel);
        }));
    }

    static LstmKernels kernels(String name) {
        return name.startsWith("scalar") ? Kernels.scalar() : Kernels.vector();
    }

    @ParameterizedTest(name = "input {0}, hidden {1}, head {2}, bias {3}, seq {4}, batch {5}, {6} kernels")
    @MethodSource("shapesAndKernels")
    void matchesTheFloat64Reference(int input, int[] hidden, int head, boolean bias, int seq, int batch, String kernelName) {
        RandomModels.Built m = RandomModels.build(42 + input + hidden.length, input, hidden, head, bias);
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "random")) {
            float[] x = RandomModels.uniform(new Random(7), seq * batch * input, 2f);
            Session session = new Session(model, 1, 1, 1, kernels(kernelName));
            float[] y = session.run(x, seq, batch);
            double[] ref = dev.vlstm.onnx.Float64Evaluator.run(m.spec(), m.weights(), x, seq, batch);
            assertEquals(ref.length, y.length);
            double maxAbs = 0;
            for (int i = 0; i < y.length; i++) maxAbs = Math.max(maxAbs, Math.abs(y[i] - ref[i]));
            assertTrue(maxAbs <= 1e-5, "max abs error " + maxAbs + " vs float64 reference exceeds 1e-5");
            System.out.printf("session %s: input %d hidden %s seq %d batch %d: max abs error %.3g%n", kernelName, input,
                    java.util.Arrays.toString(hidden), seq, batch, maxAbs);
        }
    }

    @Test
    void aSessionIsReusableAcrossShapesAndGivesTheSameAnswerTwice() {
        RandomModels.Built m = RandomModels.build(3, 5, new int[]{8, 8}, 2, true);
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "random")) {
            Session s = model.newSession();
            float[] big = RandomModels.uniform(new Random(1), 20 * 4 * 5, 1f);
            float[] small = RandomModels.uniform(new Random(2), 3 * 2 * 5, 1f);
            float[] first = s.run(big, 20, 4);
            float[] smallOut = s.run(small, 3, 2);
            assertArrayEquals(first, s.run(big, 20, 4));
            assertArrayEquals(smallOut, model.newSession().run(small, 3, 2), "a used session must match a fresh one");
        }
    }

    /**
     * A run from a zero state skips the first step's h·R, but only when R is finite: with an Inf in R, ONNX's
     * equations give 0 × Inf = NaN in that gate at the first step, and so must vlstm.
     */
    @Test
    void theFirstStepFromAZeroStateSkipsHTimesROnlyWhenRIsFinite() {
        RandomModels.Built m = RandomModels.build(9, 3, new int[]{5}, 0, true);
        float[] x = RandomModels.uniform(new Random(4), 3, 1f);
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "finite")) {
            assertTrue(model.layers[0].directions()[0].finiteR());
            float[] y = model.newSession().run(x, 1, 1);
            for (float v : y) assertTrue(Float.isFinite(v), "finite R: " + java.util.Arrays.toString(y));
        }
        m.weights().layers().get(0).get(0).r()[0] = Float.POSITIVE_INFINITY;     // R[gate i, unit 0, k = 0]
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "inf")) {
            assertFalse(model.layers[0].directions()[0].finiteR());
            float[] y = model.newSession().run(x, 1, 1);
            assertTrue(Float.isNaN(y[0]), "an Inf in R makes unit 0 NaN at the first step: " + java.util.Arrays.toString(y));
            for (int u = 1; u < 5; u++) assertTrue(Float.isFinite(y[u]), "unit " + u + ": " + java.util.Arrays.toString(y));
        }
    }

    /**
     * A first step from a zero state also leaves the forget gate out (f × 0 adds nothing), but only when no forget
     * pre-activation can be NaN. An Inf input times a zero weight of gate f makes that gate NaN, and ONNX's equations
     * then make the cell NaN (NaN × 0), so vlstm must too; the units whose weights there are not zero saturate and
     * stay finite. Row 0 has the Inf, row 1 not: one thread checks both rows at once (and takes the whole step),
     * two threads split the rows and row 1 alone leaves f out. Both give the same bits.
     */
    @Test
    void theFirstStepLeavesOutTheForgetGateOnlyWhenItCannotBeNaN() {
        RandomModels.Built m = RandomModels.build(9, 3, new int[]{5}, 0, true);
        m.weights().layers().get(0).get(0).w()[2 * 5 * 3] = 0f;       // W[gate f, unit 0, input 0]; ONNX order
        float[] x = {Float.POSITIVE_INFINITY, 0.5f, -0.5f, 0.25f, 0.5f, -1f};
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "inf-x")) {
            float[] one = model.newSession(1, 2, 1).run(x, 1, 2), two;
            try (Session s = model.newSession(1, 2, 2)) {
                two = s.run(x, 1, 2);
            }
            String ys = java.util.Arrays.toString(one);
            assertTrue(Float.isNaN(one[0]), "NaN forget gate, zero cell: unit 0 of row 0 is NaN: " + ys);
            for (int i = 1; i < one.length; i++) assertTrue(Float.isFinite(one[i]), "value " + i + ": " + ys);
            assertArrayEquals(one, two, "1 and 2 threads");
        }
    }

    /**
     * A first step skips h·R and f only from zero h and c, with R finite and the input within forgetInputLimit: each
     * condition broken alone turns it off, for both kernels. Rows are strided (stride 7 for 5 units, 4 inputs) and
     * only the rows asked about count.
     */
    @ParameterizedTest
    @MethodSource("kernelNames")
    void aZeroStartNeedsZeroStatesFiniteRAndAnInputWithinTheLimit(String kernelName) {
        LstmKernels k = kernels(kernelName);
        RandomModels.Built m = RandomModels.build(3, 4, new int[]{5}, 0, true);
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "zero")) {
            Model.LayerWeights layer = model.layers[0];
            Model.DirectionWeights wts = layer.directions()[0];
            var widths = DirectionStage.RowWidths.of(model.layers);
            DirectionStage stage = new DirectionStage(k, layer, 0, 4, 7, new Workspace(), widths);
            float limit = wts.forgetInputLimit();
            assertTrue(limit > 1e30f && limit < Float.MAX_VALUE, "limit " + limit);
            float[] x = new float[3 * 7], h = new float[3 * 7], c = new float[3 * 7];
            java.util.Arrays.fill(x, 0.5f);
            x[7] = -limit;                                        // row 1, at the limit
            java.util.Arrays.fill(h, 14, 21, 1f);                 // row 2: not asked about below
            java.util.Arrays.fill(c, 14, 21, 1f);
            assertTrue(stage.zeroStart(x, 0, 7, 2, h, c, 0, 7), "rows 0 and 1");
            assertFalse(stage.zeroStart(x, 0, 7, 3, h, c, 0, 7), "row 2 has h and c");
            for (float bad : new float[]{Math.nextUp(limit), Float.NEGATIVE_INFINITY, Float.NaN}) {
                float[] xBad = x.clone();
                xBad[10] = bad;                                   // row 1, input 3
                assertFalse(stage.zeroStart(xBad, 0, 7, 2, h, c, 0, 7), "input " + bad);
            }
            float[] hBad = h.clone(), cBad = c.clone();
            hBad[11] = Float.MIN_VALUE;                           // row 1, unit 4
            cBad[0] = -0.5f;
            assertFalse(stage.zeroStart(x, 0, 7, 2, hBad, c, 0, 7), "h not zero");
            assertFalse(stage.zeroStart(x, 0, 7, 2, h, cBad, 0, 7), "c not zero");
            Model.DirectionWeights infR = new Model.DirectionWeights(wts.w(), wts.r(), wts.bias(), null, false, limit, null);
            var infLayer = new Model.LayerWeights(layer.spec(), new Model.DirectionWeights[]{infR}, true, false);
            assertFalse(new DirectionStage(k, infLayer, 0, 4, 7, new Workspace(), widths).zeroStart(x, 0, 7, 2, h, c, 0, 7),
                    "R not finite");
        }
    }

    static Stream<String> kernelNames() {
        return Stream.of("scalar", "vector");
    }

    /** forgetInputLimit: the f gate lines only, their largest column sum of |W|, the room left by the largest |b|. */
    @Test
    void forgetInputLimitBoundsTheForgetGateSumsOnly() {
        int k = 2, p = dev.vlstm.kernel.LstmKernels.PANEL;
        float[] w = new float[4 * k * p], bias = new float[4 * p];          // one panel: [4][k][16], [4][16]
        java.util.Arrays.fill(w, 0, 2 * k * p, Float.POSITIVE_INFINITY);    // gates i and o: not f's business
        w[2 * k * p] = 3f;                   // f, k 0, lane 0
        w[(2 * k + 1) * p] = -1f;            // f, k 1, lane 0: column sum 4
        w[2 * k * p + 1] = 2f;               // lane 1: 2
        bias[2 * p + 5] = -2f;
        assertEquals((float) ((Float.MAX_VALUE / 2.0 - 2) / 4), Model.DirectionWeights.forgetInputLimit(w, bias));
        float[] none = new float[w.length];
        assertEquals(Float.MAX_VALUE, Model.DirectionWeights.forgetInputLimit(none, bias), "W_f all zero");
        for (float bad : new float[]{Float.NaN, Float.NEGATIVE_INFINITY}) {
            float[] wBad = w.clone(), bBad = bias.clone();
            wBad[(2 * k + 1) * p + 15] = bad;
            bBad[2 * p + 15] = bad;
            assertEquals(-1f, Model.DirectionWeights.forgetInputLimit(wBad, bias), "W_f holds " + bad);
            assertEquals(-1f, Model.DirectionWeights.forgetInputLimit(w, bBad), "b_f holds " + bad);
        }
    }

    @Test
    void runIntoACallerBufferAllocatesNothingAfterWarmUp() {
        RandomModels.Built m = RandomModels.build(4, 64, new int[]{32, 32}, 10, true);
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "random")) {
            Session s = model.newSession(50, 2);
            float[] x = RandomModels.uniform(new Random(1), 50 * 2 * 64, 1f);
            float[] y = new float[50 * 2 * 10];
            var result = SteadyAllocation.measure(() -> s.run(x, 50, 2, y), Duration.ofSeconds(1), 63);
            assertTrue(result.bytesPerCall() < 64, "run(x, seq, batch, out) after warm-up: " + result);
        }
    }

    /**
     * W3's shape (hidden 1024, a 32-unit head, 50 rows, so the head has rows left over after its blocks of 4): a
     * compilation this big once ran out of C2's inlining budget and left vector loads in the head's bias fill without
     * their intrinsic, allocating about 8 KB per call. Small models never reach that budget.
     */
    @Test
    void aW3SizedModelAllocatesNothingPerCallAfterWarmUp() {
        RandomModels.Built m = RandomModels.build(12, 256, new int[]{1024, 1024}, 32, true);
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "w3")) {
            Session s = model.newSession(50, 1);
            float[] x = RandomModels.uniform(new Random(2), 50 * 256, 1f);
            float[] y = new float[50 * 32];
            var result = SteadyAllocation.measure(() -> s.run(x, 50, 1, y), Duration.ofSeconds(6), 63);
            assertTrue(result.bytesPerCall() < 64, "a W3-sized run after warm-up: " + result);
        }
    }

    @Test
    void wrongSizesAreRefusedWithTheExpectedSize() {
        RandomModels.Built m = RandomModels.build(5, 4, new int[]{3}, 2, true);
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "random")) {
            Session s = model.newSession();
            var e = assertThrows(IllegalArgumentException.class, () -> s.run(new float[11], 3, 1));
            assertTrue(e.getMessage().contains("expected 12 = seq 3 x batch 1 x 4 features"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> s.run(new float[12], 3, 1, new float[5]));
            assertTrue(e.getMessage().contains("expected 6"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> s.run(new float[0], 0, 1));
            assertTrue(e.getMessage().contains("must be >= 1"), e.getMessage());
        }
    }

    @Test
    void weightsThatDoNotFitInTheHeapAreRefusedBeforeCopying() {
        assertEquals(null, Model.heapShortfall("m.vlstm", 10L << 20, 10L << 20, 1L << 30));
        String message = Model.heapShortfall("m.vlstm", 300L << 20, 200L << 20, 1L << 30);
        assertEquals("m.vlstm: the weights need 300 MiB of Java heap, but only 200 MiB of the 1024 MiB maximum is free;"
                + " raise the heap limit (-Xmx)", message);
    }

    @Test
    void aClosedModelFailsCleanly() {
        RandomModels.Built m = RandomModels.build(6, 4, new int[]{3}, 0, true);
        Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "random.vlstm");
        Session s = model.newSession();
        model.close();
        model.close();
        var e = assertThrows(IllegalStateException.class, () -> s.run(new float[4], 1, 1));
        assertTrue(e.getMessage().contains("random.vlstm: the model is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, model::newSession);
    }

    @Test
    void nanAndInfinityPropagateWithoutAnException() {
        RandomModels.Built m = RandomModels.build(8, 2, new int[]{4}, 1, true);
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "random")) {
            float[] y = model.newSession().run(new float[]{Float.NaN, 0, 1, 2}, 2, 1);
            assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]), "NaN input must give NaN outputs from its step on, got "
                    + java.util.Arrays.toString(y));
            float[] inf = model.newSession().run(new float[]{Float.POSITIVE_INFINITY, 0}, 1, 1);
            assertEquals(1, inf.length);
        }
    }

    /**
     * load() and map() both copy the weights to the heap and let go of the file before they return, so a file
     * truncated afterwards cannot fault (SIGBUS) a model that is running.
     */
    @Test
    void aLoadedOrMappedModelSurvivesItsFileBeingTruncated(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        RandomModels.Built m = RandomModels.build(9, 4, new int[]{8}, 2, true);
        java.nio.file.Path file = dir.resolve("m.vlstm");
        VlstmWriter.write(m.spec(), m.weights(), RandomModels.metadata(), file);
        float[] x = RandomModels.uniform(new Random(3), 5 * 4, 1f);
        try (Model loaded = Model.load(file); Model mapped = Model.map(file)) {
            float[] before = mapped.newSession().run(x, 5, 1);
            try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(100);
            }
            assertArrayEquals(before, mapped.newSession().run(x, 5, 1), "mapped, after the truncation");
            assertArrayEquals(before, loaded.newSession().run(x, 5, 1), "loaded, after the truncation");
        }
        var e = assertThrows(dev.vlstm.format.VlstmFormatException.class, () -> Model.load(file));
        assertTrue(e.getMessage().contains("m.vlstm: header says the file has"), e.getMessage());
    }

    @Test
    void limitsNameTheCapAndHowToRaiseIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        RandomModels.Built m = RandomModels.build(10, 4, new int[]{40, 8}, 2, true);
        java.nio.file.Path file = dir.resolve("m.vlstm");
        VlstmWriter.write(m.spec(), m.weights(), RandomModels.metadata(), file);
        var e = assertThrows(IllegalArgumentException.class, () -> Model.load(file, Limits.defaults().withMaxHidden(32)));
        assertTrue(e.getMessage().contains("hidden size 40 exceeds the cap maxHidden = 32; raise it with -Dvlstm.maxHidden=N"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Model.load(file, Limits.defaults().withMaxLayers(1)));
        assertTrue(e.getMessage().contains("layer count 2 exceeds the cap maxLayers = 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Model.load(file, Limits.defaults().withMaxFileBytes(100)));
        assertTrue(e.getMessage().contains("exceeds the cap maxFileBytes = 100"), e.getMessage());
        try (Model model = Model.load(file, Limits.defaults().withMaxSequence(10))) {
            e = assertThrows(IllegalArgumentException.class, () -> model.newSession().run(new float[11 * 4], 11, 1));
            assertTrue(e.getMessage().contains("sequence length 11 exceeds the cap maxSequence = 10"), e.getMessage());
        }
    }
}
