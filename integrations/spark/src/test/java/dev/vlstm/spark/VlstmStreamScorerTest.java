package dev.vlstm.spark;

import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;
import dev.vlstm.format.Direction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.vlstm.spark.TestSequences.lengthColumn;
import static dev.vlstm.spark.TestSequences.stepColumn;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Structured Streaming on {@code local[2]} with each key's LSTM state in the RocksDB state store: events of 10 000 keys
 * arrive over three micro-batches and a restart of the query from its checkpoint; every event's output equals
 * stepping that key's events alone in this JVM, and every event is scored exactly once.
 */
class VlstmStreamScorerTest {
    static final int KEYS = 10_000, MAX_LENGTH = 8, INPUT = 100;
    /** What stepping in a Spark task may differ from stepping here: an ulp when the JIT compiled the code at other tiers. */
    static final double TOLERANCE = 1e-6;

    static SparkSession spark;
    static StructType eventSchema;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder().master("local[2]").appName("vlstm-spark-stream-test")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.streaming.stateStore.providerClass",
                        "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider")
                .getOrCreate();
        eventSchema = events("t >= 0").schema();
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    /** (device, t, features) of every key's timesteps that satisfy {@code which}. */
    static Dataset<Row> events(String which) {
        return spark.range(0, KEYS, 1, 4).withColumn("len", lengthColumn(MAX_LENGTH))
                .withColumn("t", explode(expr("sequence(0, len - 1)"))).withColumn("features", stepColumn(INPUT))
                .selectExpr("id as device", "t", "features").where(which);
    }

    /** Runs the query over what is in {@code in} now (AvailableNow, one file per micro-batch) and waits for it. */
    static void runUntilCaughtUp(byte[] model, Path in, Path out, Path checkpoint) throws Exception {
        runUntilCaughtUp(model, in, out, checkpoint, scored -> scored);
    }

    /** As above, with {@code after} applied to the scored stream (in the same stage as the state updates). */
    static void runUntilCaughtUp(byte[] model, Path in, Path out, Path checkpoint,
                                 java.util.function.UnaryOperator<Dataset<Row>> after) throws Exception {
        Dataset<Row> stream = spark.readStream().schema(eventSchema).option("maxFilesPerTrigger", 1).parquet(in.toString());
        StreamingQuery q = after.apply(VlstmStreamScorer.forModelBytes(model, "model.vlstm").keyCol("device").timeCol("t")
                .inputCol("features").outputCol("y").transform(stream))
                .writeStream().format("parquet").option("checkpointLocation", checkpoint.toString())
                .trigger(Trigger.AvailableNow()).start(out.toString());
        q.awaitTermination();
    }

    @Test
    void everyEventsOutputAcrossMicroBatchesAndARestartEqualsSteppingItsKeyAlone(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in"), out = dir.resolve("out"), checkpoint = dir.resolve("checkpoint");
        byte[] model = TestModels.seed();
        events("t = 0").coalesce(1).write().mode("append").parquet(in.toString());
        events("t between 1 and 2").coalesce(1).write().mode("append").parquet(in.toString());
        runUntilCaughtUp(model, in, out, checkpoint);
        // a new query from the same checkpoint: the state of every key comes back from the state store
        events("t >= 3").coalesce(1).write().mode("append").parquet(in.toString());
        runUntilCaughtUp(model, in, out, checkpoint);

        assertEveryEventScoredOnceAsSteppingItsKeyAlone(model, out);
    }

    /** A stateful task that fails once, mid-micro-batch, after some of its keys' states were updated. */
    static final java.util.concurrent.atomic.AtomicLong PASSED = new java.util.concurrent.atomic.AtomicLong();
    static final long FAIL_AT = 15_000;

    @Test
    void aTaskThatFailsMidBatchIsRecoveredFromTheCheckpointExactlyOnce(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in"), out = dir.resolve("out"), checkpoint = dir.resolve("checkpoint");
        byte[] model = TestModels.seed();
        events("t = 0").coalesce(1).write().mode("append").parquet(in.toString());
        events("t between 1 and 2").coalesce(1).write().mode("append").parquet(in.toString());
        events("t >= 3").coalesce(1).write().mode("append").parquet(in.toString());
        PASSED.set(0);
        // the 15 000th scored row throws, once: in the second micro-batch (the first has 10 000 events)
        Exception e = assertThrows(Exception.class, () -> runUntilCaughtUp(model, in, out, checkpoint,
                scored -> scored.map((org.apache.spark.api.java.function.MapFunction<Row, Row>) r -> {
                    if (PASSED.incrementAndGet() == FAIL_AT) throw new IllegalStateException("injected failure");
                    return r;
                }, org.apache.spark.sql.Encoders.row(scored.schema()))));
        VlstmScorerTest.assertMessage(e, "injected failure");
        assertTrue(PASSED.get() >= FAIL_AT, "the failure was not reached: " + PASSED.get() + " rows passed");
        runUntilCaughtUp(model, in, out, checkpoint);     // restarted from the checkpoint, no failure
        assertEveryEventScoredOnceAsSteppingItsKeyAlone(model, out);
    }

    /** Every event of every key has one output row in {@code out}, equal to stepping the key's events alone here. */
    static void assertEveryEventScoredOnceAsSteppingItsKeyAlone(byte[] model, Path out) {
        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        long expectedEvents = events("t >= 0").count();
        assertEquals(expectedEvents, rows.size(), "one output per event, none twice");
        Map<Long, Map<Long, Row>> byKey = new HashMap<>();
        for (Row r : rows)
            assertNull(byKey.computeIfAbsent(r.getLong(0), k -> new HashMap<>()).put(r.getLong(1), r),
                    "event (" + r.getLong(0) + ", " + r.getLong(1) + ") scored twice");
        assertEquals(KEYS, byKey.size());

        double maxError = 0;
        try (Model m = Model.load(model, "reference"); Session session = m.newSession()) {
            float[] y = new float[m.outputSize()];
            for (long key = 0; key < KEYS; key++) {
                LstmState state = m.newState();
                float[] x = TestSequences.sequence(key, TestSequences.length(key, MAX_LENGTH), INPUT);
                for (long t = 0; t < TestSequences.length(key, MAX_LENGTH); t++) {
                    session.step(state, java.util.Arrays.copyOfRange(x, (int) t * INPUT, (int) (t + 1) * INPUT), y);
                    Row r = byKey.get(key).get(t);
                    assertNotNull(r, "no output for key " + key + ", t " + t);
                    List<Float> actual = r.getList(2);
                    assertEquals(y.length, actual.size());
                    for (int i = 0; i < y.length; i++) maxError = Math.max(maxError, Math.abs(actual.get(i) - y[i]));
                }
            }
        }
        assertTrue(maxError <= TOLERANCE, "max abs error " + maxError + " against stepping alone");
        System.out.println("VlstmStreamScorerTest: " + rows.size() + " events of " + KEYS + " keys, max abs error "
                + maxError + " against stepping each key alone");
    }

    @Test
    void anEventAtOrBeforeItsKeysStateFailsTheQueryNamingTheKey(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in"), out = dir.resolve("out"), checkpoint = dir.resolve("checkpoint");
        events("device < 50 and t <= 1").coalesce(1).write().mode("append").parquet(in.toString());
        runUntilCaughtUp(TestModels.seed(), in, out, checkpoint);
        events("device = 7 and t = 1").coalesce(1).write().mode("append").parquet(in.toString());     // a replay
        Exception e = assertThrows(Exception.class, () -> runUntilCaughtUp(TestModels.seed(), in, out, checkpoint));
        VlstmScorerTest.assertMessage(e, "key device = 7, t = 1: the key's state is already at t = 1");
    }

    @Test
    void aCheckpointWrittenWithAnotherModelIsRefused(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in"), out = dir.resolve("out"), checkpoint = dir.resolve("checkpoint");
        events("device < 50 and t = 0").coalesce(1).write().mode("append").parquet(in.toString());
        runUntilCaughtUp(TestModels.seed(), in, out, checkpoint);
        events("device < 50 and t = 1").coalesce(1).write().mode("append").parquet(in.toString());
        byte[] other = TestModels.stacked(3, INPUT, 16, 13, Direction.FORWARD);     // same sizes, other weights
        Exception e = assertThrows(Exception.class, () -> runUntilCaughtUp(other, in, out, checkpoint));
        VlstmScorerTest.assertMessage(e, "the state snapshot belongs to another model");
    }
}
