package dev.vlstm.spark.bench;

import dev.vlstm.Model;
import dev.vlstm.Session;
import dev.vlstm.spark.BenchModels;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The in-process rate {@link SparkScoringBenchmark} is measured against: sequences per second of one thread calling
 * {@code Session.run} on the same sequences, {@link #BATCH} of them per call as one batch, or one by one
 * ({@code batch 1}). One operation is one sequence.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class SessionRunBenchmark {
    static final int BATCH = 16;

    @Param({"seed", "w2"})
    public String model;

    @Param({"1", "16"})
    public int batch;

    private Session session;
    private float[] x, y;
    private int seq;

    @Setup(Level.Trial)
    public void setUp() {
        BenchModels m = BenchModels.of(model);
        Model loaded = Model.load(m.bytes(), model);
        session = loaded.newSession();
        seq = m.length();
        // batch rows of one [seq, batch, input] call: the benchmark data's first sequences, interleaved by timestep
        x = new float[seq * batch * loaded.inputSize()];
        int in = loaded.inputSize();
        for (int b = 0; b < batch; b++) {
            float[] s = m.sequence(b);
            for (int t = 0; t < seq; t++) System.arraycopy(s, t * in, x, (t * batch + b) * in, in);
        }
        y = new float[Math.toIntExact(session.mainOutputSize(seq, batch))];
    }

    /** {@link #BATCH} sequences: one call of batch 16, or 16 calls of batch 1. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float[] run() {
        for (int calls = BATCH / batch; calls > 0; calls--) session.run(x, seq, batch, y);
        return y;
    }
}
