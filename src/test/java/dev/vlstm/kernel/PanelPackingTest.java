package dev.vlstm.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlstm.format.PanelPacking;
import org.junit.jupiter.api.Test;

/** Packing into the panel layout of format-spec.md, on cases small enough to check by hand. */
class PanelPackingTest {

    @Test
    void panelsRoundUpToSixteenUnits() {
        assertEquals(0, PanelPacking.panels(0));
        assertEquals(1, PanelPacking.panels(1));
        assertEquals(1, PanelPacking.panels(16));
        assertEquals(2, PanelPacking.panels(17));
        assertEquals(3, PanelPacking.panels(37));
        assertEquals(LstmKernels.PANEL, PanelPacking.PANEL);
        assertThrows(IllegalArgumentException.class, () -> PanelPacking.panels(-1));
    }

    /** hidden 2, k 1: rows [i0 i1 o0 o1 f0 f1 c0 c1] become four 16-wide gate lines, each zero past unit 1. */
    @Test
    void gatesOfOneInputBecomeFourZeroPaddedLines() {
        float[] w = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] expected = new float[64];
        expected[0] = 1; expected[1] = 2;      // i
        expected[16] = 3; expected[17] = 4;    // o
        expected[32] = 5; expected[33] = 6;    // f
        expected[48] = 7; expected[49] = 8;    // c
        assertArrayEquals(expected, PanelPacking.packGates(w, 2, 1));
    }

    /** hidden 1, k 3: W[g][k] = 10g + k lands at [0][k][g][0]. */
    @Test
    void inputIndexIsTheSlowerAxisWithinAPanel() {
        float[] w = {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32};
        float[] packed = PanelPacking.packGates(w, 1, 3);
        assertEquals(3 * 4 * 16, packed.length);
        for (int k = 0; k < 3; k++)
            for (int g = 0; g < 4; g++)
                for (int j = 0; j < 16; j++)
                    assertEquals(j == 0 ? 10 * g + k : 0, packed[(k * 4 + g) * 16 + j], "k " + k + " g " + g + " j " + j);
    }

    /** hidden 17, k 2: unit 16 opens the second panel at lane 0; its other 15 lanes are zero. */
    @Test
    void seventeenthUnitStartsTheSecondPanel() {
        int hidden = 17, k = 2;
        float[] w = new float[4 * hidden * k];
        for (int g = 0; g < 4; g++)
            for (int u = 0; u < hidden; u++)
                for (int kk = 0; kk < k; kk++) w[(g * hidden + u) * k + kk] = 1000 * g + 10 * u + kk;
        float[] packed = PanelPacking.packGates(w, hidden, k);
        assertEquals(2 * k * 4 * 16, packed.length);
        assertEquals(2010 + 1, packed[((0 * k + 1) * 4 + 2) * 16 + 1]);       // q 0, k 1, gate f, unit 1
        assertEquals(3160 + 0, packed[((1 * k + 0) * 4 + 3) * 16 + 0]);       // q 1, k 0, gate c, unit 16
        assertEquals(0, packed[((1 * k + 0) * 4 + 3) * 16 + 1]);              // unit 17 does not exist
        int nonZero = 0;
        for (float v : packed) if (v != 0) nonZero++;
        assertEquals(4 * hidden * k - 1, nonZero, "every weight once (W[i][0][0] is the only zero)");
    }

    @Test
    void gateBiasIsTheSumOfBothBiasesAndEitherMayBeAbsent() {
        float[] wb = {1, 2, 3, 4, 5, 6, 7, 8};                   // hidden 2: i0 i1 o0 o1 f0 f1 c0 c1
        float[] rb = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
        float[] both = PanelPacking.packGateBias(wb, rb, 2);
        assertEquals(64, both.length);
        assertEquals(1.5f, both[0]);
        assertEquals(2.5f, both[1]);
        assertEquals(0f, both[2]);
        assertEquals(3.5f, both[16]);
        assertEquals(8.5f, both[49]);
        assertEquals(6f, PanelPacking.packGateBias(wb, null, 2)[33]);
        assertEquals(0.5f, PanelPacking.packGateBias(null, rb, 2)[48]);
        assertArrayEquals(new float[64], PanelPacking.packGateBias(null, null, 2));
    }

    /** A 3 x 2 head A = [[1 2] [3 4] [5 6]] packs to [k 0: 1 3 5 0…][k 1: 2 4 6 0…]. */
    @Test
    void headRowsBecomeOneLinePerInput() {
        float[] packed = PanelPacking.packRows(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        float[] expected = new float[32];
        expected[0] = 1; expected[1] = 3; expected[2] = 5;
        expected[16] = 2; expected[17] = 4; expected[18] = 6;
        assertArrayEquals(expected, packed);
    }

    @Test
    void headBiasIsZeroPaddedAndMayBeAbsent() {
        float[] b = new float[18];
        for (int i = 0; i < b.length; i++) b[i] = i + 1;
        float[] packed = PanelPacking.packRowBias(b, 18);
        assertEquals(32, packed.length);
        assertEquals(18f, packed[17]);
        assertEquals(0f, packed[18]);
        assertArrayEquals(new float[16], PanelPacking.packRowBias(null, 3));
    }

    @Test
    void wrongLengthsAreRejectedWithTheExpectedSize() {
        var e = assertThrows(IllegalArgumentException.class, () -> PanelPacking.packGates(new float[7], 2, 1));
        assertTrue(e.getMessage().contains("7 values, expected 8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PanelPacking.packGateBias(new float[3], null, 1));
        assertThrows(IllegalArgumentException.class, () -> PanelPacking.packRows(new float[5], 3, 2));
        assertThrows(IllegalArgumentException.class, () -> PanelPacking.packRowBias(new float[2], 3));
        assertThrows(IllegalArgumentException.class, () -> PanelPacking.packGates(null, 2, 1));
    }
}
