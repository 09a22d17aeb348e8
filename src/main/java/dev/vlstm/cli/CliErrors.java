package dev.vlstm.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns an exception into the one line a user reads: file and problem, no stack trace, no control characters. */
final class CliErrors {
    private CliErrors() {
    }

    static String message(Throwable e) {
        return printable(raw(e));
    }

    private static String raw(Throwable e) {
        if (e instanceof NoSuchFileException n) return n.getFile() + ": no such file";
        if (e instanceof AccessDeniedException a) return a.getFile() + ": permission denied";
        if (e instanceof IOException && e.getMessage() != null) return e.getMessage();
        if (e.getMessage() != null) return e.getMessage();
        return e.getClass().getSimpleName();
    }

    /**
     * Messages quote text from untrusted files (ONNX node names, .npy dtypes): control characters are escaped as
     * {@code \n}, {@code \t} or a backslash, 'u' and four hex digits, so a file can neither break the one-line error
     * nor send escape sequences to the terminal.
     */
    static String printable(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isISOControl(c)) {
                if (out != null) out.append(c);
                continue;
            }
            if (out == null) out = new StringBuilder(s.length() + 16).append(s, 0, i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out == null ? s : out.toString();
    }
}
