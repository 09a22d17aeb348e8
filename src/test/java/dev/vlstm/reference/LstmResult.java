package dev.vlstm.reference;

import java.util.Arrays;

/**
 * The three outputs of an ONNX {@code LSTM} node, row-major, in the node's layout:
 * layout 0: Y [seq, dirs, batch, H], Y_h and Y_c [dirs, batch, H];
 * layout 1: Y [batch, seq, dirs, H], Y_h and Y_c [batch, dirs, H].
 *
 * @param largestActivationInputs for each of the 3 × dirs activations (f, g, h of each direction, as in the
 *                                {@code activations} attribute), the largest |x| it was applied to: a float32
 *                                implementation may overflow where this is large (ONNX Runtime's Softplus computes
 *                                log(1 + exp(x)) in float and returns +inf beyond x ≈ 88.7)
 */
public record LstmResult(double[] y, int[] yShape, double[] yH, int[] yHShape, double[] yC, int[] yCShape,
        double[] largestActivationInputs) {

    @Override
    public String toString() {
        return "LstmResult[Y" + Arrays.toString(yShape) + ", Y_h" + Arrays.toString(yHShape) + ", Y_c"
                + Arrays.toString(yCShape) + "]";
    }
}
