package dev.vlstm.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The gate projection alone ({@code project} with gates = 4) at the shapes of the workloads, to see where the matrix
 * kernel loses speed: rows x k x panels. Score is time per call; GFLOP/s = 2 * rows * k * panels * 64 / time.
 * Run with {@code tools/bench ProjectBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ProjectBenchmark {
    /** rows x k x panels: W1b's layer 1, W4's step, W4's step with one panel, W1b's rows with W4's k and panels. */
    @Param({"152x100x1", "64x256x16", "64x256x1", "152x100x16", "64x64x16", "512x256x16"})
    public String shape;

    private int rows, k, panels;
    private float[] x, out;
    private MemorySegment w, bias;
    private Arena arena;
    private final LstmKernels kernels = Kernels.vector();

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        rows = Integer.parseInt(p[0]);
        k = Integer.parseInt(p[1]);
        panels = Integer.parseInt(p[2]);
        Random rnd = new Random(1);
        x = KernelFixtures.uniform(rnd, rows * k, 1f);
        out = new float[rows * panels * 64];
        arena = Arena.ofShared();
        w = KernelFixtures.segment(arena, KernelFixtures.uniform(rnd, k * panels * 64, 0.1f));
        bias = KernelFixtures.segment(arena, KernelFixtures.uniform(rnd, panels * 64, 0.1f));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] project() {
        kernels.project(x, 0, k, rows, k, w, bias, panels, 4, out, 0, panels * 64, panels * 64);
        return out;
    }
}
