package dev.vlstm.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;

/**
 * W5: one timestep of one stream with carried state — the 2-layer hidden-256 model (input 64, head 10). vlstm steps an
 * {@link LstmState}; ONNX Runtime runs the same model exported with h0/c0 inputs and h_n/c_n outputs at seq 1, the
 * states passed in and read back out every step (what a streaming service with ONNX Runtime has to do).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
public class StepBenchmark {
    static final int IN = 64, H = 256, LAYERS = 2, OUT = 10;

    /** Intra-op threads, the same for both systems. */
    @Param({"1", "2"})
    public int threads;

    /** How vlstm stores the weight matrices (convert --weights); ONNX Runtime always runs the fp32 model. */
    @Param({"fp32"})
    public String weights;

    private Model model;
    private Session session;
    private LstmState state;
    private final float[] x = new float[IN], y = new float[OUT];

    private OrtEnvironment env;
    private OrtSession ort;
    private OrtSession.SessionOptions options;
    private OnnxTensor ortX;
    private final float[] h = new float[LAYERS * H], c = new float[LAYERS * H];

    static byte[] onnx() {
        Random rnd = new Random(5);
        List<OnnxNode> nodes = new ArrayList<>();
        List<dev.vlstm.onnx.proto.OnnxTensor> inits = new ArrayList<>();
        String cur = "x";
        int in = IN;
        float s = (float) (1 / Math.sqrt(H));
        for (int l = 0; l < LAYERS; l++) {
            inits.add(floatTensor("W" + l, new long[]{1, 4L * H, in}, uniform(rnd, 4 * H * in, s)));
            inits.add(floatTensor("R" + l, new long[]{1, 4L * H, H}, uniform(rnd, 4 * H * H, s)));
            inits.add(floatTensor("B" + l, new long[]{1, 8L * H}, uniform(rnd, 8 * H, s)));
            inits.add(int64Tensor("s" + l, new long[]{1}, new long[]{l}));
            inits.add(int64Tensor("e" + l, new long[]{1}, new long[]{l + 1}));
            inits.add(int64Tensor("a" + l, new long[]{1}, new long[]{0}));
            nodes.add(node("Slice", List.of("h0", "s" + l, "e" + l, "a" + l), List.of("h0_" + l)));
            nodes.add(node("Slice", List.of("c0", "s" + l, "e" + l, "a" + l), List.of("c0_" + l)));
            nodes.add(node("LSTM", List.of(cur, "W" + l, "R" + l, "B" + l, "", "h0_" + l, "c0_" + l),
                    List.of("Y" + l, "Yh" + l, "Yc" + l), attrInt("hidden_size", H)));
            nodes.add(node("Squeeze", List.of("Y" + l), List.of("O" + l), attrInts("axes", 1)));
            cur = "O" + l;
            in = H;
        }
        inits.add(floatTensor("fc.w", new long[]{H, OUT}, uniform(rnd, H * OUT, s)));
        inits.add(floatTensor("fc.b", new long[]{OUT}, uniform(rnd, OUT, s)));
        nodes.add(node("MatMul", List.of(cur, "fc.w"), List.of("mm")));
        nodes.add(node("Add", List.of("fc.b", "mm"), List.of("y")));
        nodes.add(node("Concat", List.of("Yh0", "Yh1"), List.of("h_n"), attrInt("axis", 0)));
        nodes.add(node("Concat", List.of("Yc0", "Yc1"), List.of("c_n"), attrInt("axis", 0)));
        var g = graph("w5", nodes, inits,
                List.of(valueInfo("x", OnnxDataType.FLOAT, "seq", "batch", IN), valueInfo("h0", OnnxDataType.FLOAT, LAYERS, "batch", H),
                        valueInfo("c0", OnnxDataType.FLOAT, LAYERS, "batch", H)),
                List.of(valueInfo("y", OnnxDataType.FLOAT, "seq", "batch", OUT), valueInfo("h_n", OnnxDataType.FLOAT, LAYERS, "batch", H),
                        valueInfo("c_n", OnnxDataType.FLOAT, LAYERS, "batch", H)));
        return OnnxWriter.write(model(7, 12, g));
    }

    static float[] uniform(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        byte[] bytes = onnx();
        var m = OnnxImporter.importModel(dev.vlstm.onnx.proto.OnnxReader.read(bytes, "w5"), "w5", null);
        model = Model.load(VlstmWriter.toBytes(m.spec().withWeights(dev.vlstm.format.WeightType.ofLabel(weights)),
                m.weights(), m.metadata()), "w5");
        session = model.newSession(1, 1, threads);
        state = model.newState();
        Random rnd = new Random(9);
        for (int i = 0; i < IN; i++) x[i] = rnd.nextFloat() * 2 - 1;
        env = OrtEnvironment.getEnvironment();
        options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        ort = env.createSession(bytes, options);
        ortX = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[]{1, 1, IN});
        // agreement: 5 steps each
        float[] ortY = null;
        for (int i = 0; i < 5; i++) {
            session.step(state, x, y);
            ortY = ortStep();
        }
        for (int i = 0; i < OUT; i++)
            if (Math.abs(ortY[i] - y[i]) > (weights.equals("fp32") ? 1e-4 : weights.equals("bf16") ? 1e-2 : 5e-2)) throw new IllegalStateException("W5: vlstm and ONNX Runtime disagree: " + y[i] + " vs " + ortY[i]);
    }

    private float[] ortStep() throws OrtException {
        try (OnnxTensor ht = OnnxTensor.createTensor(env, FloatBuffer.wrap(h), new long[]{LAYERS, 1, H});
             OnnxTensor ct = OnnxTensor.createTensor(env, FloatBuffer.wrap(c), new long[]{LAYERS, 1, H});
             OrtSession.Result r = ort.run(Map.of("x", ortX, "h0", ht, "c0", ct))) {
            ((OnnxTensor) r.get("h_n").orElseThrow()).getFloatBuffer().get(h);
            ((OnnxTensor) r.get("c_n").orElseThrow()).getFloatBuffer().get(c);
            FloatBuffer out = ((OnnxTensor) r.get("y").orElseThrow()).getFloatBuffer();
            float[] o = new float[OUT];
            out.get(o);
            return o;
        }
    }

    @Benchmark
    public float[] vlstmStep() {
        session.step(state, x, y);
        return y;
    }

    @Benchmark
    public float[] onnxRuntimeStep() throws OrtException {
        return ortStep();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        ortX.close();
        ort.close();
        options.close();
        session.close();
        model.close();
    }
}
