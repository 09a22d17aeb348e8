package dev.vlstm.format;

/**
 * The order of the sequence input's first two axes. The code is the value stored in the file.
 *
 * <pre>{@code
 * boolean batchFirst = model.spec().layout() == SequenceLayout.BATCH_SEQ;   // nn.LSTM(..., batch_first=True)
 * }</pre>
 */
public enum SequenceLayout {
    /** {@code [seq, batch, feature]}: PyTorch's default and ONNX {@code layout = 0}. */
    SEQ_BATCH(0),
    /** {@code [batch, seq, feature]}: {@code batch_first = True}. */
    BATCH_SEQ(1);

    /** The value stored in the file. */
    public final int code;

    SequenceLayout(int code) {
        this.code = code;
    }

    static SequenceLayout ofCode(long code) {
        for (SequenceLayout l : values()) if (l.code == code) return l;
        return null;
    }
}
