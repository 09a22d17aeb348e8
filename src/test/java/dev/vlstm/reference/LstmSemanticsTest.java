package dev.vlstm.reference;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OrtException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The points where the ONNX text is vague, pinned down one by one: how alpha and beta lists are consumed, the
 * defaults, zero-length sequences and layout = 1, each checked against ONNX Runtime where it can run the node.
 */
class LstmSemanticsTest {

    @Test
    void alphaAndBetaAreConsumedInOrderByTheActivationsThatTakeThem() {
        LstmAttributes a = new LstmAttributes(2, "bidirectional",
                List.of("LeakyRelu", "Tanh", "HardSigmoid", "Elu", "Affine", "ScaledTanh"),
                new float[] {0.5f, 0.25f, 2f}, new float[] {0.75f}, null, 0, 0);
        List<LstmActivation> r = LstmActivation.resolve(a, ActivationDefaults.ONNX_RUNTIME);
        assertEquals(new LstmActivation("LeakyRelu", 0.5, 0), r.get(0));
        assertEquals(new LstmActivation("Tanh", 0, 0), r.get(1)); // takes nothing, consumes nothing
        assertEquals(new LstmActivation("HardSigmoid", 0.25, 0.75), r.get(2)); // the first beta
        assertEquals(new LstmActivation("Elu", 2, 0), r.get(3)); // the reverse direction goes on with the list
        assertEquals(new LstmActivation("Affine", 0, 0), r.get(4)); // both lists ran out: ONNX Runtime's 0
        assertEquals(new LstmActivation("ScaledTanh", 0, 0), r.get(5));
    }

    @Test
    void defaultsDifferBetweenSpecAndOnnxRuntimeOnlyForThresholdedReluAffineAndScaledTanh() {
        List<String> names = List.of("LeakyRelu", "HardSigmoid", "Elu", "ThresholdedRelu", "Affine", "Sigmoid");
        LstmAttributes a = new LstmAttributes(1, "bidirectional", names, null, null, null, 0, 0);
        List<LstmActivation> spec = LstmActivation.resolve(a, ActivationDefaults.ONNX_SPEC);
        List<LstmActivation> ort = LstmActivation.resolve(a, ActivationDefaults.ONNX_RUNTIME);
        assertEquals(List.of(new LstmActivation("LeakyRelu", 0.01f, 0), new LstmActivation("HardSigmoid", 0.2f, 0.5),
                new LstmActivation("Elu", 1, 0), new LstmActivation("ThresholdedRelu", 1, 0),
                new LstmActivation("Affine", 1, 0), new LstmActivation("Sigmoid", 0, 0)), spec);
        assertEquals(spec.subList(0, 3), ort.subList(0, 3));
        assertEquals(new LstmActivation("ThresholdedRelu", 0, 0), ort.get(3));
        assertEquals(new LstmActivation("Affine", 0, 0), ort.get(4));
        assertTrue(LstmActivation.usesDisputedDefault(a));

        LstmAttributes scaledTanh = new LstmAttributes(1, null, List.of("Sigmoid", "ScaledTanh", "Tanh"), null, null,
                null, 0, 0);
        assertThrows(IllegalArgumentException.class,
                () -> LstmActivation.resolve(scaledTanh, ActivationDefaults.ONNX_SPEC));
    }

    @Test
    void activationNamesMatchCaseInsensitivelyAndCountsAreChecked() {
        LstmAttributes lower = new LstmAttributes(1, null, List.of("sigmoid", "TANH", "softPlus"), null, null, null,
                0, 0);
        assertEquals("Softplus", LstmActivation.resolve(lower, ActivationDefaults.ONNX_SPEC).get(2).name());
        LstmAttributes three = new LstmAttributes(1, "bidirectional", List.of("Sigmoid", "Tanh", "Tanh"), null, null,
                null, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> LstmActivation.resolve(three, ActivationDefaults.ONNX_SPEC));
    }

    @Test
    void onnxRuntimeDefaultsThresholdedReluAndAffineToZero() throws OrtException {
        LstmAttributes a = new LstmAttributes(5, null, List.of("Affine", "ThresholdedRelu", "Tanh"), null, null,
                null, 0, 0);
        LstmInputs in = inputs(new Random(1), new int[] {4, 2, 3}, 2, 5, 1, false, null);
        OrtLstmRunner.OrtOutputs ort = OrtLstmRunner.run(14, in, a);
        LstmResult asOrt = OnnxLstmReference.evaluate(in, a, ActivationDefaults.ONNX_RUNTIME);
        LstmResult asSpec = OnnxLstmReference.evaluate(in, a, ActivationDefaults.ONNX_SPEC);
        assertTrue(ErrorStats.of(asOrt.y(), ort.y()).maxAbs() < 1e-6, "ONNX Runtime's defaults");
        assertTrue(ErrorStats.of(asSpec.y(), ort.y()).maxAbs() > 1e-2, "the spec's defaults give other values");
    }

    @Test
    void aZeroLengthSequenceEndsWithZeroStatesNotTheInitialOnes() throws OrtException {
        LstmAttributes a = new LstmAttributes(3, "bidirectional", List.of(), null, null, null, 0, 0);
        LstmInputs in = inputs(new Random(2), new int[] {4, 3, 2}, 3, 3, 2, true, new int[] {0, 4, 2});
        LstmResult ref = OnnxLstmReference.evaluate(in, a);
        OrtLstmRunner.OrtOutputs ort = OrtLstmRunner.run(22, in, a);
        assertTrue(ErrorStats.of(ref.y(), ort.y()).maxAbs() < 1e-6);
        assertTrue(ErrorStats.of(ref.yH(), ort.yH()).maxAbs() < 1e-6);
        assertTrue(ErrorStats.of(ref.yC(), ort.yC()).maxAbs() < 1e-6);
        for (int d = 0; d < 2; d++)
            for (int n = 0; n < 3; n++) {
                assertEquals(0.0, ref.yH()[(d * 3) * 3 + n], "Y_h of the empty sequence, direction " + d);
                assertEquals(0.0, ref.yC()[(d * 3) * 3 + n], "Y_c of the empty sequence, direction " + d);
            }
    }

    @Test
    void onnxRuntimeRefusesLayoutOne() {
        LstmAttributes a = new LstmAttributes(2, null, List.of(), null, null, null, 0, 1);
        LstmInputs in = inputs(new Random(3), new int[] {2, 3, 2}, 2, 2, 1, true, null); // X: batch 2, seq 3
        OrtException e = assertThrows(OrtException.class, () -> OrtLstmRunner.run(14, in, a));
        assertTrue(e.getMessage().contains("layout"), e.getMessage());
        assertArrayEquals(new int[] {2, 3, 1, 2}, OnnxLstmReference.evaluate(in, a).yShape()); // [batch, seq, dirs, H]
    }

    /** Random inputs: X of dims xShape, W, R, B, and initial states if asked (batch entries each). */
    private static LstmInputs inputs(Random rnd, int[] xShape, int batch, int hidden, int dirs, boolean states,
            int[] lens) {
        int input = xShape[2];
        return new LstmInputs(uniform(rnd, xShape[0] * xShape[1] * input), xShape,
                uniform(rnd, dirs * 4 * hidden * input), uniform(rnd, dirs * 4 * hidden * hidden),
                uniform(rnd, dirs * 8 * hidden), lens, states ? uniform(rnd, dirs * batch * hidden) : null,
                states ? uniform(rnd, dirs * batch * hidden) : null, null);
    }

    private static float[] uniform(Random rnd, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = 2 * rnd.nextFloat() - 1;
        return out;
    }
}
