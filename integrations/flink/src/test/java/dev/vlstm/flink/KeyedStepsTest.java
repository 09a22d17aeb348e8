package dev.vlstm.flink;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.vlstm.format.WeightType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A keyed job on a MiniCluster gives, for every event, exactly the output of stepping that event's key alone in this
 * JVM: bit for bit, as both run the same model through the same kernels one step at a time, and Flink only moves the
 * state (as its snapshot) between events.
 */
class KeyedStepsTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkClusters.twoSlots();

    @TempDir
    Path dir;

    @Test
    void theJvmThatRunsTheMiniClusterHasTheVectorKernels() throws Exception {
        try (dev.vlstm.Model m = dev.vlstm.Model.load(TestModels.seed(dir)); dev.vlstm.Session s = m.newSession()) {
            assertTrue(s.kernels().startsWith("vector"), "kernels " + s.kernels()
                    + ": the test JVM lacks --add-modules=jdk.incubator.vector, so every figure here is the scalar path");
        }
    }

    @Test
    void outputsOfTheSeedModelEqualSteppingEachKeyAloneBitForBit() throws Exception {
        Path model = TestModels.seed(dir);
        int devices = 16, readings = 40;
        StreamExecutionEnvironment env = FlinkClusters.noRestarts();
        CollectingSink sink = CollectingSink.fresh("seed");
        ScoringJob.build(env, model.toString(), ScoringJob.readings(devices, readings, 100, RateLimiterStrategy.noOp()), 2, sink);
        env.execute("seed model, parallelism 2");
        int replays = Scores.assertBitForBit(Reference.scores(model, devices, readings), CollectingSink.received("seed"));
        assertEquals(0, replays, "scores received twice without any failure");
    }

    @Test
    void outputsOfTheW2ModelEqualSteppingEachKeyAloneBitForBit() throws Exception {
        Path model = TestModels.w2(dir);
        int devices = 6, readings = 20;
        StreamExecutionEnvironment env = FlinkClusters.noRestarts();
        CollectingSink sink = CollectingSink.fresh("w2");
        ScoringJob.build(env, model.toString(), ScoringJob.readings(devices, readings, 64, RateLimiterStrategy.noOp()), 2, sink);
        env.execute("W2 model, parallelism 2");
        int replays = Scores.assertBitForBit(Reference.scores(model, devices, readings), CollectingSink.received("w2"));
        assertEquals(0, replays, "scores received twice without any failure");
    }

    /** A model converted with {@code --weights bf16} or {@code int8} runs in the job as in this JVM, bit for bit. */
    @Test
    void outputsOfTheW2ModelInBf16AndInt8EqualSteppingEachKeyAloneBitForBit() throws Exception {
        for (WeightType type : List.of(WeightType.BF16, WeightType.INT8)) {
            Path model = TestModels.w2(dir, type);
            try (dev.vlstm.Model m = dev.vlstm.Model.load(model)) {
                assertEquals(type, m.spec().weights(), model + ": weight type");
            }
            int devices = 6, readings = 20;
            StreamExecutionEnvironment env = FlinkClusters.noRestarts();
            CollectingSink sink = CollectingSink.fresh("w2-" + type.label);
            ScoringJob.build(env, model.toString(), ScoringJob.readings(devices, readings, 64, RateLimiterStrategy.noOp()), 2, sink);
            env.execute("W2 model in " + type.label + ", parallelism 2");
            int replays = Scores.assertBitForBit(Reference.scores(model, devices, readings),
                    CollectingSink.received("w2-" + type.label));
            assertEquals(0, replays, type.label + ": scores received twice without any failure");
        }
    }

    @Test
    void eventsOfAKeyIdleLongerThanTheTtlStartFromAZeroState() throws Exception {
        Path model = TestModels.seed(dir);
        // One device, 3 readings 300 ms apart (the generator sleeps before each but the first), TTL 50 ms.
        StreamExecutionEnvironment env = FlinkClusters.noRestarts();
        CollectingSink sink = CollectingSink.fresh("ttl");
        ScoringJob.build(env, model.toString(), ScoringJob.readings(KeyedStepsTest::slowReading, 3,
                RateLimiterStrategy.noOp()), 1, null, sink, Duration.ofMillis(50));
        env.execute("idle state TTL");
        Scores.assertBitForBit(Reference.scoresFromZero(model, 1, 3), CollectingSink.received("ttl"));
        // ... and the reference that carries the state differs, so the test can tell the two apart.
        assertThrows(AssertionError.class,
                () -> Scores.assertBitForBit(Reference.scores(model, 1, 3), CollectingSink.received("ttl")));
    }

    @Test
    void featuresOfTheWrongWidthFailTheJobNamingTheKeyAndModel() throws Exception {
        Path model = TestModels.seed(dir);
        StreamExecutionEnvironment env = FlinkClusters.noRestarts();
        ScoringJob.build(env, model.toString(), ScoringJob.readings(2, 1, 7, RateLimiterStrategy.noOp()), 1,
                CollectingSink.fresh("width"));
        String errors = FlinkClusters.messages(assertThrows(Exception.class, () -> env.execute("7 features for 100")));
        assertTrue(errors.contains("key 'device-0': the event's features have 7 values, but vlstm model " + model
                + " takes 100 per event"), errors);
    }

    @Test
    void aMissingModelFileFailsTheJobNamingThePath() throws Exception {
        Path missing = dir.resolve("no-such-model.vlstm");
        assertTrue(Files.notExists(missing));
        StreamExecutionEnvironment env = FlinkClusters.noRestarts();
        ScoringJob.build(env, missing.toString(), ScoringJob.readings(1, 1, 100, RateLimiterStrategy.noOp()), 1,
                CollectingSink.fresh("missing"));
        String errors = FlinkClusters.messages(assertThrows(Exception.class, () -> env.execute("missing model")));
        assertTrue(errors.contains("vlstm model " + missing + " not found on this TaskManager"), errors);
    }

    /** Reading i of one device, 300 ms after the previous one: six times the TTL, however the threads are scheduled. */
    private static Reading slowReading(Long i) throws InterruptedException {
        if (i > 0) Thread.sleep(300);
        return Reading.nth(i, 1, 100);
    }
}
