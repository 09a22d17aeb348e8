package dev.vlstm.format;

import java.util.List;

/**
 * A graph input or output of the source ONNX model, by the name users know it by.
 *
 * <pre>{@code
 * IoSpec x = model.spec().input(IoSpec.Role.SEQUENCE_INPUT);
 * System.out.println(x.name() + " " + x.shapeText());   // images [1, 150, 100]
 * }</pre>
 *
 * @param role  what the tensor is to the model
 * @param name  its name in the ONNX graph
 * @param shape as declared in the ONNX graph; free dimensions have size -1
 */
public record IoSpec(Role role, String name, List<Dim> shape) {

    /** Keeps an unmodifiable copy of the shape. */
    public IoSpec {
        shape = List.copyOf(shape);
    }

    /** What the tensor is to the model. The code is the value stored in the file. */
    public enum Role {
        /** X: {@code [seq, batch, features]} or {@code [batch, seq, features]} per the sequence layout. */
        SEQUENCE_INPUT(1),
        /** initial_h for every layer and direction, per the state layout. Absent: zeros. */
        INITIAL_H(2),
        /** initial_c, like {@link #INITIAL_H}. */
        INITIAL_C(3),
        /** sequence_lens: {@code [batch]} int32, each in 1..seq. Absent: every sequence is seq long. */
        SEQUENCE_LENS(4),
        /**
         * Version 2.1: the source graph's sequence_lens was a constant (an initializer): {@code [batch]}, its values
         * stored as tensor {@code sequence_lens}. Not given by callers; a run uses it, at that batch size only.
         */
        CONSTANT_SEQUENCE_LENS(5),
        /**
         * Version 2.2: the sequence input as token ids, {@code [seq, batch]} (or {@code [batch, seq]} per the sequence
         * layout), each in 0 .. vocabulary − 1; layer 0 reads row id of tensor {@code embedding}. Instead of
         * {@link #SEQUENCE_INPUT}.
         */
        TOKEN_IDS(6),
        /** The output at every step: {@code [seq, batch, features]} (or batch-first) of the head or the last layer. */
        SEQUENCE_OUTPUT(16),
        /** The output at the last step only: {@code [batch, features]} (many-to-one models). */
        LAST_STEP_OUTPUT(17),
        /** Y_h of every layer and direction, per the state layout. */
        FINAL_H(18),
        /** Y_c of every layer and direction, per the state layout. */
        FINAL_C(19),
        /**
         * The last layer's raw ONNX {@code Y}: {@code [seq, directions, batch, hidden]}, or with sequence layout 1
         * {@code [batch, seq, directions, hidden]} (an LSTM node's own output, no head).
         */
        LAYER_Y(20),
        /**
         * Version 2.1: the top layer's final h, every direction (forward first, as PyTorch's
         * {@code cat(h_n[-2], h_n[-1])}), through the head: {@code [batch, features]}. A forward direction's final h is
         * its output at the row's last step (len − 1), a reverse direction's at t = 0; zero for a row of length 0.
         */
        FINAL_STATE_OUTPUT(21),
        /**
         * Version 2.1: {@code [batch, features]}, the last layer's output pooled over time (the head's first operation,
         * mean or max over all seq timesteps), then the rest of the head.
         */
        POOLED_OUTPUT(22);

        /** The value stored in the file. */
        public final int code;

        Role(int code) {
            this.code = code;
        }

        static Role ofCode(long code) {
            for (Role r : values()) if (r.code == code) return r;
            return null;
        }
    }

    /**
     * One dimension: a fixed size, or free (size -1) with its ONNX {@code dim_param} symbol (may be empty).
     *
     * @param size   the size, or -1 when free
     * @param symbol the {@code dim_param} of a free dimension, e.g. {@code seq}; empty when fixed or unnamed
     */
    public record Dim(long size, String symbol) {
        /**
         * A fixed dimension.
         *
         * @param size its size
         * @return the dimension
         */
        public static Dim fixed(long size) {
            return new Dim(size, "");
        }

        /**
         * A free dimension.
         *
         * @param symbol its {@code dim_param}, or empty
         * @return the dimension
         */
        public static Dim free(String symbol) {
            return new Dim(-1, symbol);
        }

        /**
         * Whether the dimension is free.
         *
         * @return true when it has no fixed size
         */
        public boolean isFree() {
            return size < 0;
        }

        @Override
        public String toString() {
            return isFree() ? (symbol.isEmpty() ? "?" : symbol) : Long.toString(size);
        }
    }

    /**
     * The shape as text, e.g. {@code [seq, batch, 100]}.
     *
     * @return the dimensions, free ones by their symbol
     */
    public String shapeText() {
        return shape.toString();
    }
}
