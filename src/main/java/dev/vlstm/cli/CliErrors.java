package dev.vlstm.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns an exception into the one line a user reads: file and problem, no stack trace. */
final class CliErrors {
    private CliErrors() {
    }

    static String message(Throwable e) {
        if (e instanceof NoSuchFileException n) return n.getFile() + ": no such file";
        if (e instanceof AccessDeniedException a) return a.getFile() + ": permission denied";
        if (e instanceof IOException && e.getMessage() != null) return e.getMessage();
        if (e.getMessage() != null) return e.getMessage();
        return e.getClass().getSimpleName();
    }
}
