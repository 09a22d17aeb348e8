package dev.vlstm.kernel;

import static dev.vlstm.kernel.PanelSpecies.LANES;
import static dev.vlstm.kernel.PanelSpecies.SPECIES;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a full-width load that crosses a cache line costs on this CPU. The weights live in heap arrays, whose elements
 * start 16 bytes past an 8-byte aligned object, so a 64-byte (AVX-512) load of them almost always spans two lines;
 * MLAS's buffers are 64-byte aligned. The same plain sum as {@link BandwidthBenchmark}'s {@code read} (8 independent
 * vector accumulators) over a buffer of {@code kilobytes}: off-heap, 64-byte aligned, read from byte {@code offset}
 * (0: every load within one line; 16: as a heap array's), and from a heap array. Score is time per call; GB/s =
 * bytes / time. Run with {@code tools/bench AlignmentBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AlignmentBenchmark {
    /** In L1 (32 KB), in L2 (512 KB; 1 MB is a W2 layer's R), beyond it (16 MB: a W3 layer's R). */
    @Param({"32", "512", "16384"})
    public int kilobytes;

    @Param({"0", "16"})
    public int offset;

    private Arena arena;
    private MemorySegment segment;
    private float[] array;

    @Setup(Level.Trial)
    public void setUp() {
        long bytes = kilobytes * 1024L;
        arena = Arena.ofConfined();
        segment = arena.allocate(bytes + 64, 64).asSlice(offset, bytes);
        array = new float[(int) (bytes / Float.BYTES)];
        for (int i = 0; i < array.length; i++) {
            array[i] = (i % 7) * 0.125f;
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, array[i]);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float segment() {
        long bytes = segment.byteSize(), step = (long) LANES * Float.BYTES;
        ByteOrder order = ByteOrder.nativeOrder();
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (long i = 0; i < bytes; i += 8 * step) {
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, segment, i, order));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, segment, i + step, order));
            s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, segment, i + 2 * step, order));
            s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, segment, i + 3 * step, order));
            s4 = s4.add(FloatVector.fromMemorySegment(SPECIES, segment, i + 4 * step, order));
            s5 = s5.add(FloatVector.fromMemorySegment(SPECIES, segment, i + 5 * step, order));
            s6 = s6.add(FloatVector.fromMemorySegment(SPECIES, segment, i + 6 * step, order));
            s7 = s7.add(FloatVector.fromMemorySegment(SPECIES, segment, i + 7 * step, order));
        }
        return s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).reduceLanes(VectorOperators.ADD);
    }

    /** The heap array, read as {@link BandwidthBenchmark} reads it (the offset does not apply to it). */
    @Benchmark
    public float array() {
        return BandwidthBenchmark.sum(array, 0, array.length);
    }
}
