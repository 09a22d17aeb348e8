package dev.vlstm.flink;

import dev.vlstm.format.WeightType;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each key's LSTM state moves with the key through a savepoint: the job is stopped with a savepoint after half of
 * every device's readings and restarted from it at another parallelism with the rest, and every score of both runs
 * equals stepping each device's readings alone, once each. A savepoint restored with another model file is refused.
 */
class SavepointTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkClusters.twoSlots();

    private static final int DEVICES = 12, READINGS = 20, FIRST_HALF = DEVICES * READINGS / 2;

    @TempDir
    Path dir;

    @Test
    void rescalingFromTwoSubtasksToOneKeepsEveryKeysState() throws Exception {
        rescale(2, 1);
    }

    @Test
    void rescalingFromOneSubtaskToTwoKeepsEveryKeysState() throws Exception {
        rescale(1, 2);
    }

    @Test
    void aSavepointOfTheFunctionRestoresIntoTheMicroBatchOperator() throws Exception {
        Path model = TestModels.seed(dir);
        String savepoint = firstHalfThenSavepoint(model, 2, "function");
        restoreAndFinish(savepoint, model, 2, "micro-batch", 16);
        List<Score> both = new ArrayList<>(CollectingSink.received("function"));
        both.addAll(CollectingSink.received("micro-batch"));
        // the micro-batch half steps several states together: within the core's 1e-6 (MicroBatchTest)
        assertEquals(0, Scores.assertMatches(Reference.scores(model, DEVICES, READINGS), both, 1e-6),
                "scores received twice across a stop-with-savepoint");
    }

    private void rescale(int before, int after) throws Exception {
        Path model = TestModels.seed(dir);
        String savepoint = firstHalfThenSavepoint(model, before, "before");
        restoreAndFinish(savepoint, model, after, "after");

        List<Score> both = new ArrayList<>(CollectingSink.received("before"));
        both.addAll(CollectingSink.received("after"));
        assertEquals(DEVICES * READINGS - FIRST_HALF, CollectingSink.received("after").size(), "scores after the restore");
        assertEquals(0, Scores.assertBitForBit(Reference.scores(model, DEVICES, READINGS), both),
                "scores received twice across a stop-with-savepoint");
    }

    @Test
    void aSavepointRestoredIntoAnotherModelIsRefusedNamingTheKeyAndTheModel() throws Exception {
        Path taken = TestModels.seed(dir);
        // The same shape (input 100, hidden 16 × 2, head 13), so the snapshots' sizes agree: only the fingerprint differs.
        Path other = TestModels.stacked(dir, "other-h16", 7, 100, 16, 13, WeightType.FP32);
        String savepoint = firstHalfThenSavepoint(taken, 2, "taken");
        Exception e = assertThrows(Exception.class, () -> restoreAndFinish(savepoint, other, 2, "other"));
        String errors = FlinkClusters.messages(e);
        assertTrue(errors.matches("(?s).*key 'device-\\d+': the LSTM state in Flink's keyed state cannot be restored into"
                + " vlstm model \\Q" + other + "\\E: the state snapshot belongs to another model.*"), errors);
        assertEquals(List.of(), CollectingSink.received("other"), "scores computed from a state of another model");
        System.out.println("refused: " + errors.lines().filter(l -> l.contains("cannot be restored")).findFirst().orElseThrow());
    }

    /**
     * Runs the job on the first half of the readings (the source releases {@link #FIRST_HALF} and waits: it is
     * released per checkpoint, and this job takes none), then stops it with a savepoint; returns its path.
     */
    private String firstHalfThenSavepoint(Path model, int parallelism, String sinkName) throws Exception {
        StreamExecutionEnvironment env = FlinkClusters.noRestarts();
        CollectingSink sink = CollectingSink.fresh(sinkName);
        ScoringJob.build(env, model.toString(), ScoringJob.readings(DEVICES, READINGS, 100,
                RateLimiterStrategy.perCheckpoint(FIRST_HALF)), parallelism, sink);
        JobClient job = env.executeAsync("first half at parallelism " + parallelism);
        FlinkClusters.await("the first half's " + FIRST_HALF + " scores", Duration.ofSeconds(60),
                () -> CollectingSink.received(sinkName).size() >= FIRST_HALF);
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        job.getJobExecutionResult().get(60, TimeUnit.SECONDS);
        assertEquals(FIRST_HALF, CollectingSink.received(sinkName).size(), "scores before the savepoint");
        return savepoint;
    }

    /** Runs the same job from {@code savepoint} at {@code parallelism} until the source's last reading. */
    private static void restoreAndFinish(String savepoint, Path model, int parallelism, String sinkName) throws Exception {
        restoreAndFinish(savepoint, model, parallelism, sinkName, 0);
    }

    /** With {@code microBatchKeys} > 0, through {@link LstmMicroBatchOperator} instead of the function. */
    private static void restoreAndFinish(String savepoint, Path model, int parallelism, String sinkName,
                                         int microBatchKeys) throws Exception {
        StreamExecutionEnvironment env = FlinkClusters.noRestarts();
        ScoringJob.build(env, model.toString(), ScoringJob.readings(DEVICES, READINGS, 100, RateLimiterStrategy.noOp()),
                parallelism, null, CollectingSink.fresh(sinkName), null, microBatchKeys);
        StreamGraph graph = env.getStreamGraph();
        graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        env.execute(graph);
    }
}
