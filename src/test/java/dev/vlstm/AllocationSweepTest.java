package dev.vlstm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlstm.format.Activation;
import dev.vlstm.format.Direction;
import dev.vlstm.format.GateActivations;
import dev.vlstm.format.HeadOp;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.VlstmWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * No call allocates once warmed up, whatever the model's shape, on whatever CPU the tests run: hidden 1 to 1024,
 * heads of 1 to 64 units, batch 1 to 150, seq 1 to 100, forward, reverse and bidirectional layers, the default and
 * the general cell, sequence and last-step outputs, heads of one dense layer and of every head operation (also 64
 * and 100 wide, so that the row operations run their vector loops), whole runs, single and batched steps, one and
 * two threads.
 *
 * <p>An allocation after warm-up means a kernel runs the Vector API's Java fallback: C2 compiled it without its
 * intrinsics (boxed vectors), which is also 10-100x slower. It depends on how much C2 inlined around the kernel, so
 * all shapes run in one JVM, interleaved, as in a service holding several models: every kernel then sees every shape
 * and the most polluted profiles. On an AVX-512 machine (Ice Lake, 2026-12-06, f587ae1) a W3-sized run allocated
 * 140 KB per call this way.
 */
class AllocationSweepTest {

    /** One model, one call shape and how it is called. */
    record Shape(String name, Model model, Session session, Runnable call) {}

