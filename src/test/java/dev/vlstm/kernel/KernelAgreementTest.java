package dev.vlstm.kernel;

import static dev.vlstm.kernel.KernelFixtures.CANARY;
import static dev.vlstm.kernel.KernelFixtures.P;
import static dev.vlstm.kernel.KernelFixtures.strided;
import static dev.vlstm.kernel.KernelFixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlstm.format.PanelPacking;
import dev.vlstm.kernel.KernelFixtures.ErrorMeter;
import dev.vlstm.kernel.KernelFixtures.StepResult;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both implementations agree with a float64 reference computed from the javadoc formulas on unpacked weights, for
 * sizes around the panel width and the vector blocks (rows and batch tails, heads narrower than a panel), with
 * non-zero offsets and strides, and without touching anything outside the documented outputs.
 */
class KernelAgreementTest {

    static final int[] SIZES = {1, 3, 13, 16, 17, 37, 64, 256};
    static final int[] KS = {1, 5, 100};
    static final int[] ROWS = {1, 2, 3, 4, 5, 6, 9, 10, 11, 13};
    static final int[] BATCHES = {1, 2, 3, 4, 5, 6, 9, 10, 40};   // 40: several blocks of a narrow layer's cell update

    static Stream<Arguments> implementationsAndSizes() {
        return Stream.of(Kernels.scalar(), Kernels.vector())
                .flatMap(kernels -> IntStream.of(SIZES).mapToObj(size -> Arguments.of(kernels, size)));
    }

    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void gateProjectionMatchesReference(LstmKernels kernels, int hidden) {
        ErrorMeter meter = new ErrorMeter();
        for (int k : KS) {
            for (int rows : ROWS) {
                Random rnd = new Random(31L * hidden + 7L * k + rows);
                float[] w = uniform(rnd, 4 * hidden * k, 1f);
                float[] wb = uniform(rnd, 4 * hidden, 1f);
                float[] rb = rows % 2 == 0 ? null : uniform(rnd, 4 * hidden, 1f);   // Rb absent in half the cases
                float[] bSum = new float[4 * hidden];
                for (int i = 0; i < bSum.length; i++) bSum[i] = wb[i] + (rb == null ? 0 : rb[i]);
                int outColumns = PanelPacking.panels(hidden) * 4 * P;
                String at = String.format("%s gates 4, hidden %d, k %d, rows %d", kernels.name(), hidden, k, rows);
                runProjection(kernels, rnd, rows, k, w, bSum, KernelFixtures.gateMatrix(w, hidden, k),
                        PanelPacking.packGateBias(wb, rb, hidden), hidden, 4, outColumns, at, meter);
            }
        }
        System.out.printf("project gates 4, %s, hidden %d: %s%n", kernels.name(), hidden, meter);
    }

    @ParameterizedTest(name = "{0}, units {1}")
    @MethodSource("implementationsAndSizes")
    void headProjectionWritesOnlyRealUnits(LstmKernels kernels, int units) {
        ErrorMeter meter = new ErrorMeter();
        for (int k : KS) {
            for (int rows : ROWS) {
                Random rnd = new Random(17L * units + 5L * k + rows);
                float[] a = uniform(rnd, units * k, 1f);
                float[] b = rows % 2 == 0 ? null : uniform(rnd, units, 1f);          // no bias in half the cases
                String at = String.format("%s head, units %d, k %d, rows %d", kernels.name(), units, k, rows);
                runProjection(kernels, rnd, rows, k, a, b, PanelPacking.packRows(a, units, k),
                        b == null ? null : PanelPacking.packRowBias(b, units), units, 1, units, at, meter);
            }
        }
        System.out.printf("project head, %s, units %d: %s%n", kernels.name(), units, meter);
    }

