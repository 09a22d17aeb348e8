package dev.vlstm.onnx.proto;

/** TensorProto.DataType codes (used for tensors and for value-info element types) and their names. */
public final class OnnxDataType {
    private OnnxDataType() {}

    public static final int UNDEFINED = 0;
    public static final int FLOAT = 1;
    public static final int UINT8 = 2;
    public static final int INT8 = 3;
    public static final int UINT16 = 4;
    public static final int INT16 = 5;
    public static final int INT32 = 6;
    public static final int INT64 = 7;
    public static final int STRING = 8;
    public static final int BOOL = 9;
    public static final int FLOAT16 = 10;
    public static final int DOUBLE = 11;
    public static final int UINT32 = 12;
    public static final int UINT64 = 13;
    public static final int COMPLEX64 = 14;
    public static final int COMPLEX128 = 15;
    public static final int BFLOAT16 = 16;

    // Codes 17..23 were added after onnx 1.12 (float8 in IR 9, 4-bit types in IR 10); named so messages stay clear.
    private static final String[] NAMES = {
        "undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64", "string", "bool", "float16",
        "double", "uint32", "uint64", "complex64", "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
        "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1",
    };

    // Bytes per element in raw_data; 0 where there is no fixed whole-byte size (undefined, string, 4-bit types).
    private static final int[] SIZES = {0, 4, 1, 1, 2, 2, 4, 8, 0, 1, 2, 8, 4, 8, 8, 16, 2, 1, 1, 1, 1, 0, 0, 0};

    /** Lower-case ONNX name such as "float", "float16", "int64"; "dtype(N)" for codes we do not know. */
    public static String name(int dataType) {
        return dataType >= 0 && dataType < NAMES.length ? NAMES[dataType] : "dtype(" + dataType + ")";
    }

    /** Bytes per element as stored in raw_data or external data, or 0 if the type has no whole-byte size. */
    public static int byteSize(int dataType) {
        return dataType >= 0 && dataType < SIZES.length ? SIZES[dataType] : 0;
    }
}
