package dev.vlstm.cli;

import dev.vlstm.format.WeightType;

import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * The plain forms of the two commands people type most, {@code inspect FILE [--json]} and {@code convert IN OUT},
 * run without picocli. Building picocli's command model reflects over every command's annotations (a dynamic proxy
 * class per annotation type, its type converters, regular expressions) in a cold JVM: about 150 ms of a 0.3 s
 * inspect on the Zen 3 (2026-12-07), and the AOT cache cannot keep it, since picocli's Java 5 class files and the
 * proxies are not archived. Anything else (an option, an {@code @file}, {@code --help}, a wrong count) goes to
 * picocli, which owns the usage text and the messages for bad arguments; the command's own code is the same either way.
 */
final class PlainArgs {
    private PlainArgs() {
    }

    /** The command for {@code args}, or null when picocli must parse them. */
    static Callable<Integer> command(String[] args, PrintWriter out, PrintWriter err) {
        if (args.length < 2) return null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.isEmpty() || a.startsWith("@") || (a.startsWith("-") && !a.equals("--json"))) return null;
        }
        try {
            if (args[0].equals("inspect") && args.length <= 3) {
                boolean json = args.length == 3;
                int fileAt = json && args[1].equals("--json") ? 2 : 1;
                if (json && !args[3 - fileAt].equals("--json") || args[fileAt].equals("--json")) return null;
                Path file = Path.of(args[fileAt]);
                return () -> InspectCommand.inspect(file, json, out);
            }
            if (args[0].equals("convert") && args.length == 3 && !args[1].equals("--json") && !args[2].equals("--json")) {
                Path in = Path.of(args[1]), to = Path.of(args[2]);
                return () -> ConvertCommand.convert(in, to, WeightType.FP32, false, null, out, err);
            }
        } catch (InvalidPathException e) {
            return null; // picocli names the parameter
        }
        return null;
    }
}
