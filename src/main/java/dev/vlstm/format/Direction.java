package dev.vlstm.format;

/**
 * LSTM direction, as the ONNX {@code direction} attribute. The code is the value stored in the file.
 *
 * <pre>{@code
 * int width = hidden * Direction.BIDIRECTIONAL.count;   // a bidirectional layer's output: both directions' h
 * }</pre>
 */
public enum Direction {
    /** t = 0 to seq - 1. */ FORWARD(0, "forward", 1),
    /** t = seq - 1 down to 0. */ REVERSE(1, "reverse", 1),
    /** Both, the forward half first in every output. */ BIDIRECTIONAL(2, "bidirectional", 2);

    /** The value stored in the file. */
    public final int code;
    /** The ONNX attribute value. */
    public final String onnxName;
    /** How many directions run: 2 for bidirectional, else 1. */
    public final int count;

    Direction(int code, String onnxName, int count) {
        this.code = code;
        this.onnxName = onnxName;
        this.count = count;
    }

    static Direction ofCode(long code) {
        for (Direction d : values()) if (d.code == code) return d;
        return null;
    }
}
