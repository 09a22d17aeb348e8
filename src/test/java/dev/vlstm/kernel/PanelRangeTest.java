package dev.vlstm.kernel;

import static dev.vlstm.kernel.KernelFixtures.CANARY;
import static dev.vlstm.kernel.KernelFixtures.P;
import static dev.vlstm.kernel.KernelFixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.vlstm.format.PanelPacking;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The panel-range forms of {@code project} and {@code lstmStep}, which threads use to split a layer's gate columns,
 * give bit for bit what the whole-matrix call gives when the ranges tile the panels, and touch nothing outside their
 * own panels' columns and units (the other entries keep a canary).
 */
class PanelRangeTest {

    static Stream<Arguments> cases() {
        return Stream.of(Kernels.scalar(), Kernels.vector()).flatMap(kernels -> IntStream.of(17, 37, 64, 256)
                .boxed().flatMap(hidden -> IntStream.of(1, 3, 6).mapToObj(batch -> Arguments.of(kernels, hidden, batch))));
    }

    /** Splits panels into pieces of 1, 2, 3 ... panels (the last one shorter). */
    private static int[][] tiling(int panels) {
        int[][] ranges = new int[panels][];
        int n = 0;
        for (int q = 0, size = 1; q < panels; q += size, size++) ranges[n++] = new int[]{q, Math.min(size, panels - q)};
        return Arrays.copyOf(ranges, n);
    }

    @ParameterizedTest(name = "{0}, hidden {1}, batch {2}")
    @MethodSource("cases")
    void rangesTileTheWholeCall(LstmKernels kernels, int hidden, int batch) {
        Random rnd = new Random(hidden * 131L + batch);
        int k = 29, panels = PanelPacking.panels(hidden), gs = panels * 4 * P;
        float[] w = KernelFixtures.gateMatrix(uniform(rnd, 4 * hidden * k, 1f), hidden, k);
        float[] bias = PanelPacking.packGateBias(uniform(rnd, 4 * hidden, 1f), null, hidden);
        float[] r = KernelFixtures.gateMatrix(uniform(rnd, 4 * hidden * hidden, 0.3f), hidden, hidden);
        float[] x = uniform(rnd, batch * k, 1f), h = uniform(rnd, batch * hidden, 1f), c0 = uniform(rnd, batch * hidden, 1f);

        float[] preWhole = new float[batch * gs];
        kernels.project(x, 0, k, batch, k, w, bias, panels, 4, preWhole, 0, gs, gs);
        float[] cWhole = c0.clone(), hWhole = new float[batch * hidden];
        kernels.lstmStep(batch, hidden, r, preWhole.clone(), 0, gs, h, 0, hidden, cWhole, 0, hidden, hWhole, 0, hidden);

        float[] pre = new float[batch * gs], c = c0.clone(), hOut = new float[batch * hidden];
        Arrays.fill(pre, CANARY);
        Arrays.fill(hOut, CANARY);
        for (int[] range : tiling(panels)) {
            kernels.project(x, 0, k, batch, k, w, bias, range[0], range[1], 4, false, pre, 0, gs, gs);
            int from = range[0] * 4 * P, to = (range[0] + range[1]) * 4 * P;
            for (int b = 0; b < batch; b++) {
                float[] row = Arrays.copyOfRange(pre, b * gs, (b + 1) * gs);
                for (int i = to; i < gs; i++)
                    if (row[i] != CANARY) throw new AssertionError("project of panels " + Arrays.toString(range)
                            + " wrote column " + i + " of row " + b);
                assertArrayEquals(Arrays.copyOfRange(preWhole, b * gs + from, b * gs + to),
                        Arrays.copyOfRange(row, from, to), "projection of panels " + Arrays.toString(range));
            }
            kernels.lstmStep(batch, hidden, range[0], range[1], r, pre, 0, gs, h, 0, hidden, c, 0, hidden,
                    hOut, 0, hidden);
            int lastUnit = Math.min(hidden, (range[0] + range[1]) * P);
            for (int b = 0; b < batch; b++)
                for (int u = lastUnit; u < hidden; u++)
                    if (hOut[b * hidden + u] != CANARY || c[b * hidden + u] != c0[b * hidden + u])
                        throw new AssertionError("lstmStep of panels " + Arrays.toString(range) + " wrote unit " + u);
        }
        assertArrayEquals(hWhole, hOut, kernels.name() + ": h from the tiled ranges");
        assertArrayEquals(cWhole, c, kernels.name() + ": c from the tiled ranges");
    }
}
