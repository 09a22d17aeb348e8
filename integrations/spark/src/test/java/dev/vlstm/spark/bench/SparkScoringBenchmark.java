package dev.vlstm.spark.bench;

import dev.vlstm.spark.BenchModels;
import dev.vlstm.spark.VlstmScorer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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

import java.util.concurrent.TimeUnit;

/**
 * Sequences per second through {@link VlstmScorer} on a local Spark: one operation is one sequence; an invocation
 * scores a cached Dataset of fixed-length sequences ({@link BenchModels}) and writes the result to Spark's
 * {@code noop} sink, so the whole row path (cache to Row, features to arrays, the runs, the output column) is timed.
 * Divide a {@code local[2]} figure by 2 for the rate per core; {@link SessionRunBenchmark} gives the in-process rate
 * of the same sequences. Run with {@code tools/spark-bench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Spark's launcher options on JDK 17+ (JavaModuleOptions) with the vector module: the list in pom.xml's spark.jvm.options.
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
        "--add-opens=java.base/sun.security.action=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
        "-Djdk.reflect.useDirectMethodHandle=false", "-Dio.netty.tryReflectionSetAccessible=true",
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx3g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class SparkScoringBenchmark {

    /** One Spark session per trial; its master and the scorer's batch size are the benchmark's parameters. */
    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"local[1]", "local[2]"})
        public String master;

        /** Sequences per Session.run call. */
        @Param({"1", "16"})
        public int batchSize;

        SparkSession spark;

        @Setup(Level.Trial)
        public void start() {
            spark = SparkSession.builder().master(master).appName("vlstm-spark-bench")
                    .config("spark.ui.enabled", "false").getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
        }

        @TearDown(Level.Trial)
        public void stop() {
            spark.stop();
        }
    }

    /** A workload's sequences, cached in Spark's memory, and a scorer of its model. */
    abstract static class Workload {
        Dataset<Row> sequences;
        VlstmScorer scorer;

        void prepare(Engine engine, BenchModels m) {
            // Two partitions per core, so both cores of local[2] stay busy to the end of each invocation.
            sequences = m.dataset(engine.spark, 4).cache();
            if (sequences.count() != m.sequences()) throw new IllegalStateException("the cache holds the wrong count");
            scorer = VlstmScorer.forModelBytes(m.bytes(), m.name()).inputCol("x").outputCol("y").batchSize(engine.batchSize);
            score();
        }

        void score() {
            scorer.transform(sequences).write().format("noop").mode("overwrite").save();
        }
    }

    @State(Scope.Benchmark)
    public static class Seed extends Workload {
        @Setup(Level.Trial)
        public void prepare(Engine engine) {
            prepare(engine, BenchModels.seed());
        }
    }

    @State(Scope.Benchmark)
    public static class W2 extends Workload {
        @Setup(Level.Trial)
        public void prepare(Engine engine) {
            prepare(engine, BenchModels.w2());
        }
    }

    /** The README model at [150, 1, 100] (W1's shape). */
    @Benchmark
    @OperationsPerInvocation(BenchModels.SEED_SEQUENCES)
    public void seed(Seed w) {
        w.score();
    }

    /** W2's model (hidden 256 x 2) at [100, 1, 64]. */
    @Benchmark
    @OperationsPerInvocation(BenchModels.W2_SEQUENCES)
    public void w2(W2 w) {
        w.score();
    }
}
