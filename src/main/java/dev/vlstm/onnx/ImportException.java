package dev.vlstm.onnx;

/** The ONNX model cannot be converted; the message names the file, the node (name and op type) and what was expected. */
public class ImportException extends RuntimeException {
    public ImportException(String message) {
        super(message);
    }

    public ImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
