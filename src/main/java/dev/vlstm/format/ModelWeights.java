package dev.vlstm.format;

import java.util.List;

/**
 * A model's weights in ONNX layout, before packing: what the converter extracts and what {@link VlstmWriter} packs.
 *
 * @param layers one entry per layer, each with one {@link DirectionWeights} per direction (forward half first)
 * @param headWeight {@code A[out][in]} row-major, or null without a head
 * @param headBias   {@code b[out]}, or null for no bias
 */
public record ModelWeights(List<List<DirectionWeights>> layers, float[] headWeight, float[] headBias) {

    public ModelWeights {
        layers = layers.stream().map(List::copyOf).toList();
    }

    /**
     * One direction of one layer, ONNX layout with gates in order i, o, f, c.
     *
     * @param w  {@code W[4H][I]} row-major
     * @param r  {@code R[4H][H]} row-major
     * @param wb {@code Wb[4H]}, or null when the ONNX node has no B
     * @param rb {@code Rb[4H]}, or null when the ONNX node has no B
     * @param p  peepholes {@code P[3H]} in order i, o, f, or null for none
     */
    public record DirectionWeights(float[] w, float[] r, float[] wb, float[] rb, float[] p) {
        public DirectionWeights(float[] w, float[] r, float[] wb, float[] rb) {
            this(w, r, wb, rb, null);
        }
    }
}