    @Test
    void noShapeAllocatesPerCallAfterWarmUp() {
        List<Shape> shapes = new ArrayList<>();
        try {
            addShapes(shapes);
            // Interleaved warm-up: each kernel compiles once every shape has run through it.
            long warmUntil = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < warmUntil) {
                for (Shape s : shapes) {
                    long until = System.nanoTime() + 20_000_000L;       // 20 ms of each shape per round
                    do s.call.run(); while (System.nanoTime() < until);
                }
            }
            List<String> failures = new ArrayList<>(), report = new ArrayList<>();
            for (Shape s : shapes) {
                // Compilation may still be queued on a busy 2-core machine: SteadyAllocation warms the shape again
                // while it allocates, and explains what it still allocates after its wait.
                var result = SteadyAllocation.measure(s.call, Duration.ZERO, 0, "vlstm-sweep-" + s.name);
                report.add(s.name + ": " + result.bytesPerCall() + " B");
                if (result.bytesPerCall() > 0) failures.add(s.name + ": " + result);
            }
            assertTrue(failures.isEmpty(), "after warm-up on " + dev.vlstm.kernel.Kernels.active() + ": " + failures + "; all: " + report);
        } finally {
            for (Shape s : shapes) {
                s.session.close();
                s.model.close();
            }
        }
    }

    private static void addShapes(List<Shape> shapes) {
        LayerSpec generalCell = new LayerSpec(12, 48, Direction.FORWARD, 3f, false, true,
                List.of(new GateActivations(Activation.SIGMOID, Activation.TANH, Activation.TANH)));
        LayerSpec coupled = new LayerSpec(48, 20, Direction.BIDIRECTIONAL, Float.POSITIVE_INFINITY, true, false,
                Collections.nCopies(2, GateActivations.DEFAULT));
        sequence(shapes, "hidden 1, head 1, seq 100", 1, List.of(layer(1, 1)), 1, false, 100, 1, 1);
        sequence(shapes, "W1: 2x16, head 13, seq 150", 100, List.of(layer(100, 16), layer(16, 16)), 13, false, 150, 1, 1);
        sequence(shapes, "W1b: 2x16, head 13, batch 150", 100, List.of(layer(100, 16), layer(16, 16)), 13, false, 1, 150, 1);
        sequence(shapes, "W1 on 2 threads", 100, List.of(layer(100, 16), layer(16, 16)), 13, false, 150, 1, 2);
        sequence(shapes, "bidirectional 37, head 10, batch 5", 7, List.of(layer(7, 37, Direction.BIDIRECTIONAL)), 10,
                false, 20, 5, 1);
        sequence(shapes, "reverse 64, no head, batch 7", 30, List.of(layer(30, 64, Direction.REVERSE)), 0, false, 30, 7, 1);
        sequence(shapes, "W2: 2x256, head 64, seq 100", 64, List.of(layer(64, 256), layer(256, 256)), 64, false, 100, 1, 1);
        sequence(shapes, "W2 on 2 threads", 64, List.of(layer(64, 256), layer(256, 256)), 64, false, 100, 1, 2);
        // 35 ms a call: fewer calls in the warm-up than C2 waits for before compiling a kernel called once per call.
        sequence(shapes, "W3: 2x1024, head 32, seq 50", 256, List.of(layer(256, 1024), layer(1024, 1024)), 32, false,
                50, 1, 1);
        sequence(shapes, "W4: 256, head 64, seq 20, batch 64", 128, List.of(layer(128, 256)), 64, false, 20, 64, 1);
        sequence(shapes, "512, head 33, batch 150, one step", 40, List.of(layer(40, 512)), 33, false, 1, 150, 1);
        sequence(shapes, "100 then 200, many-to-one head 3, batch 3", 50, List.of(layer(50, 100), layer(100, 200)), 3,
                true, 40, 3, 1);
        sequence(shapes, "64 on 2 threads, batch 12, one step", 64, List.of(layer(64, 64), layer(64, 64)), 10, false,
                1, 12, 2);
        for (dev.vlstm.format.WeightType type : dev.vlstm.format.WeightType.values()) {
            general(shapes, "general cell (clip, peepholes) 48, then coupled bidirectional 20, lengths, " + type.label,
                    generalCell, coupled, 25, 3, type);
        }
        steps(shapes, "W5: step 2x256, head 64", 64, List.of(layer(64, 256), layer(256, 256)), 64, 1, 1);
        steps(shapes, "step of 9 streams, 100, head 5", 20, List.of(layer(20, 100)), 5, 9, 1);
        steps(shapes, "step of 6 streams on 2 threads, 1024", 16, List.of(layer(16, 1024)), 0, 6, 2);
        chained(shapes, "every head operation, seq 30, batch 4, 2 threads", false, 30, 4, 2);
        chained(shapes, "every head operation, last step, batch 150, one step, 2 threads", true, 1, 150, 2);
        chained(shapes, "every head operation, step", false, 0, 1, 1);
        chained(shapes, "wide exp-based head operations, seq 30, batch 4", HeadTest.WIDE, false, 30, 4, 1);
        chained(shapes, "wide head, last step, batch 150, one step, 2 threads", HeadTest.WIDE, true, 1, 150, 2);
        chained(shapes, "wide head, step", HeadTest.WIDE, false, 0, 1, 1);
        chained(shapes, "log-softmax over 100, seq 20, batch 3", HeadTest.WIDE_LOG_SOFTMAX, false, 20, 3, 1);
        chained(shapes, "log-softmax over 33, step", HeadTest.LOG_SOFTMAX, false, 0, 1, 1);
        RandomModels.Built e = RandomModels.withEmbedding(96, 1000, 32, new int[]{64, 64}, 1000);
        Model em = Model.load(VlstmWriter.toBytes(e.spec(), e.weights(), RandomModels.metadata()), "sweep-embedding");
        Session es = em.newSession(20, 4, 2), esStep = em.newSession();
        int[] ids = RandomModels.ids(new Random(2), 20 * 4, 1000);
        long[] longIds = java.util.Arrays.stream(ids).asLongStream().toArray();
        float[] ey = new float[20 * 4 * em.outputSize()], eStep = new float[em.outputSize()];
        RunArgs eArgs = new RunArgs().tokens(longIds, 20, 4).output(ey);
        LstmState eState = em.newState();
        shapes.add(new Shape("token ids (int64), embedding 1000 x 32, 2x64, head 1000, seq 20, batch 4, 2 threads", em, es,
                () -> es.run(eArgs)));
        shapes.add(new Shape("token id step, embedding 1000 x 32", em, esStep, () -> esStep.step(eState, ids[7], eStep)));
        List<HeadOp> pooled = new ArrayList<>(List.of(HeadOp.of(HeadOp.Kind.MAX_OVER_TIME, 18)));
        pooled.addAll(HeadTest.EVERY_OP);
        RandomModels.Built p = RandomModels.withHead(95, 5, new int[]{11, 18}, pooled, true);
        Model pm = Model.load(VlstmWriter.toBytes(p.spec(), p.weights(), RandomModels.metadata()), "sweep-pooled");
        Session ps = pm.newSession(40, 6, 2);
        float[] px = RandomModels.uniform(new Random(1), 40 * 6 * 5, 1f), py = new float[6 * pm.outputSize()];
        shapes.add(new Shape("max over time then every head operation, seq 40, batch 6, 2 threads", pm, ps,
                () -> ps.run(px, 40, 6, py)));
        // bf16 and int8 R: batch 1 streams the reduced matrix, batch 5 widens it a panel at a time, on 1 and 2 threads;
        // and a step. The general path's reduced product: "general cell ..." above, at each weight type.
        RandomModels.Built b = RandomModels.build(97, 12, new int[]{256, 256}, 8, true);
        for (dev.vlstm.format.WeightType type : List.of(dev.vlstm.format.WeightType.BF16, dev.vlstm.format.WeightType.INT8)) {
            Model rm = Model.load(VlstmWriter.toBytes(b.spec().withWeights(type), b.weights(), RandomModels.metadata()),
                    "sweep-" + type.label, Limits.defaults().withMaxDecodedInt8Bytes(0));
            float[] rx = RandomModels.uniform(new Random(3), 30 * 5 * 12, 1f), ry = new float[30 * 5 * rm.outputSize()];
            for (int threads : new int[]{1, 2}) {
                for (int batch : new int[]{1, 5}) {
                    Session rs = rm.newSession(30, batch, threads);
                    float[] bx = java.util.Arrays.copyOf(rx, 30 * batch * 12), by = new float[30 * batch * rm.outputSize()];
                    shapes.add(new Shape(type.label + " weights, 2x256, head 8, seq 30, batch " + batch + ", " + threads
                            + " threads", rm, rs, () -> rs.run(bx, 30, batch, by)));
                }
            }
            Session rStep = rm.newSession();
            LstmState rState = rm.newState();
            float[] sx = java.util.Arrays.copyOf(rx, 12), sy = new float[rm.outputSize()];
            shapes.add(new Shape(type.label + " weights, step", rm, rStep, () -> rStep.step(rState, sx, sy)));
        }
    }

    /** The chained head of {@link HeadTest#EVERY_OP} (format 2.1): a run, or a step of one stream when seq is 0. */
    private static void chained(List<Shape> shapes, String name, boolean lastStep, int seq, int batch, int threads) {
        chained(shapes, name, HeadTest.EVERY_OP, lastStep, seq, batch, threads);
    }

    /** A chained head (format 2.1) on layers 11 and 18: a run, or a step of one stream when seq is 0. */
    private static void chained(List<Shape> shapes, String name, List<HeadOp> head, boolean lastStep, int seq, int batch,
                                int threads) {
        RandomModels.Built m = RandomModels.withHead(name.hashCode(), 5, new int[]{11, 18}, head, lastStep);
        Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), RandomModels.metadata()), "sweep-" + name);
        Session session = model.newSession(Math.max(seq, 1), batch, threads);
        float[] x = RandomModels.uniform(new Random(1), Math.max(seq, 1) * batch * 5, 1f);
        float[] y = new float[(lastStep || seq == 0 ? batch : seq * batch) * model.outputSize()];
        if (seq == 0) {
            LstmState state = model.newState();
            shapes.add(new Shape(name, model, session, () -> session.step(state, x, y)));
        } else {
            shapes.add(new Shape(name, model, session, () -> session.run(x, seq, batch, y)));
        }
    }

    private static LayerSpec layer(int input, int hidden) {
        return LayerSpec.standard(input, hidden);
    }

    private static LayerSpec layer(int input, int hidden, Direction direction) {
        return LayerSpec.standard(input, hidden, direction);
    }

    /** A run over [seq, batch] into a caller's array. */
    private static void sequence(List<Shape> shapes, String name, int input, List<LayerSpec> layers, int head,
                                 boolean lastStep, int seq, int batch, int threads) {
        Model model = model(name, layers, head, lastStep, false, new Random(name.hashCode()));
        Session session = model.newSession(seq, batch, threads);
        float[] x = RandomModels.uniform(new Random(1), seq * batch * input, 1f);
        float[] y = new float[(lastStep ? batch : seq * batch) * model.outputSize()];
        shapes.add(new Shape(name, model, session, () -> session.run(x, seq, batch, y)));
    }

    /** A run through the general path: the general cell, initial states, sequence lengths, final states. */
    private static void general(List<Shape> shapes, String name, LayerSpec first, LayerSpec second, int seq,
                                int batch, dev.vlstm.format.WeightType type) {
        Model model = model(name, List.of(first, second), 0, false, true, new Random(3), type);
        Session session = model.newSession(seq, batch);
        int slots = model.spec().stateSlots(), hidden = first.hiddenSize();
        float[] x = RandomModels.uniform(new Random(1), seq * batch * first.inputSize(), 1f);
        float[] y = new float[seq * batch * model.outputSize()];
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) lengths[b] = seq - 7 * b;
        // States of the first layer's width only fit a model whose layers are all as wide: give none (zeros).
        RunArgs args = new RunArgs().input(x, seq, batch).sequenceLengths(lengths).output(y);
        assertTrue(slots > 0 && hidden > 0);
        shapes.add(new Shape(name, model, session, () -> session.run(args)));
    }

    /** {@code Session.step} of {@code streams} carried states (one state: the single-stream call). */
    private static void steps(List<Shape> shapes, String name, int input, List<LayerSpec> layers, int head,
                              int streams, int threads) {
        Model model = model(name, layers, head, false, false, new Random(name.hashCode()));
        Session session = model.newSession(1, streams, threads);
        LstmState[] states = new LstmState[streams];
        for (int i = 0; i < streams; i++) states[i] = model.newState();
        float[] x = RandomModels.uniform(new Random(1), streams * input, 1f), y = new float[streams * model.outputSize()];
        Runnable call = streams == 1 ? () -> session.step(states[0], x, y) : () -> session.step(states, streams, x, y);
        shapes.add(new Shape(name, model, session, call));
    }

    private static Model model(String name, List<LayerSpec> layers, int headUnits, boolean lastStep, boolean lengths,
                               Random rnd) {
        return model(name, layers, headUnits, lastStep, lengths, rnd, dev.vlstm.format.WeightType.FP32);
    }

    private static Model model(String name, List<LayerSpec> layers, int headUnits, boolean lastStep, boolean lengths,
                               Random rnd, dev.vlstm.format.WeightType type) {
        List<List<ModelWeights.DirectionWeights>> weights = new ArrayList<>();
        for (LayerSpec l : layers) {
            int h = l.hiddenSize(), in = l.inputSize();
            float scale = (float) (1 / Math.sqrt(h));
            List<ModelWeights.DirectionWeights> dirs = new ArrayList<>();
            for (int d = 0; d < l.direction().count; d++) {
                dirs.add(new ModelWeights.DirectionWeights(RandomModels.uniform(rnd, 4 * h * in, scale),
                        RandomModels.uniform(rnd, 4 * h * h, scale), RandomModels.uniform(rnd, 4 * h, scale),
                        RandomModels.uniform(rnd, 4 * h, scale), l.peepholes() ? RandomModels.uniform(rnd, 3 * h, scale) : null));
            }
            weights.add(dirs);
        }
        int top = layers.getLast().outputSize(), out = headUnits > 0 ? headUnits : top;
        List<HeadOp> head = headUnits > 0 ? List.of(HeadOp.dense(top, headUnits)) : List.of();
        List<IoSpec> inputs = new ArrayList<>(List.of(new IoSpec(IoSpec.Role.SEQUENCE_INPUT, "x",
                List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(layers.getFirst().inputSize())))));
        if (lengths) inputs.add(new IoSpec(IoSpec.Role.SEQUENCE_LENS, "lengths", List.of(IoSpec.Dim.free("batch"))));
        IoSpec output = lastStep
                ? new IoSpec(IoSpec.Role.LAST_STEP_OUTPUT, "y", List.of(IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(out)))
                : new IoSpec(IoSpec.Role.SEQUENCE_OUTPUT, "y",
                        List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(out)));
        ModelSpec spec = new ModelSpec(layers, SequenceLayout.SEQ_BATCH, head, inputs, List.of(output));
        float s = (float) (1 / Math.sqrt(top));
        ModelWeights w = new ModelWeights(weights, headUnits == 0 ? null : RandomModels.uniform(rnd, headUnits * top, s),
                headUnits == 0 ? null : RandomModels.uniform(rnd, headUnits, s));
        // int8 on its own kernels: a model this small the defaults decode to fp32 (Limits.maxDecodedInt8Bytes)
        return Model.load(VlstmWriter.toBytes(spec.withWeights(type), w, RandomModels.metadata()), "sweep-" + name,
                Limits.defaults().withMaxDecodedInt8Bytes(0));
    }
}
