package dev.vlstm.kernel;

import static dev.vlstm.kernel.KernelFixtures.P;
import static dev.vlstm.kernel.KernelFixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vlstm.format.PanelPacking;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hot paths allocate nothing once compiled: a boxed vector (a vector passed to a method C2 did not inline) shows up
 * here as bytes per call. It runs after the other kernel tests in the same JVM, whose many shapes pollute the
 * profiles, which is when C2's inlining gives up first.
 */
class KernelAllocationTest {

    static Stream<LstmKernels> implementations() {
        return Stream.of(Kernels.vector(), Kernels.scalar());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void projectAndStepAllocateNothingAfterWarmUp(LstmKernels kernels) {
        // A layer with a partial last slice (37 units), a batch with a row tail (5), a head narrower than a panel (10).
        int input = 7, hidden = 37, units = 10, batch = 5, rows = 3 * batch;
        int preWidth = PanelPacking.panels(hidden) * 4 * P;
        Random rnd = new Random(5);
        float[] w = KernelFixtures.gateMatrix(uniform(rnd, 4 * hidden * input, 1f), hidden, input);
        float[] b = PanelPacking.packGateBias(uniform(rnd, 4 * hidden, 1f), null, hidden);
        float[] r = KernelFixtures.gateMatrix(uniform(rnd, 4 * hidden * hidden, 0.3f), hidden, hidden);
        float[] hw = PanelPacking.packRows(uniform(rnd, units * hidden, 1f), units, hidden);
        float[] hb = PanelPacking.packRowBias(uniform(rnd, units, 1f), units);
        float[] x = uniform(rnd, rows * input, 1f), pre = new float[rows * preWidth];
        float[] h = new float[rows * hidden], c = new float[batch * hidden], out = new float[rows * units];
        Runnable forward = () -> {
            kernels.project(x, 0, input, rows, input, w, b, PanelPacking.panels(hidden), 4, pre, 0, preWidth, preWidth);
            java.util.Arrays.fill(c, 0f);
            for (int t = 1; t < 3; t++) {
                kernels.lstmStep(batch, hidden, r, pre, t * batch * preWidth, preWidth, h, (t - 1) * batch * hidden,
                        hidden, c, 0, hidden, h, t * batch * hidden, hidden);
            }
            kernels.project(h, 0, hidden, rows, hidden, hw, hb, PanelPacking.panels(units), 1, out, 0, units, units);
        };
        var result = dev.vlstm.SteadyAllocation.measure(forward, java.time.Duration.ofMillis(500), 0);
        assertEquals(0, result.bytesPerCall(), kernels.name() + ", a forward pass after warm-up: " + result);
    }

    /**
     * The head's operations over rows of a width with a tail (37) and of whole vectors (64), and one narrower than a
     * vector (3), pointwise over their runs: after warm-up, nothing allocated either (no boxed vector).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void headOperationsAllocateNothingAfterWarmUp(LstmKernels kernels) {
        Random rnd = new Random(6);
        int rows = 5;
        int[] widths = {3, 37, 64};
        float[][] x = new float[widths.length][], a = new float[widths.length][], scale = new float[widths.length][],
                bias = new float[widths.length][];
        for (int i = 0; i < widths.length; i++) {
            x[i] = uniform(rnd, rows * widths[i], 4f);
            a[i] = new float[x[i].length];
            scale[i] = uniform(rnd, widths[i], 1f);
            bias[i] = uniform(rnd, widths[i], 1f);
        }
        LstmKernels.Pointwise[] all = LstmKernels.Pointwise.values();     // values() is a new array each call
        Runnable head = () -> {
            for (int i = 0; i < widths.length; i++) {
                int w = widths[i], n = rows * w;
                float[] v = a[i];
                for (LstmKernels.Pointwise f : all) {
                    System.arraycopy(x[i], 0, v, 0, n);
                    kernels.activate(f, 0.5f, v, 0, n);
                }
                System.arraycopy(x[i], 0, v, 0, n);
                kernels.layerNorm(v, 0, rows, w, scale[i], bias[i], 1e-5f);
                kernels.softmax(v, 0, rows, w, false);
                System.arraycopy(x[i], 0, v, 0, n);
                kernels.softmax(v, 0, rows, w, true);
            }
        };
        var result = dev.vlstm.SteadyAllocation.measure(head, java.time.Duration.ofMillis(500), 0);
        assertEquals(0, result.bytesPerCall(), kernels.name() + ", the head's operations after warm-up: " + result);
    }
}
