package dev.vlstm.kernel;

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
import org.openjdk.jmh.annotations.Warmup;

/**
 * One batch-1 LSTM step ({@code lstmStep}: h·R, the activations and the cell update) over R in each weight type, at
 * hidden sizes from an R in L1 to one in DRAM: where int8's widening in registers (a few integer operations per
 * vector) costs more than its fewer bytes save. That crossover sets {@code Limits.maxDecodedInt8Bytes}, below which an
 * int8 matrix is decoded to fp32 at load. Each call first restores the pre-activations (the step uses them as
 * scratch), the same copy for every type. Run with {@code tools/bench RecurrentStepBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RecurrentStepBenchmark {
    /** Hidden sizes: fp32 R of 4 KB (16 units: W1), 64 KB, 256 KB, 1 MB (W2), 4 MB and 16 MB (W3). */
    @Param({"16", "64", "128", "256", "512", "1024"})
    public int hidden;

    @Param({"fp32", "bf16", "int8"})
    public String weights;

    private final LstmKernels kernels = Kernels.vector();
    private float[] r, preSaved, pre, h, c, hOut, scratch;
    private ReducedMatrix reduced;
    private int panels;

    @Setup(Level.Trial)
    public void setUp() {
        int p = LstmKernels.PANEL;
        panels = (hidden + p - 1) / p;
        int columns = panels * 4 * p;
        Random rnd = new Random(1);
        r = KernelFixtures.uniform(rnd, columns * hidden, 0.1f);
        switch (weights) {
            case "fp32" -> { }
            case "bf16" -> {
                for (int e = 0; e < r.length; e++) r[e] = Float.intBitsToFloat(Float.floatToRawIntBits(r[e]) & 0xFFFF0000);
                reduced = ReducedMatrix.bf16(r, hidden);
            }
            case "int8" -> {
                byte[] q = new byte[r.length];
                rnd.nextBytes(q);
                float[] scales = KernelFixtures.uniform(rnd, columns, 1e-3f);
                for (int j = 0; j < columns; j++) scales[j] = Math.abs(scales[j]) + 1e-4f;
                reduced = ReducedMatrix.int8(q, scales, hidden);
            }
            default -> throw new IllegalArgumentException("weights " + weights + ": expected fp32, bf16 or int8");
        }
        scratch = new float[reduced == null ? 0 : reduced.scratchFloats(1)];
        preSaved = KernelFixtures.uniform(rnd, columns, 1f);
        pre = new float[columns];
        h = KernelFixtures.uniform(rnd, hidden, 1f);
        c = KernelFixtures.uniform(rnd, hidden, 1f);
        hOut = new float[hidden];
    }

    @Benchmark
    public float[] step() {
        System.arraycopy(preSaved, 0, pre, 0, pre.length);
        if (reduced == null)
            kernels.lstmStep(1, hidden, 0, panels, r, pre, 0, pre.length, h, 0, hidden, c, 0, hidden, hOut, 0, hidden);
        else
            kernels.lstmStep(1, hidden, 0, panels, reduced, scratch, pre, 0, pre.length, h, 0, hidden, c, 0, hidden,
                    hOut, 0, hidden);
        return hOut;
    }
}
