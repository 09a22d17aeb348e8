package dev.vlstm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code convert.jar}: convert ONNX LSTM models to .vlstm, inspect either kind of file, run a model on .npy inputs.
 * Exit codes: 0 success, 1 error (the message names the file and the problem; for {@code bench --check}, the fast
 * path is missing), 2 bad usage.
 */
@Command(name = "vlstm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Convert PyTorch-exported ONNX LSTM models to .vlstm and run them.",
        subcommands = {ConvertCommand.class, InspectCommand.class, RunCommand.class, BenchCommand.class})
public final class Main {
    private static final Set<String> COMMANDS = Set.of("convert", "inspect", "run", "bench", "help");

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        // "convert.jar IN.onnx OUT.vlstm" is short for "convert IN.onnx OUT.vlstm".
        if (args.length == 2 && !COMMANDS.contains(args[0]) && !args[0].startsWith("-")) {
            args = new String[]{"convert", args[0], args[1]};
        }
        Callable<Integer> plain = PlainArgs.command(args, out, err);
        if (plain == null) return withPicocli(args, out, err);
        try {
            return plain.call();
        } catch (Exception e) {
            err.println("error: " + CliErrors.message(e));   // as picocli's handler below
            return 1;
        }
    }

    /** Every command line through picocli, also those {@link PlainArgs} runs by itself (for tests). */
    static int withPicocli(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + CliErrors.message(e));
            return 1;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"vlstm " + dev.vlstm.Version.VERSION + " (Java " + Runtime.version() + ")"};
        }
    }
}
