package dev.vlstm.onnx;

/**
 * A tensor dimension as the graph computes it: {@code coefficient × seq^seqPower × batch^batchPower}. This is all the
 * arithmetic PyTorch's exports do on shapes (Shape, Gather, Mul), and it lets the importer prove that a Reshape means
 * the same thing for every sequence length and batch size, not just the traced ones.
 */
record DimExpr(long coefficient, int seqPower, int batchPower) {
    static final DimExpr SEQ = new DimExpr(1, 1, 0);
    static final DimExpr BATCH = new DimExpr(1, 0, 1);
    static final DimExpr ONE = constant(1);

    static DimExpr constant(long value) {
        return new DimExpr(value, 0, 0);
    }

    boolean isConstant() {
        return seqPower == 0 && batchPower == 0;
    }

    DimExpr times(DimExpr o) {
        return new DimExpr(Math.multiplyExact(coefficient, o.coefficient), seqPower + o.seqPower, batchPower + o.batchPower);
    }

    /** The value at a traced shape; only meaningful when seq and batch are known. */
    long at(long seq, long batch) {
        long v = coefficient;
        for (int i = 0; i < seqPower; i++) v = Math.multiplyExact(v, seq);
        for (int i = 0; i < batchPower; i++) v = Math.multiplyExact(v, batch);
        return v;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        if (coefficient != 1 || isConstant()) s.append(coefficient);
        for (int i = 0; i < seqPower; i++) s.append(s.isEmpty() ? "" : "*").append("seq");
        for (int i = 0; i < batchPower; i++) s.append(s.isEmpty() ? "" : "*").append("batch");
        return s.toString();
    }
}
