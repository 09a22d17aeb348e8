package dev.vlstm.onnx;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Constant folding of the ops exporters leave around weights, on hand-checkable tensors. */
class ConstFoldingTest {
    static final Val.Const M = new Val.Const(new long[]{2, 3}, new float[]{0, 1, 2, 10, 11, 12}, null);

    @Test
    void transposeSwapsAxes() {
        Val.Const t = ConstFolding.transpose(M, new long[]{1, 0});
        assertArrayEquals(new long[]{3, 2}, t.dims());
        assertArrayEquals(new float[]{0, 10, 1, 11, 2, 12}, t.floats());
    }

    @Test
    void sliceWithStartsStepsAndNegativeSteps() {
        Val.Const s = ConstFolding.slice(M, new long[]{1}, new long[]{3}, new long[]{1}, null);
        assertArrayEquals(new long[]{2, 2}, s.dims());
        assertArrayEquals(new float[]{1, 2, 11, 12}, s.floats());
        Val.Const r = ConstFolding.slice(M, new long[]{-1, 2}, new long[]{-3, -4}, new long[]{0, 1}, new long[]{-1, -2});
        assertArrayEquals(new long[]{2, 2}, r.dims());
        assertArrayEquals(new float[]{12, 10, 2, 0}, r.floats());
    }

    @Test
    void concatAndReshape() {
        Val.Const c = ConstFolding.concat(java.util.List.of(M, M), 1);
        assertArrayEquals(new float[]{0, 1, 2, 0, 1, 2, 10, 11, 12, 10, 11, 12}, c.floats());
        assertArrayEquals(new long[]{3, 2}, ConstFolding.reshape(M, new long[]{-1, 2}, false).dims());
    }
}
