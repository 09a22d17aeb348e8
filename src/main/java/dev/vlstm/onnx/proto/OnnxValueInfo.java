package dev.vlstm.onnx.proto;

import java.util.List;

/**
 * A graph input, output or value_info entry.
 *
 * @param name     the value's name
 * @param elemType element type code ({@link OnnxDataType}); 0 when missing or when the value is not a tensor
 * @param dims     the shape, or null when the file gives no shape (an empty list is a scalar)
 */
public record OnnxValueInfo(String name, int elemType, List<OnnxDim> dims) {
    public OnnxValueInfo {
        if (name == null) name = "";
        if (dims != null) dims = List.copyOf(dims);
    }

    public boolean hasShape() {
        return dims != null;
    }

    @Override
    public String toString() {
        return name + ":" + OnnxDataType.name(elemType) + (dims == null ? "" : dims.toString());
    }
}
