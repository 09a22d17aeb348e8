package dev.vlstm.format;

/**
 * How initial and final states (h and c) are laid out. The code is the value stored in the file.
 *
 * <pre>{@code
 * boolean pytorchOrder = model.spec().stateLayout() == StateLayout.LAYER_MAJOR;   // h0: [layers, batch, hidden]
 * }</pre>
 */
public enum StateLayout {
    /** {@code [layers × directions, batch, hidden]}: PyTorch's h0/c0/h_n/c_n and ONNX {@code layout = 0}. */
    LAYER_MAJOR(0),
    /** {@code [batch, layers × directions, hidden]}: ONNX {@code layout = 1}. */
    BATCH_MAJOR(1);

    /** The value stored in the file. */
    public final int code;

    StateLayout(int code) {
        this.code = code;
    }

    static StateLayout ofCode(long code) {
        for (StateLayout l : values()) if (l.code == code) return l;
        return null;
    }
}
