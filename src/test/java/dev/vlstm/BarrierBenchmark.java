package dev.vlstm;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a session's threads cost per synchronisation, on 2 threads: a {@link Team#barrier()} (once per timestep when a
 * batch-1 layer is split by columns) and a whole {@link Team#run} hand-off with no work (once per layer and call).
 * Run with {@code tools/bench BarrierBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BarrierBenchmark {
    static final int BARRIERS = 1000;

    private Team team;
    private final Team.Job barriers = (part, parts) -> {
        for (int i = 0; i < BARRIERS; i++) team.barrier();
    };
    private final Team.Job nothing = (part, parts) -> {
    };

    @Setup(Level.Trial)
    public void setUp() {
        team = new Team(2, "barrier-bench");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        team.close();
    }

    /** Nanoseconds per barrier. */
    @Benchmark
    @OperationsPerInvocation(BARRIERS)
    public void barrier() {
        team.run(barriers);
    }

    /** Nanoseconds per job hand-off and join, workers spinning. */
    @Benchmark
    public void handOff() {
        team.run(nothing);
    }
}