    private static void runProjection(LstmKernels kernels, Random rnd, int rows, int k, float[] unpacked, float[] bias,
                                      float[] packed, float[] packedBias, int units, int gates, int outColumns,
                                      String at, ErrorMeter meter) {
        float[] x = uniform(rnd, rows * k, 1f);
        int xOffset = 3, xStride = k + 2;
        int outOffset = 5, outStride = outColumns + 3;
        // NaN around the input rows: reading past k would poison the result.
        float[] xArray = strided(x, rows, k, xOffset, xStride, Float.NaN);
        float[] xBefore = xArray.clone();
        float[] out = new float[outOffset + (rows - 1) * outStride + outColumns + 3];
        Arrays.fill(out, CANARY);
        double[] ref = KernelFixtures.projectReference(x, rows, k, unpacked, bias, units, gates, outColumns);
        kernels.project(xArray, xOffset, xStride, rows, k, packed, packedBias, PanelPacking.panels(units), gates,
                out, outOffset, outStride, outColumns);
        for (int i = 0; i < out.length; i++) {
            int rel = i - outOffset, r = Math.floorDiv(rel, outStride), col = rel - r * outStride;
            if (rel >= 0 && r < rows && col < outColumns) {
                meter.check(at + ", row " + r + ", column " + col, ref[r * outColumns + col], out[i]);
            } else {
                assertEquals(CANARY, out[i], at + ": wrote outside the output at index " + i);
            }
        }
        assertArrayEquals(xBefore, xArray, at + ": changed its input");
    }

    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void lstmStepMatchesReference(LstmKernels kernels, int hidden) {
        ErrorMeter meter = new ErrorMeter();
        for (int batch : BATCHES) {
            Random rnd = new Random(101L * hidden + batch);
            int preWidth = PanelPacking.panels(hidden) * 4 * P;
            float[] rOnnx = uniform(rnd, 4 * hidden * hidden, (float) (2 / Math.sqrt(hidden)));
            float[] pre = uniform(rnd, batch * preWidth, 2f);
            for (int b = 0; b < batch; b++)           // padding lanes: whatever is there must not leak into h or c
                for (int col = 0; col < preWidth; col++)
                    if ((col / (4 * P)) * P + col % P >= hidden) pre[b * preWidth + col] = Float.NaN;
            float[] hPrev = uniform(rnd, batch * hidden, 1f);
            float[] c = uniform(rnd, batch * hidden, 2f);
            StepResult ref = KernelFixtures.stepReference(batch, hidden, rOnnx, KernelFixtures.toDouble(pre),
                    KernelFixtures.toDouble(hPrev), KernelFixtures.toDouble(c));

            int preOffset = 4, preStride = preWidth + 7, hOffset = 2, hStride = hidden + 3;
            int cOffset = 1, cStride = hidden + 2, oOffset = 6, oStride = hidden + 5;
            float[] preArray = strided(pre, batch, preWidth, preOffset, preStride, Float.NaN);
            float[] hArray = strided(hPrev, batch, hidden, hOffset, hStride, Float.NaN);
            float[] cArray = strided(c, batch, hidden, cOffset, cStride, CANARY);
            float[] outArray = new float[oOffset + (batch - 1) * oStride + hidden + 3];
            Arrays.fill(outArray, CANARY);
            float[] preBefore = preArray.clone(), hBefore = hArray.clone();
            float[] r = KernelFixtures.gateMatrix(rOnnx, hidden, hidden);
            kernels.lstmStep(batch, hidden, r, preArray, preOffset, preStride, hArray, hOffset, hStride,
                    cArray, cOffset, cStride, outArray, oOffset, oStride);
            String at = String.format("%s lstmStep, hidden %d, batch %d", kernels.name(), hidden, batch);
            checkRows(at + " c", cArray, cOffset, cStride, batch, hidden, ref.c(), meter);
            checkRows(at + " h", outArray, oOffset, oStride, batch, hidden, ref.h(), meter);
            checkScratch(at + " pre", preArray, preBefore, preOffset, preStride, batch, preWidth);
            assertArrayEquals(hBefore, hArray, at + ": changed hPrev");
        }
        System.out.printf("lstmStep, %s, hidden %d: %s%n", kernels.name(), hidden, meter);
    }

