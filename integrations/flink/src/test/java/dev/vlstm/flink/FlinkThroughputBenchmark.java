package dev.vlstm.flink;

import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.util.Collector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Events per second through {@link LstmStepFunction} on a MiniCluster at parallelism 1, next to the same model's
 * in-process {@link Session#step} and the step plus the state snapshot round trip the operator adds: what Flink costs.
 * Each Flink invocation is one whole job of {@link #EVENTS} readings of {@link #DEVICES} devices (generated from a
 * pool of feature rows, so the source stays cheap), job start included ({@code oneReadingJob} measures that start).
 * After each iteration the fork prints the process's CPU time per event, which counts the source's thread too.
 * Not run by the tests; {@code tools/flink-bench} runs it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4", "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "-Xmx2g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class FlinkThroughputBenchmark {
    static final int EVENTS = 200_000, DEVICES = 1000, POOL = 256, BATCH = 16;

    /** {@code seed}: input 100, hidden 16 × 2, head 13; {@code w2}: input 64, hidden 256 × 2, head 10. */
    @Param({"seed", "w2"})
    public String model;

    private Path dir, modelFile;
    private int inputSize;
    private MiniCluster cluster;
    private Model loaded;
    private Session session;
    private LstmState state, restored;
    private byte[] snapshot;
    private float[][] pool;
    private float[] y;
    private LstmState[] batchStates;
    private float[] batchX, batchY;
    private int next;
    private long cpuAtStart, eventsAtStart, eventsRun;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("vlstm-flink-bench");
        modelFile = model.equals("seed") ? TestModels.seed(dir) : TestModels.w2(dir);
        loaded = Model.load(modelFile);
        inputSize = loaded.inputSize();
        state = loaded.newState();
        restored = loaded.newState();
        snapshot = state.toBytes();
        y = new float[loaded.outputSize()];
        pool = new float[POOL][];
        for (int i = 0; i < POOL; i++) pool[i] = Reading.nth(i, 1, inputSize).values();
        batchStates = new LstmState[BATCH];
        batchX = new float[BATCH * inputSize];
        batchY = new float[BATCH * y.length];
        for (int b = 0; b < BATCH; b++) {
            batchStates[b] = loaded.newState();
            System.arraycopy(pool[b], 0, batchX, b * inputSize, inputSize);
        }
        session = loaded.newSession(1, BATCH);
        Configuration conf = new Configuration();
        cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(1).build());
        cluster.start();
        TestStreamEnvironment.setAsContext(cluster, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        TestStreamEnvironment.unsetAsContext();
        cluster.close();
        session.close();
        loaded.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        cpuAtStart = processCpuNanos();
        eventsAtStart = eventsRun;
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        long events = eventsRun - eventsAtStart;
        if (events > 0)
            System.out.printf("  [process CPU: %.2f µs per event over %d events in Flink jobs]%n",
                    (processCpuNanos() - cpuAtStart) / 1e3 / events, events);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** One timestep of one stream, in this thread: the model's own rate. */
    @Benchmark
    public float[] step() {
        session.step(state, pool[next++ & (POOL - 1)], y);
        return y;
    }

    /**
     * One timestep of {@link #BATCH} streams as one batch ({@code Session.step(states, n, x, out)}), per stream: what
     * an operator that stepped several keys of a subtask together could reach at best.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float[] stepKeysTogether() {
        session.step(batchStates, BATCH, batchX, batchY);
        return batchY;
    }

    /**
     * What the function does per event besides Flink's own work: restore the key's snapshot into its one reused state
     * ({@code LstmState.restore}), step, snapshot again.
     */
    @Benchmark
    public byte[] stepWithSnapshot() {
        restored.restore(snapshot);
        session.step(restored, pool[next++ & (POOL - 1)], new float[y.length]);
        snapshot = restored.toBytes();
        return snapshot;
    }

    /** {@link #EVENTS} readings through the LSTM operator at parallelism 1. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void lstmJob() throws Exception {
        runJob(EVENTS, Lstm.FUNCTION);
    }

    /** The same job through {@link LstmMicroBatchOperator}: up to 16 keys stepped together, 5 ms at most. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void lstmMicroBatchJob() throws Exception {
        runJob(EVENTS, Lstm.MICRO_BATCH);
    }

    /** The same job with a keyed pass-through in place of the LSTM: source, serialisation, keyBy and sink alone. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void passThroughJob() throws Exception {
        runJob(EVENTS, Lstm.NONE);
    }

    /** One reading through the LSTM operator: what starting and finishing a job costs. */
    @Benchmark
    public void oneReadingJob() throws Exception {
        runJob(1, Lstm.FUNCTION);
    }

    enum Lstm { FUNCTION, MICRO_BATCH, NONE }

    private void runJob(int events, Lstm lstm) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        float[][] rows = pool;
        DataGeneratorSource<Reading> source = new DataGeneratorSource<>(
                i -> new Reading(Reading.name((int) (i % DEVICES)), (int) (i / DEVICES), rows[(int) (i & (POOL - 1))]),
                events, RateLimiterStrategy.noOp(), TypeInformation.of(Reading.class));
        KeyedStream<Reading, String> keyed = env.fromSource(source, WatermarkStrategy.noWatermarks(), "readings")
                .keyBy(Reading::device);
        int outputs = y.length;
        LstmStepFunction.Builder<Reading, Score> builder = LstmStepFunction.builder(modelFile.toString(),
                Reading::values, Score.class, (reading, out) -> new Score(reading.device(), reading.index(), out));
        (switch (lstm) {
            case FUNCTION -> keyed.process(builder.<String>build());
            case MICRO_BATCH -> keyed.transform("lstm", TypeInformation.of(Score.class),
                    builder.buildMicroBatching(BATCH, java.time.Duration.ofMillis(5)));
            case NONE -> keyed.process(new PassThrough(outputs));
        }).sinkTo(new DiscardingSink<>());
        env.execute("throughput " + model + " " + lstm);
        eventsRun += events;
    }

    /** A keyed function that outputs zeros of the model's output width for each reading. */
    static final class PassThrough extends KeyedProcessFunction<String, Reading, Score> {
        private final int outputs;

        PassThrough(int outputs) {
            this.outputs = outputs;
        }

        @Override
        public void processElement(Reading r, Context ctx, Collector<Score> out) {
            out.collect(new Score(r.device(), r.index(), new float[outputs]));
        }
    }
}
