package dev.vlstm.onnx.proto;

/**
 * One dimension of a value's shape: a fixed size, a symbolic name (dim_param, e.g. "batch"), or neither.
 *
 * @param value the size, or -1 when not fixed (negative sizes found in files are treated as unknown)
 * @param param the dim_param name, or "" when there is none
 */
public record OnnxDim(long value, String param) {
    public OnnxDim {
        if (value < 0) value = -1;
        if (param == null) param = "";
    }

    public static OnnxDim of(long value) {
        return new OnnxDim(value, "");
    }

    public static OnnxDim named(String param) {
        return new OnnxDim(-1, param);
    }

    public boolean isFixed() {
        return value >= 0;
    }

    @Override
    public String toString() {
        return value >= 0 ? Long.toString(value) : param.isEmpty() ? "?" : param;
    }
}
