package dev.vlstm.onnx.proto;

/**
 * An ONNX file (or tensor, or external data reference) is malformed or refused. Unchecked so callers handle it
 * where they report errors rather than at every call; the message names the source and, for protobuf errors, the
 * field path (e.g. {@code "model.onnx: graph.node[3].attribute[1]: truncated length-delimited field"}).
 */
public class OnnxFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OnnxFormatException(String message) {
        super(message);
    }

    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
