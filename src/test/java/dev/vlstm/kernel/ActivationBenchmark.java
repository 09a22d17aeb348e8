package dev.vlstm.kernel;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The vector activations over 1024 floats (the gates of one hidden-256 step): vlstm's rational sigmoid and tanh
 * ({@link VectorKernels#sigmoidInPlace}, {@link VectorKernels#tanhInPlace}) against forms built on the Vector API's own
 * {@code lanewise(EXP)} and {@code lanewise(TANH)}, which call the JDK's native vector math library (SVML).
 * Run with {@code tools/bench ActivationBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ActivationBenchmark {
    private final float[] source = new float[1024], a = new float[1024];

    @Setup
    public void setUp() {
        Random rnd = new Random(1);
        for (int i = 0; i < source.length; i++) source[i] = rnd.nextFloat() * 16 - 8;
    }

    @Benchmark
    public float[] sigmoidVlstm() {
        System.arraycopy(source, 0, a, 0, a.length);
        for (int i = 0; i < a.length; i += PanelSpecies.LANES) VectorKernels.sigmoidInPlace(a, i);
        return a;
    }

    @Benchmark
    public float[] sigmoidLanewiseExp() {
        System.arraycopy(source, 0, a, 0, a.length);
        for (int i = 0; i < a.length; i += PanelSpecies.LANES) {
            FloatVector x = FloatVector.fromArray(PanelSpecies.SPECIES, a, i);
            FloatVector.broadcast(PanelSpecies.SPECIES, 1f)
                    .div(x.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(a, i);
        }
        return a;
    }

    @Benchmark
    public float[] tanhVlstm() {
        System.arraycopy(source, 0, a, 0, a.length);
        for (int i = 0; i < a.length; i += PanelSpecies.LANES) VectorKernels.tanhInPlace(a, i);
        return a;
    }

    @Benchmark
    public float[] tanhLanewise() {
        System.arraycopy(source, 0, a, 0, a.length);
        for (int i = 0; i < a.length; i += PanelSpecies.LANES)
            FloatVector.fromArray(PanelSpecies.SPECIES, a, i).lanewise(VectorOperators.TANH).intoArray(a, i);
        return a;
    }

    /** The exp-based tanh vlstm used before the rational one: (1 - e) / (1 + e), e = e^-2|x|, sign restored. */
    @Benchmark
    public float[] tanhExp() {
        System.arraycopy(source, 0, a, 0, a.length);
        for (int i = 0; i < a.length; i += PanelSpecies.LANES) {
            FloatVector x = FloatVector.fromArray(PanelSpecies.SPECIES, a, i);
            FloatVector e = x.abs().mul(-2f).lanewise(VectorOperators.EXP);
            FloatVector t = FloatVector.broadcast(PanelSpecies.SPECIES, 1f).sub(e).div(e.add(1f));
            t.blend(t.neg(), x.lt(0f)).intoArray(a, i);
        }
        return a;
    }
}
