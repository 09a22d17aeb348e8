package dev.vlstm.flink;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task that fails mid-stream is restored from the last completed checkpoint: each key's LSTM state goes back to the
 * checkpoint with the source's position, the readings since are replayed, and every score, the replayed ones included,
 * equals the failure-free reference bit for bit. A state lost (a key back at zero) or applied twice (a replayed reading
 * stepped on top of the state it had already advanced) would change the outputs of that key from there on.
 */
class FailureRecoveryTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkClusters.twoSlots();

    @TempDir
    Path dir;

    @Test
    void aFailureMidStreamRecoversFromTheLastCheckpointWithEveryStateAppliedOnce() throws Exception {
        Path model = TestModels.seed(dir);
        int devices = 8, readings = 60;
        FailOnceAfter.FAILED.set(false);
        StreamExecutionEnvironment env = FlinkClusters.restarting(2);
        env.enableCheckpointing(50);
        // 40 readings per checkpoint: each checkpoint ends a batch, so checkpoints fall mid-stream, 12 in all, and the
        // failure (a subtask's 50th score after a completed checkpoint) falls between two of them.
        CollectingSink sink = CollectingSink.fresh("recovery");
        ScoringJob.build(env, model.toString(), ScoringJob.readings(devices, readings, 100,
                RateLimiterStrategy.perCheckpoint(40)), 2, new FailOnceAfter(50), sink, null);
        JobExecutionResult result = env.execute("failure mid-stream");

        assertTrue(FailOnceAfter.FAILED.get(), "the injected failure never happened");
        List<Score> received = CollectingSink.received("recovery");
        int replays = Scores.assertBitForBit(Reference.scores(model, devices, readings), received);
        assertTrue(replays > 0, "no score was replayed, so the job did not go back to a checkpoint (" + received.size()
                + " scores, " + result.getNetRuntime() + " ms)");
        System.out.printf("failure recovery: %d scores for %d events, %d replayed after the restore, all bit for bit%n",
                received.size(), devices * readings, replays);
    }
}
