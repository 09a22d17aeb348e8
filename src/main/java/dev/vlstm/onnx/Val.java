package dev.vlstm.onnx;

import java.util.Arrays;
import java.util.List;

/** What the importer knows about one value of the ONNX graph while it walks the nodes in order. */
sealed interface Val {

    /** A tensor known at conversion time: an initializer, a Constant, or something folded from them. */
    record Const(long[] dims, float[] floats, long[] ints) implements Val {
        boolean isFloat() {
            return floats != null;
        }

        long count() {
            return isFloat() ? floats.length : ints.length;
        }

        boolean isAllZero() {
            if (isFloat()) {
                for (float f : floats) if (f != 0) return false;
            } else {
                for (long v : ints) if (v != 0) return false;
            }
            return true;
        }

        @Override
        public String toString() {
            return (isFloat() ? "float" : "int64") + Arrays.toString(dims)
                    + (count() <= 8 ? " " + (isFloat() ? Arrays.toString(floats) : Arrays.toString(ints)) : "");
        }
    }

    /**
     * An int64 shape vector (or scalar, when {@code scalar}) computed from the data's shape: each element a
     * {@link DimExpr}, or a literal from a constant.
     */
    record Shape(List<DimExpr> dims, boolean scalar) implements Val {
    }

    /** A value that exists in the graph but that vlstm cannot use; using it is an error that says {@code why}. */
    record Unusable(String why) implements Val {
    }

    /** A float tensor that is zero everywhere, whatever its shape: PyTorch's built initial states. */
    record Zeros() implements Val {
    }

    /**
     * The model's data flowing through the pipeline, seen through {@code view}. {@code form} says how the runtime holds it
     * in memory; {@code stage} counts the pipeline steps applied so far, so the importer can refuse graphs that branch or
     * reuse an earlier stage's output.
     */
    record Data(List<DimExpr> view, int stage, Form form) implements Val {
        DimExpr last() {
            return view.getLast();
        }
    }

    /** Memory order of {@link Data}. */
    enum Form {
        /** {@code [seq, batch, features]}, seen as any reshape of it (e.g. {@code [seq, 1, batch, H]}). */
        TIME_MAJOR,
        /** {@code [batch, seq, features]} (batch_first, or an LSTM with layout = 1). */
        BATCH_MAJOR,
        /** A bidirectional LSTM's raw {@code Y [seq, 2, batch, H]}, before PyTorch's Transpose [0, 2, 1, 3]. */
        LAYER_Y,
        /** {@code [batch, features]}: one timestep, the last (many-to-one models). */
        LAST_STEP,
        /** {@code [batch, features]}: the top layer's final h, every direction (format role 21). */
        FINAL_STATE,
        /** {@code [batch, features]}: the top layer's output pooled over time (format role 22). */
        POOLED
    }

    /** A graph input other than the sequence: a state tensor or the sequence lengths, decided by how it is used. */
    record GraphInput(String name, List<Long> dims, int elemType) implements Val {
    }

    /** Slots [from, to) along the layers × directions axis of state input {@code name}. */
    record StateSlice(String name, int from, int to) implements Val {
    }

    /** One direction's final h of a bidirectional top layer, {@code [batch, hidden]}: h_n[-2] or h_n[-1]. */
    record TopFinalHalf(int direction, int hidden) implements Val {
    }

    /** The final h (or c, when {@code cell}) of state slots [from, to): LSTM Y_h / Y_c, or their Concat. */
    record FinalState(boolean cell, int from, int to, boolean batchMajor) implements Val {
    }
}