    /**
     * A one-row step over a reduced R (lstmStep with a {@link ReducedMatrix}) equals lstmStep on the same weights widened to
     * fp32: bf16 bit for bit (the same fused sums in the same order), int8 within 1e-5 (each column's sum is scaled
     * once instead of each weight), over all panels and over a middle range of them, with offsets; it touches only
     * those panels' columns of pre, c and h.
     */
    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void aReducedStepRowEqualsTheStepOnItsWidenedWeights(LstmKernels kernels, int hidden) {
        Random rnd = new Random(77L * hidden);
        int panels = PanelPacking.panels(hidden), preWidth = panels * 4 * P;
        ReducedForms forms = ReducedForms.random(rnd, hidden);
        float[] scratch = new float[4 * hidden * P];
        float[] pre = uniform(rnd, preWidth + 3, 2f), hPrev = uniform(rnd, hidden + 5, 1f), c = uniform(rnd, hidden + 2, 2f);
        int[][] ranges = panels > 2 ? new int[][]{{0, panels}, {1, panels - 2}} : new int[][]{{0, panels}};
        for (int[] range : ranges) {
            for (String type : new String[]{"bf16", "int8"}) {
                float[] wide = forms.wide(type);
                ReducedMatrix reduced = forms.matrix(type);
                float[] preA = pre.clone(), cA = c.clone(), outA = new float[hidden + 7];
                float[] preB = pre.clone(), cB = c.clone(), outB = new float[hidden + 7];
                Arrays.fill(outA, CANARY);
                Arrays.fill(outB, CANARY);
                kernels.lstmStep(1, hidden, range[0], range[1], wide, preA, 3, preWidth, hPrev, 5, hidden, cA, 2, hidden, outA, 7, hidden);
                kernels.lstmStep(1, hidden, range[0], range[1], reduced, scratch, preB, 3, preWidth, hPrev, 5, hidden, cB, 2,
                        hidden, outB, 7, hidden);
                String at = String.format("%s %s reduced lstmStep of one row, hidden %d, panels %d+%d", kernels.name(), type, hidden, range[0], range[1]);
                double worst = 0;
                for (int i = 0; i < outA.length; i++) {
                    if (type.equals("bf16")) {
                        assertEquals(Float.floatToRawIntBits(outA[i]), Float.floatToRawIntBits(outB[i]), at + ": h " + i);
                        if (i < cA.length) assertEquals(Float.floatToRawIntBits(cA[i]), Float.floatToRawIntBits(cB[i]), at + ": c " + i);
                    } else {
                        worst = Math.max(worst, Math.abs(outA[i] - outB[i]));
                        if (i < cA.length) worst = Math.max(worst, Math.abs(cA[i] - cB[i]));
                    }
                }
                double bound = type.equals("bf16") ? 1e-6 : 1e-5;
                assertTrue(worst <= bound, at + ": max abs error of h and c vs the widened step " + worst);
                int u0 = range[0] * P, u1 = Math.min(hidden, (range[0] + range[1]) * P);
                for (int u = 0; u < hidden; u++)
                    if (u < u0 || u >= u1) assertTrue(outB[7 + u] == CANARY && cB[2 + u] == c[2 + u], at + ": unit " + u + " outside the panels changed");
            }
        }
    }

    /**
     * Steps of several rows over a reduced R widen it a panel at a time into scratch, and give each row bit for bit
     * what a step of that row alone gives, so that a reduced model's outputs do not depend on the batch: for every
     * batch, over all panels and a middle range, with offsets and strides, from a carried state and from zero. bf16
     * is also bit for bit lstmStep on the widened weights, int8 within 1e-5 of it on its decoded weights (q × scale).
     * The same for products ({@code project} with a ReducedMatrix: the general path's h·R with no bias, an input
     * projection from the bias): each row bit for bit {@link LstmKernels#accumulateRow}'s.
     */
    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void reducedStepsAndProductsOfSeveralRowsGiveEachRowItsOneRowResultBitForBit(LstmKernels kernels, int hidden) {
        Random rnd = new Random(91L * hidden);
        int panels = PanelPacking.panels(hidden), preWidth = panels * 4 * P;
        ReducedForms forms = ReducedForms.random(rnd, hidden);
        int[][] ranges = panels > 2 ? new int[][]{{0, panels}, {1, panels - 2}} : new int[][]{{0, panels}};
        for (String type : new String[]{"bf16", "int8"}) {
            float[] wide = forms.wide(type);
            ReducedMatrix reduced = forms.matrix(type);
            for (int batch : BATCHES) {
                if (batch == 1) continue;       // one row: the test above
                float[] scratch = new float[reduced.scratchFloats(batch)];
                int preStride = preWidth + 5, hStride = hidden + 3;
                float[] pre = uniform(rnd, 2 + batch * preStride, 2f), hPrev = uniform(rnd, 4 + batch * hStride, 1f);
                float[] c = uniform(rnd, 1 + batch * hStride, 2f);
                for (int[] range : ranges) {
                    for (boolean zero : new boolean[]{false, true}) {
                        float[] preA = pre.clone(), cA = c.clone(), outA = new float[6 + batch * hStride];
                        float[] preB = pre.clone(), cB = c.clone(), outB = new float[6 + batch * hStride];
                        float[] preW = pre.clone(), cW = c.clone(), outW = new float[6 + batch * hStride];
                        Arrays.fill(outA, CANARY);
                        Arrays.fill(outB, CANARY);
                        Arrays.fill(outW, CANARY);
                        float[] h = zero ? null : hPrev;
                        for (int b = 0; b < batch; b++) {       // each row alone
                            kernels.lstmStep(1, hidden, range[0], range[1], reduced, scratch, preA, 2 + b * preStride,
                                    preStride, h, 4 + b * hStride, hStride, cA, 1 + b * hStride, hStride, outA,
                                    6 + b * hStride, hStride);
                        }
                        kernels.lstmStep(batch, hidden, range[0], range[1], reduced, scratch, preB, 2, preStride, h, 4,
                                hStride, cB, 1, hStride, outB, 6, hStride);
                        kernels.lstmStep(batch, hidden, range[0], range[1], wide, preW, 2, preStride, h, 4, hStride, cW,
                                1, hStride, outW, 6, hStride);
                        String at = String.format("%s %s reduced lstmStep, hidden %d, batch %d, panels %d+%d%s",
                                kernels.name(), type, hidden, batch, range[0], range[1], zero ? ", zero state" : "");
                        assertBitsEqual(outA, outB, at + ": h vs each row alone");
                        assertBitsEqual(cA, cB, at + ": c vs each row alone");
                        if (type.equals("bf16")) {
                            assertBitsEqual(outW, outB, at + ": h vs the widened weights");
                        } else {
                            double worst = 0;
                            for (int i = 0; i < outW.length; i++) worst = Math.max(worst, Math.abs(outW[i] - outB[i]));
                            assertTrue(worst <= 1e-5, at + ": max abs error of h vs the decoded weights " + worst);
                        }
                    }
                }
                float[] projScratch = new float[reduced.scratchFloats(0)], bias = uniform(rnd, preWidth, 1f);
                for (float[] b : new float[][]{null, bias}) {
                    for (int[] range : ranges) {
                        int from = range[0] * 4 * P, n = range[1] * 4 * P, stride = preWidth + 2;
                        float[] alone = uniform(rnd, 3 + batch * stride, 1f), rows = alone.clone();
                        for (int r = 0; r < batch; r++) {
                            int row = 3 + r * stride;
                            if (b == null) Arrays.fill(alone, row + from, row + from + n, 0f);
                            else System.arraycopy(b, from, alone, row + from, n);
                            kernels.accumulateRow(hPrev, 4 + r * hStride, reduced, range[0], range[1], alone, row);
                        }
                        kernels.project(hPrev, 4, hStride, batch, reduced, b, range[0], range[1], false, projScratch,
                                rows, 3, stride);
                        String at = String.format("%s %s reduced project%s, hidden %d, batch %d, panels %d+%d",
                                kernels.name(), type, b == null ? "" : " with bias", hidden, batch, range[0], range[1]);
                        assertBitsEqual(alone, rows, at + " vs accumulateRow of each row");
                        if (type.equals("bf16")) {
                            float[] fp32 = alone.clone();
                            kernels.project(hPrev, 4, hStride, batch, hidden, wide, b, range[0], range[1], 4, false,
                                    fp32, 3, stride, preWidth);
                            assertBitsEqual(fp32, rows, at + " vs project on the widened weights");
                        }
                    }
                }
            }
        }
    }

