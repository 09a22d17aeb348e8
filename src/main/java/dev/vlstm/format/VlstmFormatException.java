package dev.vlstm.format;

/** A .vlstm file (or a model about to be written as one) breaks format-spec.md. The message names file and field. */
public class VlstmFormatException extends RuntimeException {
    public VlstmFormatException(String message) {
        super(message);
    }

    public VlstmFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
