package dev.vlstm.format;

import java.util.List;

/**
 * A model's weights in ONNX layout, before packing: what the converter extracts and what {@link VlstmWriter} packs.
 *
 * <pre>{@code
 * var d = new ModelWeights.DirectionWeights(w, r, wb, rb);                    // W[4H][I], R[4H][H], biases [4H]
 * ModelWeights weights = new ModelWeights(List.of(List.of(d)), headA, headB);   // one layer, one dense head
 * }</pre>
 *
 * @param layers one entry per layer, each with one {@link DirectionWeights} per direction (forward half first)
 * @param head   one entry per {@link HeadOp} of the spec's head, in order
 * @param sequenceLengths the constant sequence lengths of a {@link IoSpec.Role#CONSTANT_SEQUENCE_LENS} model, else null
 * @param embedding       a {@link IoSpec.Role#TOKEN_IDS} model's table {@code [vocabulary][inputSize]} row-major, else null
 */
public record ModelWeights(List<List<DirectionWeights>> layers, List<HeadWeights> head, int[] sequenceLengths,
                           float[] embedding) {

    /** Keeps unmodifiable copies of the lists; a null head is no head. */
    public ModelWeights {
        layers = layers.stream().map(List::copyOf).toList();
        head = head == null ? List.of() : List.copyOf(head);
    }

    /**
     * Layers, head and constant sequence lengths (or null), no embedding.
     *
     * @param layers          one entry per layer, one {@link DirectionWeights} per direction
     * @param head            one entry per head operation
     * @param sequenceLengths constant sequence lengths, or null
     */
    public ModelWeights(List<List<DirectionWeights>> layers, List<HeadWeights> head, int[] sequenceLengths) {
        this(layers, head, sequenceLengths, null);
    }

    /**
     * Layers and head, no constant sequence lengths.
     *
     * @param layers one entry per layer, one {@link DirectionWeights} per direction
     * @param head   one entry per head operation
     */
    public ModelWeights(List<List<DirectionWeights>> layers, List<HeadWeights> head) {
        this(layers, head, null);
    }

    /**
     * Layers and at most one dense head.
     *
     * @param layers     one entry per layer, one {@link DirectionWeights} per direction
     * @param headWeight {@code A[out][in]} row-major, or null without a head
     * @param headBias   {@code b[out]}, or null for no bias
     */
    public ModelWeights(List<List<DirectionWeights>> layers, float[] headWeight, float[] headBias) {
        this(layers, headWeight == null ? List.of() : List.of(new HeadWeights(headWeight, headBias)));
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
        /**
         * A direction without peepholes.
         *
         * @param w  {@code W[4H][I]} row-major
         * @param r  {@code R[4H][H]} row-major
         * @param wb {@code Wb[4H]}, or null
         * @param rb {@code Rb[4H]}, or null
         */
        public DirectionWeights(float[] w, float[] r, float[] wb, float[] rb) {
            this(w, r, wb, rb, null);
        }
    }

    /**
     * The weights of one head operation; both null for an operation without weights.
     *
     * @param weight a dense layer's {@code A[out][in]} row-major, a layer norm's scale {@code [size]}
     * @param bias   a dense layer's {@code b[out]}, a layer norm's bias {@code [size]}; null means zeros
     */
    public record HeadWeights(float[] weight, float[] bias) {
        /** The weights of an operation without any. */
        public static final HeadWeights NONE = new HeadWeights(null, null);
    }
}
