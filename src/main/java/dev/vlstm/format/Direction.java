package dev.vlstm.format;

/** LSTM direction, as the ONNX {@code direction} attribute. The code is the value stored in the file. */
public enum Direction {
    FORWARD(0, "forward", 1), REVERSE(1, "reverse", 1), BIDIRECTIONAL(2, "bidirectional", 2);

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
