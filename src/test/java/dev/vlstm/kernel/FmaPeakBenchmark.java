package dev.vlstm.kernel;

import static dev.vlstm.kernel.PanelSpecies.LANES;
import static dev.vlstm.kernel.PanelSpecies.SPECIES;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * This core's FMA ceiling as the Vector API reaches it: 12 (or 6) independent FMA chains with every operand in a
 * register, no loads. The score is FMA instructions per microsecond; GFLOP/s = score * 2 * LANES / 1000. What the matrix kernels are
 * measured against (BENCHMARKS.md). Run with {@code tools/bench FmaPeakBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FmaPeakBenchmark {
    private static final int STEPS = 100_000;
    /**
     * Ones, so that every chain a ← a·m + 1 converges to 1 / (1 - m) = 1000. With zeros (before 2026-12-07) a chain
     * started at 1 decayed as m^i and went subnormal after about 87 000 steps: each FMA then took a microcode assist on
     * Intel cores (234 FMA/µs on a Xeon with AVX-512, twelve chains), though not on AMD's.
     */
    private final float[] seed = filledWithOnes();
    private float m = 0.999f;

    private static float[] filledWithOnes() {
        float[] ones = new float[LANES];
        java.util.Arrays.fill(ones, 1f);
        return ones;
    }

    /** 12 chains: more than the 8 (4-cycle latency x 2 FMA ports) the unit needs to stay busy. */
    @Benchmark
    @OperationsPerInvocation(12 * STEPS)
    public float twelveChains() {
        FloatVector s = FloatVector.fromArray(SPECIES, seed, 0), c = FloatVector.broadcast(SPECIES, m);
        FloatVector a0 = s, a1 = s.add(1), a2 = s.add(2), a3 = s.add(3), a4 = s.add(4), a5 = s.add(5);
        FloatVector a6 = s.add(6), a7 = s.add(7), a8 = s.add(8), a9 = s.add(9), a10 = s.add(10), a11 = s.add(11);
        for (int i = 0; i < STEPS; i++) {
            a0 = a0.fma(c, s); a1 = a1.fma(c, s); a2 = a2.fma(c, s); a3 = a3.fma(c, s);
            a4 = a4.fma(c, s); a5 = a5.fma(c, s); a6 = a6.fma(c, s); a7 = a7.fma(c, s);
            a8 = a8.fma(c, s); a9 = a9.fma(c, s); a10 = a10.fma(c, s); a11 = a11.fma(c, s);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** 6 chains: fewer than the latency needs, for comparison. */
    @Benchmark
    @OperationsPerInvocation(6 * STEPS)
    public float sixChains() {
        FloatVector s = FloatVector.fromArray(SPECIES, seed, 0), c = FloatVector.broadcast(SPECIES, m);
        FloatVector a0 = s, a1 = s.add(1), a2 = s.add(2), a3 = s.add(3), a4 = s.add(4), a5 = s.add(5);
        for (int i = 0; i < STEPS; i++) {
            a0 = a0.fma(c, s); a1 = a1.fma(c, s); a2 = a2.fma(c, s);
            a3 = a3.fma(c, s); a4 = a4.fma(c, s); a5 = a5.fma(c, s);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).reduceLanes(VectorOperators.ADD);
    }
}
