package dev.vlstm.kernel;

import static dev.vlstm.kernel.PanelSpecies.LANES;
import static dev.vlstm.kernel.PanelSpecies.SPECIES;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * This machine's read bandwidth from each level of the cache, measured here rather than taken from another machine's
 * notes: the bound that the batch-1 workloads (W2, W3, W5), which stream R every step, are held to. One buffer of
 * {@code kilobytes}, read again on every call:
 * <ul>
 * <li>{@code read}: a plain sum with 8 independent vector accumulators, the fastest way Java reads it;</li>
 * <li>{@code matvec}: the kernel's own one-row product ({@code project}, rows = 1) over the same bytes as panels of
 *     k = 256 (a W2-sized layer's R is 1 MB, 16 panels) or, from 4 MB on, k = 1024 (W3's layer: 16 MB, 64 panels).</li>
 * </ul>
 * With 2 threads the buffer is shared and each thread reads its own half, as a row split reads R. Score is time per
 * call; GB/s = bytes / time (per call, both threads' halves together). Run with {@code tools/bench BandwidthBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BandwidthBenchmark {
    @Param({"256", "512", "1024", "2048", "16384", "65536"})
    public int kilobytes;

    private float[] data, x;
    private int k, panels;
    private final LstmKernels kernels = Kernels.vector();

    @Setup(Level.Trial)
    public void setUp() {
        int floats = kilobytes * 1024 / Float.BYTES;
        k = kilobytes >= 4096 ? 1024 : 256;
        panels = floats / (k * 4 * LstmKernels.PANEL);
        Random rnd = new Random(1);
        data = KernelFixtures.uniform(rnd, floats, 0.1f);
        x = KernelFixtures.uniform(rnd, k, 1f);
    }

    /** One thread's share: its half of the buffer (all of it with one thread), and its own output row. */
    @State(Scope.Thread)
    public static class Share {
        int part, parts;
        float[] out;

        @Setup(Level.Trial)
        public void setUp(ThreadParams threads, BandwidthBenchmark b) {
            part = threads.getThreadIndex();
            parts = threads.getThreadCount();
            out = new float[b.panels * 4 * LstmKernels.PANEL];
        }
    }

    @Benchmark
    @Threads(1)
    public float read1(Share share) {
        return read(share);
    }

    @Benchmark
    @Threads(2)
    public float read2(Share share) {
        return read(share);
    }

    @Benchmark
    @Threads(1)
    public float[] matvec1(Share share) {
        return matvec(share);
    }

    @Benchmark
    @Threads(2)
    public float[] matvec2(Share share) {
        return matvec(share);
    }

    private float read(Share share) {
        int length = data.length / share.parts, from = share.part * length;
        return sum(data, from, from + length);
    }

    private float[] matvec(Share share) {
        int own = panels / share.parts, first = share.part * own;
        kernels.project(x, 0, k, 1, k, data, null, first, own, 4, false, share.out, 0, share.out.length,
                share.out.length);
        return share.out;
    }

    /** 8 independent accumulators, so the adds never wait on each other: the loop runs at the loads' pace. */
    static float sum(float[] a, int from, int to) {
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (int i = from; i < to; i += 8 * LANES) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, a, i));
            s1 = s1.add(FloatVector.fromArray(SPECIES, a, i + LANES));
            s2 = s2.add(FloatVector.fromArray(SPECIES, a, i + 2 * LANES));
            s3 = s3.add(FloatVector.fromArray(SPECIES, a, i + 3 * LANES));
            s4 = s4.add(FloatVector.fromArray(SPECIES, a, i + 4 * LANES));
            s5 = s5.add(FloatVector.fromArray(SPECIES, a, i + 5 * LANES));
            s6 = s6.add(FloatVector.fromArray(SPECIES, a, i + 6 * LANES));
            s7 = s7.add(FloatVector.fromArray(SPECIES, a, i + 7 * LANES));
        }
        return s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).reduceLanes(VectorOperators.ADD);
    }
}