    /**
     * A reduced matrix laid out for another vector width (built while another implementation was the default) runs on
     * the vector kernels in plain Java: its products bit for bit the scalar kernels', and a step of several rows gives
     * each row what a step of that row alone gives.
     */
    @ParameterizedTest(name = "hidden {0}")
    @ValueSource(ints = {17, 64})
    void aReducedMatrixLaidOutForAnotherWidthRunsInPlainJavaWithRowsAsAlone(int hidden) {
        LstmKernels vector = Kernels.vector(), scalar = Kernels.scalar();
        int other = vector.lanes() == 8 ? 16 : 8, batch = 5;
        Random rnd = new Random(5L * hidden);
        int preWidth = PanelPacking.panels(hidden) * 4 * P, panels = PanelPacking.panels(hidden);
        ReducedForms forms = ReducedForms.random(rnd, hidden);
        for (String type : new String[]{"bf16", "int8"}) {
            ReducedMatrix m = type.equals("bf16") ? ReducedMatrix.bf16(forms.bf16(), hidden, other)
                    : ReducedMatrix.int8(forms.fileQ(), forms.scales(), hidden, other);
            String at = String.format("%s laid out for %d lanes on %s, hidden %d, batch %d", type, other, vector.name(),
                    hidden, batch);
            float[] scratch = new float[m.scratchFloats(batch)];
            float[] pre = uniform(rnd, batch * preWidth, 2f), h = uniform(rnd, batch * hidden, 1f);
            float[] c = uniform(rnd, batch * hidden, 2f);
            float[] preA = pre.clone(), cA = c.clone(), outA = new float[batch * hidden];
            float[] preB = pre.clone(), cB = c.clone(), outB = new float[batch * hidden];
            for (int b = 0; b < batch; b++) {
                vector.lstmStep(1, hidden, 0, panels, m, scratch, preA, b * preWidth, preWidth, h, b * hidden, hidden, cA,
                        b * hidden, hidden, outA, b * hidden, hidden);
            }
            vector.lstmStep(batch, hidden, 0, panels, m, scratch, preB, 0, preWidth, h, 0, hidden, cB, 0, hidden, outB, 0, hidden);
            assertBitsEqual(outA, outB, at + ": h vs each row alone");
            assertBitsEqual(cA, cB, at + ": c vs each row alone");
            float[] bias = uniform(rnd, preWidth, 1f), pA = new float[batch * preWidth], pB = new float[batch * preWidth];
            scalar.project(h, 0, hidden, batch, m, bias, 0, panels, false, scratch, pA, 0, preWidth);
            vector.project(h, 0, hidden, batch, m, bias, 0, panels, false, scratch, pB, 0, preWidth);
            assertBitsEqual(pA, pB, at + ": project vs the scalar kernels");
        }
    }

