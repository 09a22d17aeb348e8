package dev.vlstm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The training run of the CLI's ahead-of-time cache (JEP 483/514). {@code tools/vlstm --build-aot-cache} runs it
 * under {@code -XX:AOTCacheOutput}: the classes it loads and links, and the profiles it gathers, are what later
 * commands find ready in the cache. One JVM runs the commands the launcher starts with the cache (convert, inspect
 * of both kinds, text and JSON, the version and the help), since the JVM trains on one run only; commands that run a
 * model need the Vector API module, which the cache is made without.
 *
 * <p>Argument: the seed model ({@code model.onnx}). The commands' output is discarded; a command that fails is an
 * error, so a broken training never writes a cache of a broken path.
 */
final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: AotTraining MODEL.onnx");
        String onnx = args[0];
        Path dir = Files.createTempDirectory("vlstm-aot-training");
        try {
            String vlstm = dir.resolve("model.vlstm").toString();
            train("convert", onnx, vlstm);
            train("inspect", onnx);
            train("inspect", onnx, "--json");
            train("inspect", vlstm);
            train("inspect", vlstm, "--json");
            train("--version");
            train("--help");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static void train(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        if (code != 0) throw new IllegalStateException("training command " + String.join(" ", args) + " exited " + code + ": " + err);
    }
}
