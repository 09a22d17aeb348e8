package dev.vlstm.kernel;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The head's exp-based operations over 16 rows of 64 floats (1024 values), vector ({@link VectorHeadMath}) against
 * scalar ({@link HeadMath}, float64: what the head ran before). Run with {@code tools/bench HeadMathBenchmark -f 1}
 * (2 minutes), or pick with {@code -p op=GELU}. Keep the warm-up at 3 s or more: after 1 s the vector kernels were
 * still being compiled (their first measured second ran 5-25x slower than the next, Zen 3, 2026-12-07).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HeadMathBenchmark {
    private static final int ROWS = 16, WIDTH = 64;

    @Param({"ELU", "SOFTPLUS", "GELU", "GELU_TANH", "SOFTMAX", "LOG_SOFTMAX", "LAYER_NORM"})
    public String op;

    @Param({"vector", "scalar"})
    public String kernels;

    private final float[] source = new float[ROWS * WIDTH], a = new float[ROWS * WIDTH];
    private final float[] scale = new float[WIDTH], bias = new float[WIDTH];
    private LstmKernels k;

    @Setup
    public void setUp() {
        k = kernels.equals("vector") ? Kernels.vector() : Kernels.scalar();
        Random rnd = new Random(1);
        for (int i = 0; i < source.length; i++) source[i] = rnd.nextFloat() * 16 - 8;
        for (int j = 0; j < WIDTH; j++) {
            scale[j] = 0.5f + rnd.nextFloat();
            bias[j] = rnd.nextFloat() - 0.5f;
        }
    }

    @Benchmark
    public float[] apply() {
        System.arraycopy(source, 0, a, 0, a.length);
        switch (op) {
            case "ELU" -> k.activate(LstmKernels.Pointwise.ELU, 1f, a, 0, a.length);
            case "SOFTPLUS" -> k.activate(LstmKernels.Pointwise.SOFTPLUS, 0f, a, 0, a.length);
            case "GELU" -> k.activate(LstmKernels.Pointwise.GELU, 0f, a, 0, a.length);
            case "GELU_TANH" -> k.activate(LstmKernels.Pointwise.GELU_TANH, 0f, a, 0, a.length);
            case "SOFTMAX" -> k.softmax(a, 0, ROWS, WIDTH, false);
            case "LOG_SOFTMAX" -> k.softmax(a, 0, ROWS, WIDTH, true);
            default -> k.layerNorm(a, 0, ROWS, WIDTH, scale, bias, 1e-5f);
        }
        return a;
    }
}
