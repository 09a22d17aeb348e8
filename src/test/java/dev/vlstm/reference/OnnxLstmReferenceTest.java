package dev.vlstm.reference;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The float64 reference against (a) ONNX Runtime on random single-LSTM models and (b) ONNX's own LSTM node tests.
 * Reproduce one random case with {@code -Dvlstm.lstm.caseSeed=SEED}; change the run with
 * {@code -Dvlstm.lstm.seed=...} and {@code -Dvlstm.lstm.cases=...}.
 */
class OnnxLstmReferenceTest {

    /** Largest absolute error allowed for outputs within ±1; larger outputs allow TOLERANCE × their largest |value|. */
    private static final double TOLERANCE = 1e-5;
    /** Reference outputs beyond this have exploded (unbounded activations); float32 cannot follow them. */
    private static final double DIVERGED = 1e6;
    /** ONNX Runtime's Softplus is log(1 + exp(x)) in float32: +inf beyond x = ln(FLT_MAX) ≈ 88.7. */
    private static final double ORT_SOFTPLUS_LIMIT = 80;
    private static final Path NODE_TESTS = Path.of("/usr/share/libonnx-testdata/data/node");

    @Test
    void agreesWithOnnxRuntimeOnRandomNodes() {
        Long only = Long.getLong("vlstm.lstm.caseSeed");
        long master = Long.getLong("vlstm.lstm.seed", 20_250_611L);
        int cases = only != null ? 1 : Integer.getInteger("vlstm.lstm.cases", 200);
        Random seeds = new Random(master);
        List<String> failures = new ArrayList<>();
        int compared = 0;
        int comparedViaLayout0 = 0;
        int refused = 0;
        int disputedDefaults = 0;
        int diverged = 0;
        int softplusOverflows = 0;
        ErrorStats worst = ErrorStats.NONE;
        for (int i = 0; i < cases; i++) {
            RandomLstmCase c = RandomLstmCase.draw(only != null ? only : seeds.nextLong());
            LstmAttributes a = c.attributes();
            if (LstmActivation.usesDisputedDefault(a)) disputedDefaults++;
            LstmResult ref = OnnxLstmReference.evaluate(c.inputs(), a, ActivationDefaults.ONNX_RUNTIME);
            String outcome;
            double magnitude = largestMagnitude(ref);
            if (!(magnitude <= DIVERGED)) {
                diverged++;
                System.out.printf("LSTM case %d seed=%dL: %s%n    not compared: the outputs reach %.3g, beyond what "
                        + "float32 can follow%n", i, c.seed(), c.describe(), magnitude);
                continue;
            }
            double softplusInput = largestSoftplusInput(a, ref);
            if (softplusInput > ORT_SOFTPLUS_LIMIT) {
                softplusOverflows++;
                System.out.printf("LSTM case %d seed=%dL: %s%n    not compared: Softplus is applied to %.3g, where "
                        + "ONNX Runtime's float32 log(1 + exp(x)) overflows%n", i, c.seed(), c.describe(),
                        softplusInput);
                continue;
            }
            try {
                OrtLstmRunner.OrtOutputs ort = OrtLstmRunner.run(c.opset(), c.inputs(), a);
                ErrorStats e = compare(ref, ort, c.describe(), failures);
                worst = worst.max(e);
                compared++;
                outcome = e.toString();
            } catch (OrtException refusal) {
                refused++;
                outcome = "ONNX Runtime refused: " + firstLine(refusal.getMessage());
                if (a.layout() == 1) {
                    ErrorStats e = compareViaLayout0(c, ref, failures);
                    worst = worst.max(e);
                    comparedViaLayout0++;
                    outcome += "; its layout-0 equivalent: " + e;
                }
            }
            System.out.printf("LSTM case %d seed=%dL: %s%n    %s%n", i, c.seed(), c.describe(), outcome);
        }
        System.out.printf("LSTM reference vs ONNX Runtime: %d cases, %d compared directly, %d refused by ONNX Runtime "
                + "(%d of them layout=1, compared through the layout-0 node), %d relied on ONNX Runtime's activation "
                + "defaults where they differ from the spec, %d not compared because their values explode past %.0g, "
                + "%d not compared because ONNX Runtime's Softplus overflows on them; worst: %s%n", cases, compared,
                refused, comparedViaLayout0, disputedDefaults, diverged, DIVERGED, softplusOverflows, worst);
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases + " cases disagree with ONNX Runtime:\n"
                + String.join("\n", failures));
        assertTrue(compared + comparedViaLayout0 >= cases * 9 / 10,
                "ONNX Runtime ran too few cases: " + compared + " + " + comparedViaLayout0 + " of " + cases);
    }

    @Test
    void agreesWithOnnxNodeTests() throws IOException, OrtException {
        assertTrue(Files.isDirectory(NODE_TESTS), NODE_TESTS + " is missing: install Debian's ONNX node test data "
                + "with 'apt-get install libonnx-testdata' (this test must not be skipped)");
        List<Path> dirs;
        try (Stream<Path> s = Files.list(NODE_TESTS)) {
            dirs = s.filter(p -> p.getFileName().toString().startsWith("test_lstm_")).sorted().toList();
        }
        assertFalse(dirs.isEmpty(), "no test_lstm_* folders in " + NODE_TESTS + "; reinstall libonnx-testdata");
        int ortCompared = 0;
        for (Path dir : dirs) {
            OnnxNodeTestCase t = OnnxNodeTestCase.load(dir);
            String what = t.name() + " (opset " + t.opset() + ", " + t.inputs().describe() + " " + t.attributes() + ")";
            assertFalse(t.expected().isEmpty(), what + ": no expected outputs");
            LstmResult ref = OnnxLstmReference.evaluate(t.inputs(), t.attributes());
            List<String> failures = new ArrayList<>();
            ErrorStats e = ErrorStats.NONE;
            for (var out : t.expected().entrySet()) {
                TensorProtoFile.Tensor want = out.getValue();
                int[] refShape = shapeOf(ref, out.getKey());
                assertArrayEquals(want.intDims(), refShape, what + ": shape of " + out.getKey());
                e = e.max(check(out.getKey(), valuesOf(ref, out.getKey()), want.floats(), what, failures));
            }
            String ortOutcome;
            try {
                OrtLstmRunner.OrtOutputs ort = OrtLstmRunner.runModel(Files.readAllBytes(t.modelFile()), t.inputs(),
                        t.attributes());
                ErrorStats o = compare(ref, ort, what, failures);
                ortOutcome = "ONNX Runtime: " + o;
                ortCompared++;
            } catch (OrtException refusal) {
                ortOutcome = "ONNX Runtime refused: " + firstLine(refusal.getMessage());
                assertEquals(1, t.attributes().layout(), what + ": unexpected refusal: " + refusal.getMessage());
            }
            System.out.printf("ONNX node test %s: expected outputs %s: %s; %s%n", t.name(), t.expected().keySet(), e,
                    ortOutcome);
            assertTrue(failures.isEmpty(), String.join("\n", failures));
        }
        System.out.printf("ONNX node tests: %d checked against their expected outputs, %d also against ONNX Runtime%n",
                dirs.size(), ortCompared);
    }

    /** Compares every output ONNX Runtime returned; adds a message to {@code failures} for each disagreement. */
    private static ErrorStats compare(LstmResult ref, OrtLstmRunner.OrtOutputs ort, String what, List<String> failures) {
        ErrorStats e = ErrorStats.NONE;
        if (ort.y() != null) e = e.max(checkShaped("Y", ref.y(), ref.yShape(), ort.y(), ort.yShape(), what, failures));
        if (ort.yH() != null)
            e = e.max(checkShaped("Y_h", ref.yH(), ref.yHShape(), ort.yH(), ort.yHShape(), what, failures));
        if (ort.yC() != null)
            e = e.max(checkShaped("Y_c", ref.yC(), ref.yCShape(), ort.yC(), ort.yCShape(), what, failures));
        return e;
    }

    /** A layout = 1 case through ONNX Runtime's layout-0 node: inputs transposed in, outputs transposed back. */
    private static ErrorStats compareViaLayout0(RandomLstmCase c, LstmResult ref, List<String> failures) {
        LstmAttributes a = c.attributes();
        LstmInputs in0 = BatchFirst.toSequenceFirst(c.inputs(), a);
        OrtLstmRunner.OrtOutputs ort;
        try {
            ort = OrtLstmRunner.run(c.opset(), in0, a.withLayout(0));
        } catch (OrtException ex) {
            failures.add(c.describe() + ": ONNX Runtime refused even the layout-0 equivalent: " + ex.getMessage());
            return ErrorStats.NONE;
        }
        int batch = c.inputs().xShape()[0];
        int seq = c.inputs().xShape()[1];
        int dirs = a.directionCount();
        int h = a.hiddenSize();
        String what = c.describe() + " [via layout 0]";
        return check("Y", ref.y(), BatchFirst.yToBatchFirst(ort.y(), seq, dirs, batch, h), what, failures)
                .max(check("Y_h", ref.yH(), BatchFirst.swap01(ort.yH(), dirs, batch, h), what, failures))
                .max(check("Y_c", ref.yC(), BatchFirst.swap01(ort.yC(), dirs, batch, h), what, failures));
    }

    private static ErrorStats checkShaped(String output, double[] want, int[] wantShape, float[] got, long[] gotShape,
            String what, List<String> failures) {
        if (!Arrays.equals(Arrays.stream(wantShape).asLongStream().toArray(), gotShape)) {
            failures.add(what + ": " + output + " has shape " + Arrays.toString(gotShape) + " in ONNX Runtime, "
                    + Arrays.toString(wantShape) + " in the reference");
            return ErrorStats.NONE;
        }
        return check(output, want, got, what, failures);
    }

    private static ErrorStats check(String output, double[] want, float[] got, String what, List<String> failures) {
        ErrorStats e = ErrorStats.of(want, got);
        double allowed = TOLERANCE * Math.max(1.0, e.maxMagnitude());
        if (!(e.maxAbs() <= allowed))
            failures.add(what + ": " + output + " differs: " + e + " (tolerance " + allowed + "; worst at flat index "
                    + e.worstIndex() + ": reference " + want[e.worstIndex()] + ", other " + got[e.worstIndex()] + ")");
        return e;
    }

    /** The largest |x| that the reference fed to an activation ONNX Runtime evaluates as Softplus. */
    private static double largestSoftplusInput(LstmAttributes a, LstmResult ref) {
        List<LstmActivation> activations = LstmActivation.resolve(a, ActivationDefaults.ONNX_RUNTIME);
        double largest = 0;
        for (int k = 0; k < activations.size(); k++)
            if (activations.get(k).name().equals("Softplus"))
                largest = Math.max(largest, ref.largestActivationInputs()[k]);
        return largest;
    }

    private static double largestMagnitude(LstmResult r) {
        double m = 0;
        for (double[] values : List.of(r.y(), r.yH(), r.yC()))
            for (double v : values) m = Math.max(m, Double.isFinite(v) ? Math.abs(v) : Double.POSITIVE_INFINITY);
        return m;
    }

    private static double[] valuesOf(LstmResult r, String output) {
        return switch (output) {
            case "Y" -> r.y();
            case "Y_h" -> r.yH();
            default -> r.yC();
        };
    }

    private static int[] shapeOf(LstmResult r, String output) {
        return switch (output) {
            case "Y" -> r.yShape();
            case "Y_h" -> r.yHShape();
            default -> r.yCShape();
        };
    }

    private static String firstLine(String s) {
        if (s == null) return "(no message)";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
