package dev.vlstm.onnx.proto;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A TensorProto. The payload is in exactly one place, as in ONNX: external data if {@code externalData} is set,
 * else {@code rawData} if set (little-endian), else the typed array matching the data type (float_data for FLOAT,
 * int32_data for INT32 and the narrower integer types, int64_data for INT64, double_data for DOUBLE).
 *
 * <p>Immutable: arrays are copied on the way in and out. Code in this package reads them without copying through
 * the package-private {@code *Ref()} methods, which must never be handed out or written to.
 *
 * @param name         the tensor's name ("" for attribute tensors that have none)
 * @param dataType     element type code ({@link OnnxDataType})
 * @param dims         the shape (empty for a scalar)
 * @param rawData      raw_data, or null when absent (distinct from present and empty)
 * @param floatData    float_data (empty when absent)
 * @param int32Data    int32_data (empty when absent)
 * @param int64Data    int64_data (empty when absent)
 * @param doubleData   double_data (empty when absent)
 * @param externalData where the bytes are when data_location is EXTERNAL, else null
 */
public record OnnxTensor(String name, int dataType, long[] dims, byte[] rawData, float[] floatData,
        int[] int32Data, long[] int64Data, double[] doubleData, OnnxExternalData externalData) {

    public OnnxTensor {
        if (name == null) name = "";
        dims = dims == null ? new long[0] : dims.clone();
        rawData = rawData == null ? null : rawData.clone();
        floatData = floatData == null ? new float[0] : floatData.clone();
        int32Data = int32Data == null ? new int[0] : int32Data.clone();
        int64Data = int64Data == null ? new long[0] : int64Data.clone();
        doubleData = doubleData == null ? new double[0] : doubleData.clone();
    }

    @Override public long[] dims() { return dims.clone(); }
    @Override public byte[] rawData() { return rawData == null ? null : rawData.clone(); }
    @Override public float[] floatData() { return floatData.clone(); }
    @Override public int[] int32Data() { return int32Data.clone(); }
    @Override public long[] int64Data() { return int64Data.clone(); }
    @Override public double[] doubleData() { return doubleData.clone(); }

    // Zero-copy views for TensorData, ExternalData and OnnxWriter; read-only by convention.
    long[] dimsRef() { return dims; }
    byte[] rawDataRef() { return rawData; }
    float[] floatDataRef() { return floatData; }
    int[] int32DataRef() { return int32Data; }
    long[] int64DataRef() { return int64Data; }
    double[] doubleDataRef() { return doubleData; }

    public int rank() {
        return dims.length;
    }

    public boolean hasRawData() {
        return rawData != null;
    }

    public boolean isExternal() {
        return externalData != null;
    }

    /** Product of the dims, overflow-checked; see {@link TensorData#elementCount}. */
    public long elementCount() {
        return TensorData.elementCount(this);
    }

    /** The values of a FLOAT tensor; see {@link TensorData#toFloats}. */
    public float[] toFloats() {
        return TensorData.toFloats(this);
    }

    /** The values of an INT64 or INT32 tensor; see {@link TensorData#toLongs}. */
    public long[] toLongs() {
        return TensorData.toLongs(this);
    }

    /**
     * This tensor with its external data loaded into raw_data, reading only inside {@code modelDir} (the folder
     * holding the .onnx file); returns this tensor unchanged if it is not external.
     */
    public OnnxTensor resolve(Path modelDir) throws IOException {
        return ExternalData.resolve(this, modelDir);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxTensor t && dataType == t.dataType && name.equals(t.name)
                && Arrays.equals(dims, t.dims) && Arrays.equals(rawData, t.rawData)
                && Arrays.equals(floatData, t.floatData) && Arrays.equals(int32Data, t.int32Data)
                && Arrays.equals(int64Data, t.int64Data) && Arrays.equals(doubleData, t.doubleData)
                && Objects.equals(externalData, t.externalData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dataType, Arrays.hashCode(dims), Arrays.hashCode(rawData),
                Arrays.hashCode(floatData), Arrays.hashCode(int32Data), Arrays.hashCode(int64Data),
                Arrays.hashCode(doubleData), externalData);
    }

    /** A summary: the payload may be megabytes, so it is described, not printed. */
    @Override
    public String toString() {
        String payload = externalData != null ? "external " + externalData
                : rawData != null ? "raw " + rawData.length + " bytes"
                : floatData.length > 0 ? "float_data " + floatData.length
                : int32Data.length > 0 ? "int32_data " + int32Data.length
                : int64Data.length > 0 ? "int64_data " + int64Data.length
                : doubleData.length > 0 ? "double_data " + doubleData.length : "no data";
        return "OnnxTensor[" + name + " " + OnnxDataType.name(dataType) + Arrays.toString(dims) + ", " + payload + "]";
    }
}
