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
}
