package dev.vlstm.onnx.proto;

/**
 * Where a tensor's bytes live when data_location is EXTERNAL, from its external_data key/value entries.
 * Only parsed here; {@link OnnxTensor#resolve} does the (checked) file access.
 *
 * @param location file path relative to the model's folder, as written in the model
 * @param offset   byte offset into the file (0 when the "offset" key is absent)
 * @param length   byte count, or -1 when the "length" key is absent (meaning: up to the end of the file)
 */
public record OnnxExternalData(String location, long offset, long length) {
    public OnnxExternalData {
        if (location == null || location.isEmpty())
            throw new IllegalArgumentException("external data needs a location");
        if (offset < 0) throw new IllegalArgumentException("negative external data offset " + offset);
        if (length < -1) throw new IllegalArgumentException("negative external data length " + length);
    }
}
