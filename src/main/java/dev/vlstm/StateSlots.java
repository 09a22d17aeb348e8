package dev.vlstm;

import dev.vlstm.format.StateLayout;

import java.util.Arrays;

/**
 * Where each layer direction's h and c rows lie in a run's initial and final state arrays ({@link RunArgs}): ONNX's
 * layer-major {@code [slots][batch][hidden]} or PyTorch's batch-major {@code [batch][slots][hidden]}, slot = the
 * direction's index over all layers (format-spec.md, "State layout").
 */
final class StateSlots {
    private final boolean layerMajor;
    private final int slots;

    StateSlots(Model model) {
        this.layerMajor = model.spec().stateLayout() == StateLayout.LAYER_MAJOR;
        this.slots = model.spec().stateSlots();
    }

    private int offset(int slot, int row, int batch, int hidden) {
        return layerMajor ? (slot * batch + row) * hidden : (row * slots + slot) * hidden;
    }

    /**
     * Rows b0 .. b1-1 of slot {@code slot} of the run's initial h and c (zeros where none is given) into h and c, row
     * b at {@code b * stride}.
     */
    void load(RunArgs a, int slot, int hidden, float[] h, float[] c, int stride, int b0, int b1) {
        load(a.initialH, slot, hidden, a.batch, h, stride, b0, b1);
        load(a.initialC, slot, hidden, a.batch, c, stride, b0, b1);
    }

    /** Rows b0 .. b1-1 of h and c (row b at {@code b * stride}) into slot {@code slot} of the run's final states. */
    void store(float[] h, float[] c, int stride, RunArgs a, int slot, int hidden, int b0, int b1) {
        store(h, stride, a.finalH, slot, hidden, a.batch, b0, b1);
        store(c, stride, a.finalC, slot, hidden, a.batch, b0, b1);
    }

    private void load(float[] from, int slot, int hidden, int batch, float[] into, int stride, int b0, int b1) {
        if (from == null && stride == hidden) {     // one fill, not one per row (W1b: 300 rows per call)
            Arrays.fill(into, b0 * hidden, b1 * hidden, 0f);
            return;
        }
        for (int b = b0; b < b1; b++) {
            if (from == null) Arrays.fill(into, b * stride, b * stride + hidden, 0f);
            else System.arraycopy(from, offset(slot, b, batch, hidden), into, b * stride, hidden);
        }
    }

    private void store(float[] from, int stride, float[] into, int slot, int hidden, int batch, int b0, int b1) {
        if (into == null) return;
        for (int b = b0; b < b1; b++) System.arraycopy(from, b * stride, into, offset(slot, b, batch, hidden), hidden);
    }
}
