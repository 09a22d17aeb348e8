package dev.vlstm.reference;

import ai.onnxruntime.OrtException;
import dev.vlstm.Model;
import dev.vlstm.RunArgs;
import dev.vlstm.Session;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.ImportException;
import dev.vlstm.onnx.OnnxImporter;
import dev.vlstm.onnx.proto.OnnxReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Differential test of the whole pipeline on single LSTM nodes: random nodes over every direction, activation and
 * option ({@link RandomLstmCase}) are written as ONNX, converted by vlstm and run, then compared with the float64
 * spec-literal reference and, where it runs them (layout 0) and agrees on activation defaults, ONNX Runtime. Seeds are
 * printed; rerun one case with {@code -Dvlstm.lstm.caseSeed=SEED}.
 */
class VlstmSingleNodeDifferentialTest {
    static final long MASTER_SEED = Long.getLong("vlstm.diff.seed", 20261126L);
    static final int CASES = Integer.getInteger("vlstm.diff.cases", 300);

    @Test
    void vlstmMatchesTheReferenceAndOnnxRuntimeOnRandomNodes() throws OrtException {
        java.util.Random master = new java.util.Random(MASTER_SEED);
        Long only = Long.getLong("vlstm.lstm.caseSeed");
        int vsOrt = 0, vsReference = 0, refused = 0, exploding = 0;
        ErrorStats worst = ErrorStats.NONE;
        for (int n = 0; n < (only != null ? 1 : CASES); n++) {
            long seed = only != null ? only : master.nextLong();
            RandomLstmCase c = RandomLstmCase.draw(seed);
            String what = c.describe();
            LstmResult ref;
            try {
                ref = OnnxLstmReference.evaluate(c.inputs(), c.attributes(), ActivationDefaults.ONNX_SPEC);
            } catch (IllegalArgumentException e) { // e.g. ScaledTanh without alpha/beta: vlstm must refuse it too
                try {
                    convert(c);
                    fail("vlstm converted a node the spec leaves undefined (" + e.getMessage() + "): " + what);
                } catch (ImportException expected) {
                    refused++;
                }
                continue;
            }
            if (magnitude(ref) > 1e6) {
                exploding++;
                continue;
            }
            float[][] got = run(convert(c), c);
            ErrorStats e = ErrorStats.of(ref.y(), got[0]).max(ErrorStats.of(ref.yH(), got[1])).max(ErrorStats.of(ref.yC(), got[2]));
            double tolerance = 1e-5 * Math.max(1, e.maxMagnitude());
            assertTrue(e.maxAbs() <= tolerance, "vs float64 reference: " + e + " > " + tolerance + " for " + what);
            vsReference++;
            worst = worst.max(e);
            if (c.attributes().layout() == 0 && !LstmActivation.usesDisputedDefault(c.attributes())) {
                OrtLstmRunner.OrtOutputs ort = OrtLstmRunner.run(c.opset(), c.inputs(), c.attributes());
                if (!allFinite(ort.y()) || !allFinite(ort.yH()) || !allFinite(ort.yC())) continue; // ORT's float Softplus overflows
                ErrorStats o = ErrorStats.of(toDouble(ort.y()), got[0]).max(ErrorStats.of(toDouble(ort.yH()), got[1]))
                        .max(ErrorStats.of(toDouble(ort.yC()), got[2]));
                double tol = 1e-5 * Math.max(1, o.maxMagnitude());
                assertTrue(o.maxAbs() <= tol, "vs ONNX Runtime: " + o + " > " + tol + " for " + what);
                vsOrt++;
            }
        }
        System.out.printf("single-node differential: %d nodes vs float64 reference (worst %s), %d also vs ONNX Runtime, "
                + "%d refused as the spec requires, %d skipped (values past 1e6)%n", vsReference, worst, vsOrt, refused, exploding);
        assertTrue(only != null || vsReference + refused >= CASES * 0.95, "too few cases checked: " + vsReference + " + " + refused);
    }

    static byte[] convert(RandomLstmCase c) {
        var model = OnnxReader.read(OrtLstmRunner.model(c.opset(), c.inputs(), c.attributes()), "case-" + c.seed());
        var m = OnnxImporter.importModel(model, "case-" + c.seed(), null);
        return VlstmWriter.toBytes(m.spec(), m.weights(), m.metadata());
    }

    /** Runs the converted node; returns Y, Y_h, Y_c in ONNX's layouts. */
    static float[][] run(byte[] vlstm, RandomLstmCase c) {
        LstmInputs in = c.inputs();
        int[] xs = in.xShape();
        boolean batchFirst = c.attributes().layout() == 1;
        int seq = batchFirst ? xs[1] : xs[0], batch = batchFirst ? xs[0] : xs[1];
        int dirs = c.attributes().directionCount(), h = c.attributes().hiddenSize();
        float[][] out = {new float[seq * batch * dirs * h], new float[dirs * batch * h], new float[dirs * batch * h]};
        try (Model model = Model.load(vlstm, "case")) {
            Session s = model.newSession();
            s.run(new RunArgs().input(in.x(), seq, batch).initialStates(in.initialH(), in.initialC())
                    .sequenceLengths(in.sequenceLens()).output(out[0]).finalStates(out[1], out[2]));
        }
        return out;
    }

    static double magnitude(LstmResult r) {
        double m = 0;
        for (double[] a : new double[][]{r.y(), r.yH(), r.yC()})
            for (double v : a) m = Double.isFinite(v) ? Math.max(m, Math.abs(v)) : Double.POSITIVE_INFINITY;
        return m;
    }

    static boolean allFinite(float[] a) {
        for (float v : a) if (!Float.isFinite(v)) return false;
        return true;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