    /**
     * A step's input projection of one row over a reduced W ({@link LstmKernels#accumulateRow}, from the bias) equals
     * the fp32 projection on the decoded weights: bf16 bit for bit (the same sums), int8 within 1e-5 (each column's
     * sum scaled once), for inputs narrower and wider than the layer, over all panels
     * and a middle range; no column outside the panels is touched.
     */
    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void aReducedOneRowProjectionEqualsTheFp32ProjectionOfItsDecodedWeights(LstmKernels kernels, int hidden) {
        int panels = PanelPacking.panels(hidden), preWidth = panels * 4 * P;
        int[][] ranges = panels > 2 ? new int[][]{{0, panels}, {1, panels - 2}} : new int[][]{{0, panels}};
        for (int k : KS) {
            Random rnd = new Random(13L * hidden + k);
            ReducedForms forms = ReducedForms.random(rnd, hidden, k);
            float[] x = uniform(rnd, k + 3, 1f), bias = uniform(rnd, preWidth, 1f);
            for (String type : new String[]{"bf16", "int8"}) {
                for (int[] range : ranges) {
                    float[] a = new float[preWidth + 4], b = new float[preWidth + 4];
                    Arrays.fill(a, CANARY);
                    Arrays.fill(b, CANARY);
                    kernels.project(x, 3, k, 1, k, forms.wide(type), bias, range[0], range[1], 4, false, a, 4, preWidth,
                            preWidth);
                    int from = range[0] * 4 * P, n = range[1] * 4 * P;
                    System.arraycopy(bias, from, b, 4 + from, n);
                    kernels.accumulateRow(x, 3, forms.matrix(type), range[0], range[1], b, 4);
                    double worst = 0;
                    for (int i = 0; i < a.length; i++) {
                        if (i < 4 + from || i >= 4 + from + n) assertEquals(CANARY, b[i], "column " + i + " outside the panels");
                        else worst = Math.max(worst, Math.abs(a[i] - b[i]));
                    }
                    double bound = type.equals("bf16") ? 0 : 1e-5;
                    String at = String.format("%s %s accumulateRow, hidden %d, k %d, panels %d+%d: max abs error vs the fp32"
                            + " projection %.3g", kernels.name(), type, hidden, k, range[0], range[1], worst);
                    assertTrue(worst <= bound, at);
                }
            }
        }
    }

    /**
     * A random R of {@code hidden} units in bf16 and int8 (one scale per column), each as its decoded fp32 weights in
     * gate-line order and as a {@link ReducedMatrix} built from a file's int8 bytes ({@code [panels][k][4][16]}).
     */
    record ReducedForms(int k, float[] bf16, float[] int8, byte[] fileQ, float[] scales) {
        static ReducedForms random(Random rnd, int hidden) {
            return random(rnd, hidden, hidden);
        }

        /** A gate matrix of {@code hidden} units over {@code k} inputs (R: k = hidden; W: the layer's input size). */
        static ReducedForms random(Random rnd, int hidden, int k) {
            int preWidth = PanelPacking.panels(hidden) * 4 * P;
            float[] r = KernelFixtures.gateMatrix(uniform(rnd, 4 * hidden * k, (float) (2 / Math.sqrt(k))), hidden, k);
            float[] bf16 = r.clone(), scales = new float[preWidth], int8 = r.clone();
            for (int e = 0; e < r.length; e++) {
                int b = Float.floatToRawIntBits(r[e]);
                bf16[e] = Float.intBitsToFloat((b + 0x7FFF + ((b >>> 16) & 1)) & 0xFFFF0000);
                int column = e / (k * P) * P + e % P;
                scales[column] = Math.max(scales[column], Math.abs(r[e]) / 127f);
            }
            for (int col = 0; col < preWidth; col++) if (scales[col] == 0) scales[col] = 1;
            for (int e = 0; e < r.length; e++) int8[e] = Math.round(r[e] / scales[e / (k * P) * P + e % P]) * scales[e / (k * P) * P + e % P];
            byte[] fileQ = new byte[r.length];        // the int8 values in the file's order [panels][k][4][16]
            for (int e = 0; e < r.length; e++) {
                int j = e % P, g = e / P % 4, kk = e / (4 * P) % k, panel = e / (4 * P * k);
                int line = ((panel * 4 + g) * k + kk) * P + j;
                fileQ[e] = (byte) Math.round(int8[line] / scales[line / (k * P) * P + line % P]);
            }
            return new ReducedForms(k, bf16, int8, fileQ, scales);
        }

