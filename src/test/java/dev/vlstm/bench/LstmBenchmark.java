package dev.vlstm.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.vlstm.Model;
import dev.vlstm.Session;
import dev.vlstm.RunArgs;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
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

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * vlstm against ONNX Runtime Java on the same ONNX file and the same input, one forward pass of a whole sequence per
 * operation (see {@link Workload} for the workloads). Both systems are prepared once per fork: vlstm converts the ONNX
 * file (OnnxImporter + VlstmWriter) and opens a session sized for the shape, ONNX Runtime opens the file with one
 * intra-op thread and holds the input tensor. Setup fails unless the two outputs agree to {@value #AGREEMENT}.
 *
 * <p>Run with {@code tools/bench} (the module flag below only reaches the forks when the command line does not pass its
 * own {@code -jvmArgsAppend}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
public class LstmBenchmark {

    /** Largest absolute difference allowed between the two systems' outputs. */
    static final double AGREEMENT = 1e-4;

    @Param({"W1_s150_b1", "W1b_s1_b150", "W2_h256_s100_b1", "W3_h1024_s50_b1", "W4_h256_s100_b64",
            "W6_emb2000_h256_s50_b1", "W6b_emb2000_h256_s20_b32"})
    public String workload;

    /** Intra-op threads, the same for both systems (vlstm's session threads, ONNX Runtime's intra-op pool). */
    @Param({"1", "2"})
    public int threads;

    /** How vlstm stores the weight matrices (convert --weights); ONNX Runtime always runs the fp32 ONNX model. */
    @Param({"fp32"})
    public String weights;

    private Path scratch;
    private Workload w;

    private Model model;
    private Session session;
    private float[] output;
    private RunArgs args;       // the call both vlstm() and the agreement check make: features or token ids

    private OrtEnvironment env;
    private OrtSession.SessionOptions ortOptions;
    private OrtSession ort;
    private OnnxTensor ortInput;
    private Map<String, OnnxTensor> ortInputs;

    @Setup(Level.Trial)
    public void setUp() throws IOException, OrtException {
        scratch = Files.createTempDirectory("vlstm-bench");
        w = Workload.load(workload, scratch);

        OnnxImporter.Imported imported = OnnxImporter.importFile(w.onnx());
        model = Model.load(VlstmWriter.toBytes(imported.spec().withWeights(dev.vlstm.format.WeightType.ofLabel(weights)),
                        imported.weights(), imported.metadata()),
                w.onnx().getFileName().toString());
        session = model.newSession(w.seq(), w.batch(), threads);
        output = new float[w.seq() * w.batch() * model.outputSize()];
        args = (w.ids() != null ? new RunArgs().tokens(w.ids(), w.seq(), w.batch()) : new RunArgs().input(w.input(), w.seq(), w.batch()))
                .output(output);

        env = OrtEnvironment.getEnvironment();
        ortOptions = new OrtSession.SessionOptions();
        ortOptions.setIntraOpNumThreads(threads);
        ort = env.createSession(w.onnx().toString(), ortOptions);
        ortInput = w.ids() != null ? OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(w.ids()), w.shape())
                : OnnxTensor.createTensor(env, FloatBuffer.wrap(w.input()), w.shape());
        ortInputs = Map.of(w.inputName(), ortInput);

        double err = checkAgreement();
        System.out.printf("# %s, %d threads: vlstm kernels %s, ONNX Runtime %s, max |vlstm - ORT| = %.3g over %d outputs%n",
                workload, threads, session.kernels(), env.getVersion(), err, output.length);
    }

    /** Runs both once and fails the trial unless they agree; returns the largest absolute difference. */
    private double checkAgreement() throws OrtException {
        session.run(args);
        float[] expected;
        try (OrtSession.Result r = ort.run(ortInputs)) {
            FloatBuffer fb = ((OnnxTensor) r.get(w.outputName()).orElseThrow()).getFloatBuffer();
            expected = new float[fb.remaining()];
            fb.get(expected);
        }
        if (expected.length != output.length)
            throw new IllegalStateException(workload + ": ONNX Runtime wrote " + expected.length + " values, vlstm "
                    + output.length);
        double max = 0;
        for (int i = 0; i < output.length; i++) {
            double d = Math.abs((double) output[i] - expected[i]);
            double agreement = switch (weights) {     // the README's bounds of reduced weights against fp32
                case "bf16" -> 1e-2;
                case "int8" -> 5e-2;
                default -> AGREEMENT;
            };
            if (!(d <= agreement))
                throw new IllegalStateException(workload + ": vlstm and ONNX Runtime disagree at output " + i + ": "
                        + output[i] + " vs " + expected[i] + " (|diff| " + d + " > " + agreement + ")");
            max = Math.max(max, d);
        }
        return max;
    }

    @Benchmark
    public float[] vlstm() {
        session.run(args);
        return output;
    }

    @Benchmark
    public long onnxRuntime() throws OrtException {
        try (OrtSession.Result r = ort.run(ortInputs)) {
            return r.size();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException, OrtException {
        if (ortInput != null) ortInput.close();
        if (ort != null) ort.close();
        if (ortOptions != null) ortOptions.close();
        if (session != null) session.close();
        if (model != null) model.close();
        if (scratch != null)
            try (Stream<Path> files = Files.walk(scratch)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
    }
}
