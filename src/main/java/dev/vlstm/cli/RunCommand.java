package dev.vlstm.cli;

import dev.vlstm.Model;
import dev.vlstm.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code run MODEL.vlstm --in NAME=X.npy --out NAME=Y.npy}: runs a model on NumPy float32 arrays. */
@Command(name = "run", description = "Run a .vlstm model on .npy float32 inputs ([seq, batch, features], C order).")
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL.vlstm")
    Path modelFile;

    @Option(names = "--in", paramLabel = "[NAME=]X.npy", required = true,
            description = "An input by its ONNX graph name; NAME= may be left out for a model with one input.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "[NAME=]Y.npy",
            description = "Where to write an output (atomically); NAME= may be left out for a model with one output.")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--expect", paramLabel = "[NAME=]E.npy",
            description = "Compare the output with a reference (e.g. PyTorch's) and print the max abs and relative error.")
    List<String> expected = new ArrayList<>();

    @Option(names = "--show", paramLabel = "N", defaultValue = "5", description = "Print the first N output values (default 5).")
    int show;

    @Override
    public Integer call() throws Exception {
        try (Model model = Model.load(modelFile)) {
            Path in = single(inputs, model.inputName(), "--in");
            Path outFile = outputs.isEmpty() ? null : single(outputs, model.outputName(), "--out");
            NpyArray x = Npy.read(in);
            long[] s = x.shape();
            if (s.length != 3 || s[2] != model.inputSize() || s[0] < 1 || s[1] < 1)
                throw new IllegalArgumentException(in + ": shape " + Arrays.toString(s) + ", expected [seq, batch, "
                        + model.inputSize() + "] for input '" + model.inputName() + "' of " + modelFile);
            int seq = Math.toIntExact(s[0]), batch = Math.toIntExact(s[1]);
            Session session = model.newSession(seq, batch);
            float[] y = session.run(x.data(), seq, batch);
            long[] outShape = {seq, batch, model.outputSize()};
            if (outFile != null) Npy.write(outFile, outShape, y);
            var out = spec.commandLine().getOut();
            out.printf("%s: %s %s -> %s %s%s (kernels: %s)%n", modelFile, model.inputName(),
                    Arrays.toString(s), model.outputName(), Arrays.toString(outShape),
                    outFile == null ? "" : " written to " + outFile, session.kernels());
            if (show > 0) {
                StringBuilder first = new StringBuilder();
                for (int i = 0; i < Math.min(show, y.length); i++) first.append(i == 0 ? "" : ", ").append(y[i]);
                out.printf("first values: [%s%s]%n", first, y.length > show ? ", ..." : "");
            }
            if (!expected.isEmpty()) {
                Path e = single(expected, model.outputName(), "--expect");
                NpyArray ref = Npy.read(e);
                if (!Arrays.equals(ref.shape(), outShape))
                    throw new IllegalArgumentException(e + ": shape " + Arrays.toString(ref.shape()) + ", expected "
                            + Arrays.toString(outShape));
                double abs = 0, rel = 0;
                for (int i = 0; i < y.length; i++) {
                    double d = Math.abs((double) y[i] - ref.data()[i]);
                    abs = Math.max(abs, d);
                    rel = Math.max(rel, d / Math.max(Math.abs(ref.data()[i]), 1e-3));
                }
                out.printf("max abs error vs %s: %.3g (max rel error %.3g)%n", e, abs, rel);
            }
        }
        return 0;
    }

    /** The one file given for {@code name}: "NAME=file" must name it, a bare "file" is accepted when only one is given. */
    private Path single(List<String> args, String name, String option) {
        if (args.size() != 1)
            throw new ParameterException(spec.commandLine(), option + " given " + args.size() + " times; this model has exactly one ("
                    + name + ")");
        String a = args.getFirst();
        int eq = a.indexOf('=');
        if (eq < 0) return Path.of(a);
        String given = a.substring(0, eq);
        if (!given.equals(name))
            throw new ParameterException(spec.commandLine(), option + " names '" + given + "', but the model's is '" + name + "'");
        return Path.of(a.substring(eq + 1));
    }
}
