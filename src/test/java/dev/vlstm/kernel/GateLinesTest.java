package dev.vlstm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlstm.format.PanelPacking;
import org.junit.jupiter.api.Test;

class GateLinesTest {

    /** Every weight of an ONNX matrix lands at (panel, gate, k, lane) in the kernels' order; padding stays zero. */
    @Test
    void eachGateLineIsItsOwnBlockOfK() {
        int hidden = 19, k = 3, panels = 2, p = LstmKernels.PANEL;      // 19 units: a second, partial panel
        float[] onnx = new float[4 * hidden * k];
        for (int i = 0; i < onnx.length; i++) onnx[i] = i + 1;             // distinct, never zero
        float[] lines = GateLines.fromFileOrder(PanelPacking.packGates(onnx, hidden, k), k);
        assertEquals(panels * 4 * k * p, lines.length);
        for (int q = 0; q < panels; q++)
            for (int g = 0; g < 4; g++)
                for (int kk = 0; kk < k; kk++)
                    for (int j = 0; j < p; j++) {
                        int unit = q * p + j;
                        float expected = unit < hidden ? onnx[(g * hidden + unit) * k + kk] : 0f;
                        assertEquals(expected, lines[((q * 4 + g) * k + kk) * p + j],
                                "panel " + q + " gate " + g + " k " + kk + " lane " + j);
                    }
    }

    @Test
    void refusesAnArrayThatIsNotWholePanels() {
        var e = assertThrows(IllegalArgumentException.class, () -> GateLines.fromFileOrder(new float[100], 3));
        assertTrue(e.getMessage().contains("not whole panels of k = 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GateLines.fromFileOrder(new float[64], 0));
        assertThrows(IllegalArgumentException.class, () -> GateLines.fromFileOrder(new float[64], Integer.MAX_VALUE / 8));
    }
}