        float[] wide(String type) {
            return type.equals("bf16") ? bf16 : int8;
        }

        ReducedMatrix matrix(String type) {
            return type.equals("bf16") ? ReducedMatrix.bf16(bf16, k) : ReducedMatrix.int8(fileQ, scales, k);
        }
    }

    /**
     * hPrev = null (a zero state: h·R and the forget gate skipped) gives bit for bit what an explicit zero h and c
     * give, so the skip is invisible; and it reads neither c nor gate f's pre-activations (both NaN here), which a
     * projection with skipForget may leave unwritten. The pre-activations span both signs and ±20, so that gates
     * saturate and some products i × c~ are -0 (this test found the vector sigmoid a hair below 0 near -17, where an
     * explicit f × 0 was -0: ActivationTest.activationsNeverLeaveTheirRange).
     */
    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void aNullHPrevIsAZeroStateThatReadsNeitherCNorGateF(LstmKernels kernels, int hidden) {
        for (int batch : BATCHES) {
            Random rnd = new Random(17L * hidden + batch);
            int preWidth = PanelPacking.panels(hidden) * 4 * P;
            float[] r = KernelFixtures.gateMatrix(uniform(rnd, 4 * hidden * hidden, 1f), hidden, hidden);
            float[] preZero = uniform(rnd, batch * preWidth, 20f), pre = preZero.clone();
            for (int b = 0; b < batch; b++)
                for (int q = 0; q < PanelPacking.panels(hidden); q++)
                    Arrays.fill(pre, b * preWidth + (q * 4 + 2) * P, b * preWidth + (q * 4 + 3) * P, Float.NaN);
            float[] c = new float[batch * hidden], cZero = new float[batch * hidden];
            Arrays.fill(c, Float.NaN);
            float[] out = new float[batch * hidden], outZero = new float[batch * hidden];
            kernels.lstmStep(batch, hidden, r, pre, 0, preWidth, null, 0, hidden, c, 0, hidden, out, 0, hidden);
            kernels.lstmStep(batch, hidden, r, preZero, 0, preWidth, new float[batch * hidden], 0, hidden, cZero, 0,
                    hidden, outZero, 0, hidden);
            String at = String.format("%s, hidden %d, batch %d", kernels.name(), hidden, batch);
            assertBitsEqual(outZero, out, at + ": h");
            assertBitsEqual(cZero, c, at + ": c");
        }
    }

    /**
     * A step of many rows gives each row bit for bit what a step of that row alone gives, from a zero state and from a
     * carried one: the vector kernel updates a narrow layer's cells in blocks of rows ({@code cellUpdateRows}) and a
     * single row on its own path ({@code cellUpdate}), and both must do the same arithmetic. 40 rows with strides make
     * several blocks and a partial last one at hidden 16 (blocks of 32), 37 (10) and 64 (8).
     */
    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void aStepOfManyRowsGivesEachRowItsOwnOneRowStepBitForBit(LstmKernels kernels, int hidden) {
        int batch = 40, preWidth = PanelPacking.panels(hidden) * 4 * P;
        int preStride = preWidth + 3, hStride = hidden + 1, cStride = hidden + 2, oStride = hidden + 5;
        for (boolean zeroState : new boolean[] {true, false}) {
            Random rnd = new Random(59L * hidden + (zeroState ? 1 : 0));
            float[] r = KernelFixtures.gateMatrix(uniform(rnd, 4 * hidden * hidden, 1f), hidden, hidden);
            float[] pre = strided(uniform(rnd, batch * preWidth, 8f), batch, preWidth, 0, preStride, 0f);
            float[] h = zeroState ? null : strided(uniform(rnd, batch * hidden, 1f), batch, hidden, 0, hStride, 0f);
            float[] c = strided(zeroState ? new float[batch * hidden] : uniform(rnd, batch * hidden, 2f), batch, hidden,
                    0, cStride, 0f);
            float[] preOne = pre.clone(), cOne = c.clone();
            float[] out = new float[batch * oStride], outOne = new float[batch * oStride];
            kernels.lstmStep(batch, hidden, r, pre, 0, preStride, h, 0, hStride, c, 0, cStride, out, 0, oStride);
            for (int b = 0; b < batch; b++) {
                kernels.lstmStep(1, hidden, r, preOne, b * preStride, preStride, h, b * hStride, hStride, cOne,
                        b * cStride, cStride, outOne, b * oStride, oStride);
            }
            String at = String.format("%s, hidden %d, %s", kernels.name(), hidden, zeroState ? "zero state" : "carried state");
            assertBitsEqual(outOne, out, at + ": h");
            assertBitsEqual(cOne, c, at + ": c");
        }
    }

