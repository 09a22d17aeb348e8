package dev.vlstm.format;

/**
 * A .vlstm file (or a model about to be written as one) breaks format-spec.md. The message names file and field.
 *
 * <pre>{@code
 * try (Model m = Model.load(path)) { ... }
 * catch (VlstmFormatException e) { log.warn(e.getMessage()); }   // e.g. m.vlstm: tensor 'l0.d0.w': CRC32C mismatch ...
 * }</pre>
 */
public class VlstmFormatException extends RuntimeException {
    /**
     * An exception with its message.
     *
     * @param message the file, the field and what is wrong
     */
    public VlstmFormatException(String message) {
        super(message);
    }

    /**
     * An exception with its message and cause.
     *
     * @param message the file, the field and what is wrong
     * @param cause   what was caught
     */
    public VlstmFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
