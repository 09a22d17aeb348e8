package dev.vlstm.flink;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.vlstm.format.WeightType;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LstmMicroBatchOperator} gives what {@link LstmStepFunction} gives: every event the output of stepping its key
 * alone, within the 1e-6 the core promises for stepping several states together (Session.step over states: its
 * several-row kernels may round differently from the one-row kernel at some vector widths), also across a failure,
 * since every batch is stepped before a checkpoint barrier goes on; for W2 in fp32, bf16 and int8. On the Zen 3 (AVX2),
 * 2026-12-07, every score was bit for bit; the count is printed.
 */
class MicroBatchTest {
    /** Session.step over several states against one at a time: the core's promise (README, "Streaming"). */
    private static final double TOLERANCE = 1e-6;
    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(METRICS.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void batchesOfSixteenKeysEqualSteppingEachKeyAloneWithin1e6() throws Exception {
        for (Path model : List.of(TestModels.seed(dir), TestModels.w2(dir), TestModels.w2(dir, WeightType.BF16),
                TestModels.w2(dir, WeightType.INT8))) {
            int devices = 40, readings = 8, inputSize = model.toString().contains("w2") ? 64 : 100;
            StreamExecutionEnvironment env = FlinkClusters.noRestarts();
            CollectingSink sink = CollectingSink.fresh("batched");
            ScoringJob.build(env, model.toString(), ScoringJob.readings(devices, readings, inputSize,
                    RateLimiterStrategy.noOp()), 2, null, sink, null, 16);
            JobID job = env.execute("micro-batches of 16 keys").getJobID();
            long batches = sum(job, "vlstmBatches"), events = sum(job, "vlstmBatchedEvents");
            assertEquals((long) devices * readings, events, "events stepped in batches");
            System.out.printf("micro-batches, %s: %d events in %d batches%n", model.getFileName(), events, batches);
            assertTrue(events >= 4 * batches, events + " events in " + batches + " batches: the keys were hardly batched");
            var reference = Reference.scores(model, devices, readings);
            var received = CollectingSink.received("batched");
            assertEquals(0, Scores.assertMatches(reference, received, TOLERANCE),
                    model + ": scores received twice without any failure");
            System.out.printf("micro-batches, %s: %d of %d scores bit for bit%n", model.getFileName(),
                    Scores.bitForBit(reference, received), received.size());
        }
    }

    @Test
    void aFailureMidStreamRecoversWithEveryStateAppliedOnce() throws Exception {
        Path model = TestModels.seed(dir);
        int devices = 8, readings = 60;
        FailOnceAfter.FAILED.set(false);
        StreamExecutionEnvironment env = FlinkClusters.restarting(2);
        env.enableCheckpointing(50);
        CollectingSink sink = CollectingSink.fresh("batched-recovery");
        ScoringJob.build(env, model.toString(), ScoringJob.readings(devices, readings, 100,
                RateLimiterStrategy.perCheckpoint(40)), 2, new FailOnceAfter(50), sink, null, 16);
        env.execute("micro-batches, failure mid-stream");
        assertTrue(FailOnceAfter.FAILED.get(), "the injected failure never happened");
        List<Score> received = CollectingSink.received("batched-recovery");
        int replays = Scores.assertMatches(Reference.scores(model, devices, readings), received, TOLERANCE);
        assertTrue(replays > 0, "no score was replayed, so the job did not go back to a checkpoint");
    }

    private static long sum(JobID job, String counter) {
        return METRICS.findMetrics(job, counter).values().stream().mapToLong(m -> ((Counter) m).getCount()).sum();
    }
}
