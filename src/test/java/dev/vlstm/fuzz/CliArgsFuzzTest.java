package dev.vlstm.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vlstm.cli.Main;
import dev.vlstm.cli.Npy;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Fuzzed command lines through {@link Main#execute}: the exit code must be 0, 1 or 2, nothing may be thrown out of
 * it, no stack trace may be printed, an error (exit 1) is one line "error: ...", and no temp file may be left behind.
 *
 * <p>Input format: the arguments, UTF-8, one per line (so seeds in {@code src/test/resources/fuzz/cli/} are readable
 * text files). Paths are confined to a private sandbox folder, so a fuzzed {@code convert IN OUT} can never write
 * into the project: placeholders such as {@code $ONNX}, {@code $VLSTM}, {@code $NPY} name valid files there, and
 * every other argument that could be read as a path becomes {@code <sandbox>/<argument with '/' and '\' replaced by
 * '_'>}. Command names, option names and the values of {@code --show}, {@code --lengths} and {@code --tolerance} pass
 * through unchanged. The sandbox's files are restored after every input, so each run starts from the same state.
 */
class CliArgsFuzzTest {
    private static final Set<String> COMMANDS = Set.of("convert", "inspect", "run", "help");
    private static final Set<String> OPTIONS = Set.of("--in", "--out", "--expect", "--show", "--lengths", "--json",
            "--verify", "--tolerance", "-h", "--help", "-V", "--version");
    /** Options whose value is a number or a list of numbers: passed through, never a path. */
    private static final Set<String> NUMBER_OPTIONS = Set.of("--show", "--lengths", "--tolerance");
    private static final Set<String> NAMED_PATH_OPTIONS = Set.of("--in", "--out", "--expect");
    /** Frame, "Caused by" and uncaught-exception lines, at the start of a line ('\n' only: arguments may hold '\r'). */
    private static final Pattern STACK_TRACE =
            Pattern.compile("(?dm)^(\\s+at [\\w$.<>/]+\\(|Caused by: |Exception in thread )");

    static Stream<Arguments> corpus() {
        return FuzzCorpus.of("cli");
    }

    @MethodSource("corpus")
    @FuzzTest
    void cliArgs(byte[] data) throws Throwable {
        FuzzChecks.run(() -> execute(data));
    }

    private static void execute(byte[] data) throws IOException {
        Sandbox box = Sandbox.get();
        String[] args = box.confine(split(data));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        String shown = "for " + Arrays.toString(args) + "\nout: " + out + "\nerr: " + err;
        if (code < 0 || code > 2) throw new AssertionError("exit code " + code + " " + shown);
        if (STACK_TRACE.matcher(out.toString()).find() || STACK_TRACE.matcher(err.toString()).find())
            throw new AssertionError("stack trace printed " + shown);
        if (code == 1 && (!err.toString().startsWith("error: ") || err.toString().strip().contains("\n")))
            throw new AssertionError("an error must be one line 'error: ...' " + shown);
        box.checkAndRestore(args, shown);
    }

    /** One argument per line; a final newline does not add an empty argument. */
    static List<String> split(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        if (text.isEmpty()) return List.of();
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        return List.of(text.split("\n", -1));
    }

    /** A temp folder with a valid model in both formats, inputs good and bad, and a folder; one per JVM. */
    static final class Sandbox {
        private static Sandbox instance;

        final Path dir;
        private final Map<String, String> placeholders = new LinkedHashMap<>();
        private final Map<Path, byte[]> files = new LinkedHashMap<>();

        static synchronized Sandbox get() throws IOException {
            if (instance == null) instance = new Sandbox();
            return instance;
        }

        private Sandbox() throws IOException {
            dir = Files.createTempDirectory("vlstm-cli-fuzz").toRealPath();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir))); // CI leaves nothing in /tmp
            Path onnx = dir.resolve("model.onnx");
            try (var in = CliArgsFuzzTest.class.getResourceAsStream("/fuzz/onnx/gemm_head_opset12.onnx")) {
                if (in == null) throw new IllegalStateException("seed model /fuzz/onnx/gemm_head_opset12.onnx missing");
                Files.write(onnx, in.readAllBytes());
            }
            Path vlstm = dir.resolve("model.vlstm");
            OnnxImporter.Imported m = OnnxImporter.importFile(onnx);
            VlstmWriter.write(m.spec(), m.weights(), m.metadata(), vlstm);
            Path x = dir.resolve("x.npy"), nan = dir.resolve("nan.npy"), wide = dir.resolve("wide.npy");
            Path flat = dir.resolve("flat.npy"), empty = dir.resolve("empty.npy"), bad = dir.resolve("bad.npy");
            Npy.write(x, new long[]{2, 1, 3}, new float[]{0.5f, -1, 2, 0, 0.25f, 3});
            Npy.write(nan, new long[]{1, 1, 3}, new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
            Npy.write(wide, new long[]{2, 1, 4}, new float[8]);
            Npy.write(flat, new long[]{6}, new float[6]);
            Npy.write(empty, new long[]{0, 1, 3}, new float[0]);
            Files.writeString(bad, "\u0093NUMPY not really");
            Files.createDirectory(dir.resolve("folder"));
            Files.createDirectory(dir.resolve("out"));
            placeholders.put("$ONNX", onnx.toString());
            placeholders.put("$VLSTM", vlstm.toString());
            placeholders.put("$NPY", x.toString());
            placeholders.put("$NAN", nan.toString());
            placeholders.put("$WIDE", wide.toString());
            placeholders.put("$FLAT", flat.toString());
            placeholders.put("$EMPTY", empty.toString());
            placeholders.put("$BAD", bad.toString());
            placeholders.put("$DIR", dir.resolve("folder").toString());
            placeholders.put("$MISSING", dir.resolve("missing.onnx").toString());
            placeholders.put("$OUT", dir.resolve("out/model.vlstm").toString());
            placeholders.put("$OUTNPY", dir.resolve("out/y.npy").toString());
            for (Path p : List.of(onnx, vlstm, x, nan, wide, flat, empty, bad)) files.put(p, Files.readAllBytes(p));
        }

        /** The arguments with every possible path moved into the sandbox (see the class comment). */
        String[] confine(List<String> raw) {
            List<String> out = new ArrayList<>();
            boolean positionalOnly = false, commandSeen = false;
            String previous = "";
            for (String t : raw) {
                String mapped;
                if (positionalOnly) {
                    mapped = path(t);
                } else if (t.equals("--")) {
                    mapped = t;
                    positionalOnly = true;
                } else if (NUMBER_OPTIONS.contains(previous)) {
                    mapped = t; // picocli always takes it as the option's number: never a path
                } else if (OPTIONS.contains(t) || t.matches("-[hV]+")) {
                    mapped = t;
                } else if (t.startsWith("-") && t.indexOf('=') > 0 && OPTIONS.contains(t.substring(0, t.indexOf('=')))) {
                    int eq = t.indexOf('=');
                    String option = t.substring(0, eq), value = t.substring(eq + 1);
                    mapped = NUMBER_OPTIONS.contains(option) ? t
                            : option + "=" + (NAMED_PATH_OPTIONS.contains(option) ? namedPath(value) : path(value));
                } else if (!commandSeen && COMMANDS.contains(t)) {
                    mapped = t;
                    commandSeen = true;
                } else {
                    mapped = NAMED_PATH_OPTIONS.contains(previous) ? namedPath(t) : path(t);
                    commandSeen = true;
                }
                out.add(mapped);
                previous = t;
            }
            return out.toArray(String[]::new);
        }

        /** "NAME=path" or "path", as --in, --out and --expect take them. */
        private String namedPath(String v) {
            int eq = v.indexOf('=');
            return eq < 0 ? path(v) : v.substring(0, eq + 1) + path(v.substring(eq + 1));
        }

        private String path(String p) {
            String known = placeholders.get(p);
            if (known != null) return known;
            String name = p.replace('/', '_').replace('\\', '_');
            if (name.isEmpty() || name.equals(".") || name.equals("..")) name = "_" + name;
            return dir + "/" + name; // not Path.resolve: a NUL must reach the CLI, not fail here
        }

        /**
         * Fails on a leftover file (a temp file of an atomic write): every new file must be one the arguments named.
         * Then removes the outputs and restores the inputs for the next run.
         */
        void checkAndRestore(String[] args, String shown) throws IOException {
            Set<String> named = new java.util.HashSet<>();
            for (String a : args) {
                named.add(a);
                for (int eq = a.indexOf('='); eq >= 0; eq = a.indexOf('=', eq + 1)) named.add(a.substring(eq + 1));
            }
            List<Path> extra = new ArrayList<>();
            for (Path folder : List.of(dir, dir.resolve("out"), dir.resolve("folder"))) {
                if (!Files.isDirectory(folder, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                try (Stream<Path> s = Files.list(folder)) {
                    s.forEach(extra::add);
                }
            }
            for (Path p : extra)
                if (!files.containsKey(p) && !named.contains(p.toString())
                        && !p.equals(dir.resolve("out")) && !p.equals(dir.resolve("folder")))
                    throw new AssertionError("file " + p.getFileName() + " left behind " + shown);
            for (Path p : extra) {
                if (files.containsKey(p) || p.equals(dir.resolve("out")) || p.equals(dir.resolve("folder"))) continue;
                deleteTree(p);
            }
            for (Map.Entry<Path, byte[]> f : files.entrySet()) {
                if (!Files.isRegularFile(f.getKey()) || !Arrays.equals(Files.readAllBytes(f.getKey()), f.getValue())) {
                    deleteTree(f.getKey());
                    Files.write(f.getKey(), f.getValue());
                }
            }
        }

        private static void deleteTree(Path p) {
            try {
                if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try (Stream<Path> s = Files.list(p)) {
                        s.forEach(Sandbox::deleteTree);
                    }
                }
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