    /**
     * skipForget writes every column but gate f's bit for bit as the whole product does, and nothing outside the
     * rows' gate columns; it may or may not write gate f's.
     */
    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void skipForgetChangesNoOtherColumn(LstmKernels kernels, int hidden) {
        int k = 29, panels = PanelPacking.panels(hidden), gs = panels * 4 * P;
        for (int rows : ROWS) {
            Random rnd = new Random(43L * hidden + rows);
            float[] w = KernelFixtures.gateMatrix(uniform(rnd, 4 * hidden * k, 1f), hidden, k);
            float[] bias = PanelPacking.packGateBias(uniform(rnd, 4 * hidden, 1f), null, hidden);
            float[] x = uniform(rnd, rows * k, 1f), whole = new float[rows * gs], skipped = new float[rows * gs];
            Arrays.fill(skipped, CANARY);
            kernels.project(x, 0, k, rows, k, w, bias, panels, 4, whole, 0, gs, gs);
            kernels.project(x, 0, k, rows, k, w, bias, 0, panels, 4, true, skipped, 0, gs, gs);
            for (int i = 0; i < whole.length; i++) {
                int gate = i % gs / P % 4;
                if (gate != 2) assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(skipped[i]),
                        String.format("%s, hidden %d, rows %d: column %d of row %d", kernels.name(), hidden, rows,
                                i % gs, i / gs));
            }
        }
    }

    /**
     * activate over every count around the vector sizes, from an odd offset: within 4e-7 of the exact function (relative
     * past 1; exact for LeakyRelu), touching nothing outside its floats, NaN staying NaN.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vlstm.kernel.ActivationTest#implementations")
    void activateAppliesItsFunctionToExactlyItsFloats(LstmKernels kernels) {
        java.util.Random rnd = new java.util.Random(3);
        for (LstmKernels.Pointwise f : LstmKernels.Pointwise.values()) {
            for (int count = 0; count <= 70; count++) {
                int offset = 3;
                float[] a = new float[offset + count + 5];
                Arrays.fill(a, 12345f);
                for (int i = 0; i < count; i++) a[offset + i] = (rnd.nextFloat() * 2 - 1) * 12;
                if (count > 0) a[offset + count - 1] = Float.NaN;
                float[] in = a.clone();
                kernels.activate(f, 0.25f, a, offset, count);
                String at = kernels.name() + ", " + f + ", count " + count;
                for (int i = 0; i < a.length; i++) {
                    if (i < offset || i >= offset + count) {
                        assertEquals(12345f, a[i], at + ": float " + i + " is not its to touch");
                        continue;
                    }
                    double x = in[i], exact = switch (f) {
                        case SIGMOID -> 1 / (1 + Math.exp(-x));
                        case TANH -> Math.tanh(x);
                        case LEAKY_RELU -> x >= 0 ? x : 0.25 * x;
                        case ELU -> HeadMath.elu(x, 0.25);
                        case SOFTPLUS -> HeadMath.softplus(x);
                        case GELU -> HeadMath.gelu(x);
                        case GELU_TANH -> HeadMath.geluTanh(x);
                    };
                    if (Double.isNaN(x)) assertTrue(Float.isNaN(a[i]), at + ": NaN stays NaN");
                    else assertEquals(exact, a[i], f == LstmKernels.Pointwise.LEAKY_RELU ? 0 : 4e-7 * Math.max(1, Math.abs(exact)),
                            at + " at " + x);
                }
            }
        }
    }

    /** allAbsAtMost over strided rows of every width around the vector size: values at the limit pass; NaN fails. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vlstm.kernel.ActivationTest#implementations")
    void allAbsAtMostChecksEveryValueOfEveryRowAndNothingElse(LstmKernels kernels) {
        for (int width = 0; width <= 37; width++) {
            int rows = 3, stride = width + 5, offset = 2;
            float[] a = new float[offset + rows * stride];
            Arrays.fill(a, Float.NaN);                                   // outside the rows: never looked at
            for (int r = 0; r < rows; r++) for (int u = 0; u < width; u++) a[offset + r * stride + u] = u % 2 == 0 ? -2f : 2f;
            String at = kernels.name() + ", width " + width;
            assertTrue(kernels.allAbsAtMost(a, offset, stride, rows, width, 2f), at + ": values at the limit");
            if (width == 0) continue;
            assertFalse(kernels.allAbsAtMost(a, offset, stride, rows, width, 1.9f), at + ": values over the limit");
            for (float bad : new float[]{Float.NaN, Float.NEGATIVE_INFINITY, 2.0000002f}) {
                for (int u : new int[]{0, width - 1}) {
                    float[] b = a.clone();
                    b[offset + 2 * stride + u] = bad;
                    assertFalse(kernels.allAbsAtMost(b, offset, stride, rows, width, 2f), at + ": " + bad + " at unit " + u);
                }
            }
            float[] zeros = new float[a.length];
            zeros[offset + stride] = -0f;
            assertTrue(kernels.allAbsAtMost(zeros, offset, stride, rows, width, 0f), at + ": zeros and -0");
            zeros[offset + stride + width - 1] = Float.MIN_VALUE;
            assertFalse(kernels.allAbsAtMost(zeros, offset, stride, rows, width, 0f), at + ": a subnormal is not zero");
        }
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String at) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    at + " [" + i + "]: " + expected[i] + " expected, " + actual[i]);
        }
    }

    /** Checks rows of {@code width} values against the reference and that every other element is still CANARY. */
    private static void checkRows(String at, float[] a, int offset, int stride, int rows, int width, double[] ref,
                                  ErrorMeter meter) {
        for (int i = 0; i < a.length; i++) {
            int rel = i - offset, r = Math.floorDiv(rel, stride), u = rel - r * stride;
            if (rel >= 0 && r < rows && u < width) {
                meter.check(at + ", row " + r + ", unit " + u, ref[r * width + u], a[i]);
            } else {
                assertEquals(CANARY, a[i], at + ": wrote outside row " + r + " unit " + u + " (index " + i + ")");
            }
        }
    }

    /** pre is scratch: its rows' contents are unspecified on return, but nothing outside them may change. */
    private static void checkScratch(String at, float[] pre, float[] before, int offset, int stride, int rows, int width) {
        for (int i = 0; i < pre.length; i++) {
            int rel = i - offset, r = Math.floorDiv(rel, stride), col = rel - r * stride;
            if (!(rel >= 0 && r < rows && col < width))
                assertEquals(before[i], pre[i], at + ": wrote outside row " + r + " (index " + i + ")");
        }
    }

    /**
     * A whole layer over 20 timesteps: one projection of all steps' inputs, then the recurrence; errors must not grow
     * beyond the tolerance as the state is fed back.
     */
    @ParameterizedTest(name = "{0}, hidden {1}")
    @MethodSource("implementationsAndSizes")
    void sequenceOfStepsStaysCloseToReference(LstmKernels kernels, int hidden) {
        int steps = 20, batch = 3, input = 5;
        Random rnd = new Random(2024L + hidden);
        float[] w = uniform(rnd, 4 * hidden * input, 1f);
        float[] rOnnx = uniform(rnd, 4 * hidden * hidden, (float) (2 / Math.sqrt(hidden)));
        float[] wb = uniform(rnd, 4 * hidden, 0.5f), rb = uniform(rnd, 4 * hidden, 0.5f);
        float[] xs = uniform(rnd, steps * batch * input, 1f);
        int preWidth = PanelPacking.panels(hidden) * 4 * P;
        float[] bSum = new float[4 * hidden];
        for (int i = 0; i < bSum.length; i++) bSum[i] = wb[i] + rb[i];

        double[] preRef = KernelFixtures.projectReference(xs, steps * batch, input, w, bSum, hidden, 4, preWidth);
        double[] hRef = new double[batch * hidden], cRef = new double[batch * hidden];
        float[] pre = new float[steps * batch * preWidth];
        float[] h = new float[batch * hidden], hNext = new float[batch * hidden], c = new float[batch * hidden];
        ErrorMeter meter = new ErrorMeter();
        float[] wSeg = KernelFixtures.gateMatrix(w, hidden, input);
        float[] rSeg = KernelFixtures.gateMatrix(rOnnx, hidden, hidden);
        float[] bSeg = PanelPacking.packGateBias(wb, rb, hidden);
        kernels.project(xs, 0, input, steps * batch, input, wSeg, bSeg, PanelPacking.panels(hidden), 4,
                pre, 0, preWidth, preWidth);
        for (int t = 0; t < steps; t++) {
            int preAt = t * batch * preWidth;
            kernels.lstmStep(batch, hidden, rSeg, pre, preAt, preWidth, h, 0, hidden, c, 0, hidden,
                    hNext, 0, hidden);
            double[] preStep = Arrays.copyOfRange(preRef, preAt, preAt + batch * preWidth);
            StepResult ref = KernelFixtures.stepReference(batch, hidden, rOnnx, preStep, hRef, cRef);
            hRef = ref.h();
            cRef = ref.c();
            for (int i = 0; i < hRef.length; i++) {
                meter.check(kernels.name() + " step " + t + " h[" + i + "]", hRef[i], hNext[i]);
                meter.check(kernels.name() + " step " + t + " c[" + i + "]", cRef[i], c[i]);
            }
            float[] swap = h;
            h = hNext;
            hNext = swap;
        }
        System.out.printf("20-step sequence, %s, hidden %d: %s%n", kernels.name(), hidden, meter);
    }
}
