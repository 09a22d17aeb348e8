package dev.vlstm.cli;

/** A .npy file could not be read or written. The message names the file, what was found and what was expected. */
public class NpyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NpyException(String message) {
        super(message);
    }

    public NpyException(String message, Throwable cause) {
        super(message, cause);
    }
}
