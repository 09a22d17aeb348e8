package dev.vlstm.kernel;

import static dev.vlstm.kernel.PanelSpecies.SPECIES;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
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
    @Param({"152x100x1", "64x256x16", "64x256x1", "152x100x16", "64x64x16", "512x256x16"})  // rows: multiples of 4
    public String shape;

    private int rows, k, panels;
    private float[] x, out, wArray, bias;
    private MemorySegment w;
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
        wArray = KernelFixtures.uniform(rnd, k * panels * 64, 0.1f);
        w = arena.allocate((long) wArray.length * Float.BYTES, 64);      // aligned, like the old off-heap copy
        MemorySegment.copy(wArray, 0, w, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0,
                wArray.length);
        bias = KernelFixtures.uniform(rnd, panels * 64, 0.1f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /**
     * The same product with the weights in a heap array instead of a memory segment: the 4-row x 2-vector block of
     * VectorKernels written over float[] (whole row blocks and panels only), to measure what segment loads cost. Both
     * this and {@link #segmentWeights} address the weights in the file's order ({@code [k][4][16]} per panel), the
     * kernels' order before {@link GateLines}.
     */
    @Benchmark
    public float[] arrayWeights() {
        int gs = panels * 64, lanes = PanelSpecies.LANES, vectors = panels * 4 * PanelSpecies.SLICES;
        int kStep = 4 * LstmKernels.PANEL;
        for (int cv = 0; cv < vectors; cv += 2) {
            int line = cv / PanelSpecies.SLICES, q = line / 4, g = line - q * 4;
            int base = (q * k * 4 + g) * LstmKernels.PANEL + (cv - line * PanelSpecies.SLICES) * lanes;
            for (int r = 0; r + 4 <= rows; r += 4) {
                int x0 = r * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k, o0 = r * gs + cv * lanes;
                FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00,
                        a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (int kk = 0, at = base; kk < k; kk++, at += kStep) {
                    var v0 = FloatVector.fromArray(SPECIES, wArray, at);
                    var v1 = FloatVector.fromArray(SPECIES, wArray, at + lanes);
                    var sv = FloatVector.broadcast(SPECIES, x[x0 + kk]);
                    a00 = v0.fma(sv, a00); a01 = v1.fma(sv, a01);
                    sv = FloatVector.broadcast(SPECIES, x[x1 + kk]);
                    a10 = v0.fma(sv, a10); a11 = v1.fma(sv, a11);
                    sv = FloatVector.broadcast(SPECIES, x[x2 + kk]);
                    a20 = v0.fma(sv, a20); a21 = v1.fma(sv, a21);
                    sv = FloatVector.broadcast(SPECIES, x[x3 + kk]);
                    a30 = v0.fma(sv, a30); a31 = v1.fma(sv, a31);
                }
                a00.intoArray(out, o0); a01.intoArray(out, o0 + lanes);
                a10.intoArray(out, o0 + gs); a11.intoArray(out, o0 + gs + lanes);
                a20.intoArray(out, o0 + 2 * gs); a21.intoArray(out, o0 + 2 * gs + lanes);
                a30.intoArray(out, o0 + 3 * gs); a31.intoArray(out, o0 + 3 * gs + lanes);
            }
        }
        return out;
    }

    /**
     * The 4 x 2 block as it was before weights moved to heap arrays: weights loaded from a native, 64-byte aligned
     * memory segment (what a mapped file gives). Measured against {@link #arrayWeights} and {@link #project}.
     */
    @Benchmark
    public float[] segmentWeights() {
        int gs = panels * 64, lanes = PanelSpecies.LANES, vectors = panels * 4 * PanelSpecies.SLICES;
        long kStep = 4L * LstmKernels.PANEL * Float.BYTES;
        for (int cv = 0; cv < vectors; cv += 2) {
            int line = cv / PanelSpecies.SLICES, q = line / 4, g = line - q * 4;
            long base = (long) Float.BYTES * ((q * k * 4 + g) * LstmKernels.PANEL + (cv - line * PanelSpecies.SLICES) * lanes);
            for (int r = 0; r + 4 <= rows; r += 4) {
                int x0 = r * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k, o0 = r * gs + cv * lanes;
                FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00,
                        a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (int kk = 0; kk < k; kk++) {
                    long at = base + kk * kStep;
                    var v0 = FloatVector.fromMemorySegment(SPECIES, w, at, ByteOrder.LITTLE_ENDIAN);
                    var v1 = FloatVector.fromMemorySegment(SPECIES, w, at + lanes * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
                    var sv = FloatVector.broadcast(SPECIES, x[x0 + kk]);
                    a00 = v0.fma(sv, a00); a01 = v1.fma(sv, a01);
                    sv = FloatVector.broadcast(SPECIES, x[x1 + kk]);
                    a10 = v0.fma(sv, a10); a11 = v1.fma(sv, a11);
                    sv = FloatVector.broadcast(SPECIES, x[x2 + kk]);
                    a20 = v0.fma(sv, a20); a21 = v1.fma(sv, a21);
                    sv = FloatVector.broadcast(SPECIES, x[x3 + kk]);
                    a30 = v0.fma(sv, a30); a31 = v1.fma(sv, a31);
                }
                a00.intoArray(out, o0); a01.intoArray(out, o0 + lanes);
                a10.intoArray(out, o0 + gs); a11.intoArray(out, o0 + gs + lanes);
                a20.intoArray(out, o0 + 2 * gs); a21.intoArray(out, o0 + 2 * gs + lanes);
                a30.intoArray(out, o0 + 3 * gs); a31.intoArray(out, o0 + 3 * gs + lanes);
            }
        }
        return out;
    }

    @Benchmark
    public float[] project() {
        kernels.project(x, 0, k, rows, k, wArray, bias, panels, 4, out, 0, panels * 64, panels * 64);
        return out;
    }
}
