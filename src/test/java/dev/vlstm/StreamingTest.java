package dev.vlstm;

import dev.vlstm.format.Direction;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.VlstmWriter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The step API: one timestep at a time with carried state, micro-batches, snapshots, threads. */
class StreamingTest {

    static Model model(long seed, int input, int[] hidden, int head) {
        RandomModels.Built m = RandomModels.build(seed, input, hidden, head, true);
        return Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "stream-" + seed);
    }

    /** Steps a [seq][1][input] sequence through a fresh state; returns [seq][output]. */
    static float[] stepAll(Session s, Model m, float[] x, int seq) {
        LstmState state = m.newState();
        float[] out = new float[seq * m.outputSize()], xt = new float[m.inputSize()], yt = new float[m.outputSize()];
        for (int t = 0; t < seq; t++) {
            System.arraycopy(x, t * xt.length, xt, 0, xt.length);
            s.step(state, xt, yt);
            System.arraycopy(yt, 0, out, t * yt.length, yt.length);
        }
        return out;
    }

    static double maxAbs(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /**
     * Within 1e-6, not bit for bit: the same code gives results 1 ulp apart when the JIT has compiled it at different
     * tiers (the Vector API's exp runs as Java code before C2 intrinsifies it), so exact equality would be flaky.
     */
    @Test
    void steppingASequenceGivesTheNumbersOfRunningItWhole() {
        try (Model m = model(1, 10, new int[]{37, 16}, 4)) {
            float[] x = RandomModels.uniform(new Random(2), 50 * 10, 1f);
            Session s = m.newSession();
            float[] whole = s.run(x, 50, 1);
            float[] stepped = stepAll(s, m, x, 50);
            double e = maxAbs(whole, stepped);
            assertTrue(e <= 1e-6, "step-by-step vs run: max abs error " + e);
        }
    }

    @Test
    void aMicroBatchOfStreamsEqualsSteppingEachAlone() {
        try (Model m = model(3, 6, new int[]{20, 20}, 3)) {
            int n = 7, seq = 12;
            Session s = m.newSession();
            LstmState[] batch = new LstmState[n];
            for (int b = 0; b < n; b++) batch[b] = m.newState();
            float[][] xs = new float[n][];
            for (int b = 0; b < n; b++) xs[b] = RandomModels.uniform(new Random(10 + b), seq * 6, 1f);
            float[] x = new float[n * 6], y = new float[n * 3];
            float[][] together = new float[n][seq * 3];
            for (int t = 0; t < seq; t++) {
                for (int b = 0; b < n; b++) System.arraycopy(xs[b], t * 6, x, b * 6, 6);
                s.step(batch, n, x, y);
                for (int b = 0; b < n; b++) System.arraycopy(y, b * 3, together[b], t * 3, 3);
            }
            double worst = 0;
            for (int b = 0; b < n; b++) {
                float[] alone = stepAll(s, m, xs[b], seq);
                for (int i = 0; i < alone.length; i++) worst = Math.max(worst, Math.abs(alone[i] - together[b][i]));
            }
            assertTrue(worst <= 1e-6, "micro-batched vs alone: max abs error " + worst);
        }
    }

    @Test
    void statesResetCopyAndSnapshotRoundTrip() {
        try (Model m = model(4, 5, new int[]{9}, 0); Model other = model(5, 5, new int[]{9}, 0)) {
            Session s = m.newSession();
            LstmState a = m.newState();
            float[] y = new float[9];
            s.step(a, new float[]{1, 2, 3, 4, 5}, y);
            LstmState copy = a.copy();
            byte[] snap = a.toBytes();
            LstmState restored = m.restoreState(snap);
            assertArrayEquals(a.hidden(0), restored.hidden(0));
            assertArrayEquals(a.cell(0), restored.cell(0));
            float[] y1 = new float[9], y2 = new float[9];
            s.step(a, new float[]{0, 1, 0, 1, 0}, y1);
            s.step(restored, new float[]{0, 1, 0, 1, 0}, y2);
            assertTrue(maxAbs(y1, y2) <= 1e-6, "a restored state continues like the original");
            assertFalse(java.util.Arrays.equals(copy.hidden(0), a.hidden(0)), "a copy is independent");
            a.reset();
            assertArrayEquals(new float[9], a.hidden(0));
            var e = assertThrows(IllegalArgumentException.class, () -> other.restoreState(snap));
            assertTrue(e.getMessage().contains("belongs to another model"), e.getMessage());
            snap[60] ^= 1;
            e = assertThrows(IllegalArgumentException.class, () -> m.restoreState(snap));
            assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.restoreState(new byte[10]));
            assertThrows(IllegalArgumentException.class, () -> s.step(other.newState(), new float[5], new float[9]));
        }
    }

    /**
     * {@link LstmState#restore} puts a snapshot into an existing state, bit for bit what restoreState gives, allocating
     * nothing after warm-up; a snapshot it refuses (another model, damaged, truncated) leaves the state as it was.
     */
    @Test
    void aSnapshotRestoresIntoAnExistingStateWithoutAllocatingAndARefusedOneChangesNothing() {
        try (Model m = model(4, 5, new int[]{9, 7}, 0); Model other = model(5, 5, new int[]{9, 7}, 0)) {
            Session s = m.newSession();
            LstmState a = m.newState(), into = m.newState();
            float[] y = new float[7];
            s.step(a, new float[]{1, 2, 3, 4, 5}, y);
            byte[] snap = a.toBytes();
            into.restore(snap);
            LstmState fresh = m.restoreState(snap);
            for (int l = 0; l < 2; l++) {
                assertArrayEquals(fresh.hidden(l), into.hidden(l), "layer " + l + " h");
                assertArrayEquals(fresh.cell(l), into.cell(l), "layer " + l + " c");
                assertArrayEquals(a.hidden(l), into.hidden(l), "layer " + l + " h vs the original");
            }
            byte[] foreign = other.newState().toBytes(), damaged = snap.clone(), truncated = Arrays.copyOf(snap, 60);
            damaged[60] ^= 1;
            float[] h0 = into.hidden(0), c1 = into.cell(1);
            for (byte[] bad : new byte[][]{foreign, damaged, truncated, new byte[10]}) {
                assertThrows(IllegalArgumentException.class, () -> into.restore(bad));
                assertArrayEquals(h0, into.hidden(0), "a refused snapshot changed h");
                assertArrayEquals(c1, into.cell(1), "a refused snapshot changed c");
            }
            var e = assertThrows(IllegalArgumentException.class, () -> into.restore(foreign));
            assertTrue(e.getMessage().contains("belongs to another model"), e.getMessage());
            var result = SteadyAllocation.measure(() -> into.restore(snap), java.time.Duration.ofSeconds(1), 31);
            assertTrue(result.bytesPerCall() < 8, "restore into an existing state after warm-up: " + result);
        }
    }

    @Test
    void bidirectionalAndReverseModelsRefuseToStream() {
        for (Direction d : List.of(Direction.BIDIRECTIONAL, Direction.REVERSE)) {
            LayerSpec layer = LayerSpec.standard(3, 4, d);
            var dw = new ModelWeights.DirectionWeights(new float[48], new float[64], null, null);
            int out = 4 * d.count;
            ModelSpec spec = new ModelSpec(List.of(layer), SequenceLayout.SEQ_BATCH, null,
                    List.of(new IoSpec(IoSpec.Role.SEQUENCE_INPUT, "x", List.of(IoSpec.Dim.free("s"), IoSpec.Dim.free("b"), IoSpec.Dim.fixed(3)))),
                    List.of(new IoSpec(IoSpec.Role.SEQUENCE_OUTPUT, "y", List.of(IoSpec.Dim.free("s"), IoSpec.Dim.free("b"), IoSpec.Dim.fixed(out)))));
            List<ModelWeights.DirectionWeights> dirs = d.count == 2 ? List.of(dw, dw) : List.of(dw);
            try (Model m = Model.load(VlstmWriter.toBytes(spec, new ModelWeights(List.of(dirs), List.of()), RandomModels.metadata()), "bi.vlstm")) {
                var e = assertThrows(UnsupportedOperationException.class, m::newState);
                assertTrue(e.getMessage().contains("bi.vlstm: layer 0 is " + d.onnxName) && e.getMessage().contains("cannot stream"),
                        e.getMessage());
            }
        }
    }

    @Test
    void stepAllocatesNothingAfterWarmUp() {
        try (Model m = model(6, 64, new int[]{32, 32}, 10)) {
            Session s = m.newSession();
            LstmState[] states = {m.newState(), m.newState(), m.newState()};
            float[] x = RandomModels.uniform(new Random(1), 3 * 64, 1f), y = new float[30], x1 = new float[64], y1 = new float[10];
            Runnable twoSteps = () -> {        // a batched step and a single one
                s.step(states, 3, x, y);
                s.step(states[0], x1, y1);
            };
            var result = SteadyAllocation.measure(twoSteps, java.time.Duration.ofSeconds(1), 31);
            assertTrue(result.bytesPerCall() < 32, "a batched and a single step after warm-up: " + result);
        }
    }

    /** 8 threads × 3 models × random steps and whole sequences, every result checked against a single-threaded run. */
    @Test
    void eightThreadsShareModelsAndMatchSingleThreadedResults() throws Exception {
        List<Model> models = List.of(model(7, 8, new int[]{16}, 2), model(8, 3, new int[]{40, 24}, 5), model(9, 12, new int[]{13, 13, 13}, 0));
        try {
            int seq = 20;
            List<float[]> inputs = new ArrayList<>(), expected = new ArrayList<>();
            for (int k = 0; k < 24; k++) {
                Model m = models.get(k % 3);
                float[] x = RandomModels.uniform(new Random(100 + k), seq * m.inputSize(), 1f);
                inputs.add(x);
                expected.add(m.newSession().run(x, seq, 1));
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            AtomicInteger checks = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int th = 0; th < 8; th++) {
                int thread = th;
                futures.add(pool.submit(() -> {
                    Session[] sessions = models.stream().map(Model::newSession).toArray(Session[]::new);
                    Random rnd = new Random(thread);
                    for (int iter = 0; iter < 300; iter++) {
                        int k = rnd.nextInt(24);
                        Model m = models.get(k % 3);
                        float[] got = rnd.nextBoolean() ? sessions[k % 3].run(inputs.get(k), seq, 1) : stepAll(sessions[k % 3], m, inputs.get(k), seq);
                        double e = maxAbs(expected.get(k), got);
                        assertTrue(e <= 1e-6, "thread " + thread + " iteration " + iter + " sequence " + k + ": max abs error " + e);
                        checks.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
            pool.shutdown();
            assertEquals(2400, checks.get());
        } finally {
            models.forEach(Model::close);
        }
    }

    @Test
    void closingAModelWhileThreadsUseItFailsCleanly() throws Exception {
        Model m = model(11, 16, new int[]{64, 64}, 4);
        float[] x = RandomModels.uniform(new Random(1), 200 * 16, 1f);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<String>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++)
            futures.add(pool.submit(() -> {
                Session s = m.newSession();
                try {
                    for (int i = 0; i < 100_000; i++) s.run(x, 200, 1);
                    return "finished";
                } catch (IllegalStateException e) {
                    return e.getMessage();
                }
            }));
        Thread.sleep(300);
        m.close();
        for (Future<String> f : futures) {
            String outcome = f.get();
            assertTrue(outcome.contains("the model is closed") || outcome.contains("was closed while a session was running it"),
                    "a run racing close() must end in a clear IllegalStateException, got: " + outcome);
        }
        pool.shutdown();
    }
}
