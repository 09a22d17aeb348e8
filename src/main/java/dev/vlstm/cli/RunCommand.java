package dev.vlstm.cli;

import dev.vlstm.Model;
import dev.vlstm.RunArgs;
import dev.vlstm.Session;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.StateLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code run MODEL.vlstm --in NAME=X.npy … --out NAME=Y.npy …}: runs a model on NumPy float32 arrays (token ids: int32/int64). */
@Command(name = "run", description = "Run a .vlstm model on .npy float32 inputs (C order; token ids as int32 or int64), by the ONNX graph's names.")
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL.vlstm")
    Path modelFile;

    @Option(names = "--in", paramLabel = "[NAME=]X.npy", required = true,
            description = "An input by its ONNX graph name (the sequence, initial h or c); NAME= may be left out for the sequence.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--lengths", paramLabel = "N,N,...", split = ",",
            description = "Sequence lengths per batch row, for models with a sequence_lens input.")
    int[] lengths;

    @Option(names = "--out", paramLabel = "[NAME=]Y.npy",
            description = "Where to write an output (atomically); NAME= may be left out for the main output.")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--expect", paramLabel = "[NAME=]E.npy",
            description = "Compare an output with a reference (e.g. PyTorch's) and print the max abs and relative error.")
    List<String> expected = new ArrayList<>();

    @Option(names = "--show", paramLabel = "N", defaultValue = "5", description = "Print the first N values of the main output (default 5).")
    int show;

    @Option(names = "--stream", description = "Feed the sequence one timestep at a time through the step API "
            + "(one state per batch row, stepped together); gives the same outputs as a whole-sequence run.")
    boolean stream;

    @Override
    public Integer call() throws Exception {
        try (Model model = Model.load(modelFile)) {
            ModelSpec ms = model.spec();
            Map<IoSpec, Path> in = byName(inputs, ms.inputs(), model.inputName(), "--in");
            Map<IoSpec, Path> out = byName(outputs, ms.outputs(), model.outputName(), "--out");
            Map<IoSpec, Path> expect = byName(expected, ms.outputs(), model.outputName(), "--expect");
            boolean ids = model.takesTokenIds();
            IoSpec xSpec = ms.input(ids ? IoSpec.Role.TOKEN_IDS : IoSpec.Role.SEQUENCE_INPUT);
            if (!in.containsKey(xSpec))
                throw new ParameterException(spec.commandLine(), "--in must give the sequence input '" + xSpec.name() + "'");
            NpyArray x = ids ? null : Npy.read(in.get(xSpec));
            NpyIds tokens = ids ? Npy.readIds(in.get(xSpec)) : null;
            if (ids) checkIds(model, tokens, in.get(xSpec));
            long[] s = ids ? tokens.shape() : x.shape();
            boolean batchFirst = ms.layout() == SequenceLayout.BATCH_SEQ;
            if (s.length != (ids ? 2 : 3) || !ids && s[2] != model.inputSize() || s[0] < 1 || s[1] < 1)
                throw new IllegalArgumentException(in.get(xSpec) + ": shape " + Arrays.toString(s) + ", expected "
                        + (batchFirst ? "[batch, seq" : "[seq, batch") + (ids ? "] of token ids" : ", " + model.inputSize() + "]")
                        + " for input '" + xSpec.name() + "' of " + modelFile);
            int seq = Math.toIntExact(batchFirst ? s[1] : s[0]), batch = Math.toIntExact(batchFirst ? s[0] : s[1]);
            Shapes shapes = new Shapes(ms, seq, batch);
            RunArgs args = (ids ? new RunArgs().tokens(tokens.data(), seq, batch) : new RunArgs().input(x.data(), seq, batch))
                    .sequenceLengths(lengths);
            float[] h0 = state(in, ms.input(IoSpec.Role.INITIAL_H), shapes), c0 = state(in, ms.input(IoSpec.Role.INITIAL_C), shapes);
            args.initialStates(h0, c0);
            Map<IoSpec, float[]> results = new LinkedHashMap<>();
            for (IoSpec o : ms.outputs()) results.put(o, new float[Math.toIntExact(count(shapes.of(o)))]);
            args.output(find(results, ms, IoSpec.Role.SEQUENCE_OUTPUT, IoSpec.Role.LAST_STEP_OUTPUT, IoSpec.Role.LAYER_Y,
                    IoSpec.Role.FINAL_STATE_OUTPUT, IoSpec.Role.POOLED_OUTPUT));
            args.finalStates(find(results, ms, IoSpec.Role.FINAL_H), find(results, ms, IoSpec.Role.FINAL_C));
            Session session = model.newSession(seq, batch);
            if (stream) streamRun(model, session, ms, ids ? null : x.data(), ids ? tokens.data() : null, seq, batch,
                    batchFirst, args, h0, c0, results);
            else session.run(args);

            var w = spec.commandLine().getOut();
            w.printf("%s: %s %s (kernels: %s)%n", modelFile, xSpec.name(), Arrays.toString(s), session.kernels());
            for (var e : results.entrySet()) {
                long[] shape = shapes.of(e.getKey());
                Path file = out.get(e.getKey());
                if (file != null) Npy.write(file, shape, e.getValue());
                w.printf("  %s %s%s%n", e.getKey().name(), Arrays.toString(shape), file == null ? "" : " written to " + file);
            }
            float[] main = results.get(mainOutput(ms, model));
            if (show > 0) {
                StringBuilder first = new StringBuilder();
                for (int i = 0; i < Math.min(show, main.length); i++) first.append(i == 0 ? "" : ", ").append(main[i]);
                w.printf("first values: [%s%s]%n", first, main.length > show ? ", ..." : "");
            }
            for (var e : expect.entrySet()) {
                NpyArray ref = Npy.read(e.getValue());
                long[] shape = shapes.of(e.getKey());
                if (!Arrays.equals(ref.shape(), shape))
                    throw new IllegalArgumentException(e.getValue() + ": shape " + Arrays.toString(ref.shape()) + ", expected "
                            + Arrays.toString(shape) + " for output '" + e.getKey().name() + "'");
                float[] y = results.get(e.getKey());
                double abs = 0, rel = 0;
                for (int i = 0; i < y.length; i++) {
                    double d = Math.abs((double) y[i] - ref.data()[i]);
                    if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
                    abs = Math.max(abs, d);
                    rel = Math.max(rel, d / Math.max(Math.abs(ref.data()[i]), 1e-3));
                }
                w.printf("max abs error of %s vs %s: %.3g (max rel error %.3g)%n", e.getKey().name(), e.getValue(), abs, rel);
            }
        }
        return 0;
    }

    /** --stream: one LstmState per batch row, all rows stepped together each timestep; features x or token ids (the other null). */
    private void streamRun(Model model, Session session, ModelSpec ms, float[] x, long[] ids, int seq, int batch, boolean batchFirst,
                           RunArgs args, float[] h0, float[] c0, Map<IoSpec, float[]> results) {
        if (lengths != null || h0 != null || c0 != null || ms.output(IoSpec.Role.SEQUENCE_OUTPUT) == null
                || ms.outputs().size() != 1)
            throw new IllegalArgumentException(modelFile + ": --stream runs models with one sequence input and one "
                    + "sequence output, no states or lengths given");
        dev.vlstm.LstmState[] states = new dev.vlstm.LstmState[batch];
        for (int b = 0; b < batch; b++) states[b] = model.newState();
        int in = model.inputSize(), out = model.outputSize();
        float[] xt = new float[batch * in], yt = new float[batch * out], y = results.get(ms.output(IoSpec.Role.SEQUENCE_OUTPUT));
        int[] idsT = new int[batch];
        for (int t = 0; t < seq; t++) {
            for (int b = 0; b < batch; b++) {
                int row = batchFirst ? b * seq + t : t * batch + b;
                if (ids != null) idsT[b] = (int) ids[row];     // checked against the vocabulary: fits an int
                else System.arraycopy(x, row * in, xt, b * in, in);
            }
            if (ids != null) session.step(states, batch, idsT, yt);
            else session.step(states, batch, xt, yt);
            for (int b = 0; b < batch; b++)
                System.arraycopy(yt, b * out, y, (batchFirst ? b * seq + t : t * batch + b) * out, out);
        }
    }

    /** Refuses the first id outside the vocabulary naming the file (the session's own check names the input). */
    private static void checkIds(Model model, NpyIds tokens, Path file) {
        for (int i = 0; i < tokens.data().length; i++) {
            long id = tokens.data()[i];
            if (id < 0 || id >= model.vocabularySize())
                throw new IllegalArgumentException(file + ": token id " + id + " at position " + i + " is outside the "
                        + "vocabulary of " + model.vocabularySize() + " (ids 0.." + (model.vocabularySize() - 1) + ")");
        }
    }

    private static IoSpec mainOutput(ModelSpec ms, Model model) {
        for (IoSpec o : ms.outputs()) if (o.name().equals(model.outputName())) return o;
        return ms.outputs().getFirst();
    }

    private static float[] find(Map<IoSpec, float[]> results, ModelSpec ms, IoSpec.Role... roles) {
        for (IoSpec.Role r : roles) if (ms.output(r) != null) return results.get(ms.output(r));
        return null;
    }

    private float[] state(Map<IoSpec, Path> in, IoSpec io, Shapes shapes) {
        if (io == null || !in.containsKey(io)) return null;
        NpyArray a = Npy.read(in.get(io));
        long[] expected = shapes.of(io);
        if (!Arrays.equals(a.shape(), expected))
            throw new IllegalArgumentException(in.get(io) + ": shape " + Arrays.toString(a.shape()) + ", expected "
                    + Arrays.toString(expected) + " for input '" + io.name() + "'");
        return a.data();
    }

    /** The concrete shape of every input and output for one seq × batch. */
    private record Shapes(ModelSpec ms, int seq, int batch) {
        long[] of(IoSpec io) {
            boolean bf = ms.layout() == SequenceLayout.BATCH_SEQ;
            int slots = ms.stateSlots(), h = ms.layers().getFirst().hiddenSize();
            int last = ms.layers().getLast().hiddenSize(), dirs = ms.layers().getLast().direction().count;
            return switch (io.role()) {
                case SEQUENCE_INPUT -> bf ? new long[]{batch, seq, ms.inputSize()} : new long[]{seq, batch, ms.inputSize()};
                case TOKEN_IDS -> bf ? new long[]{batch, seq} : new long[]{seq, batch};
                case SEQUENCE_OUTPUT -> bf ? new long[]{batch, seq, ms.outputSize()} : new long[]{seq, batch, ms.outputSize()};
                case LAST_STEP_OUTPUT, FINAL_STATE_OUTPUT, POOLED_OUTPUT -> new long[]{batch, ms.outputSize()};
                case LAYER_Y -> bf ? new long[]{batch, seq, dirs, last} : new long[]{seq, dirs, batch, last};
                case SEQUENCE_LENS, CONSTANT_SEQUENCE_LENS -> new long[]{batch};
                case INITIAL_H, INITIAL_C, FINAL_H, FINAL_C -> ms.stateLayout() == StateLayout.LAYER_MAJOR
                        ? new long[]{slots, batch, h} : new long[]{batch, slots, h};
            };
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Resolves "NAME=file" (or a bare file, meaning {@code defaultName}) against the model's names. */
    private Map<IoSpec, Path> byName(List<String> args, List<IoSpec> known, String defaultName, String option) {
        Map<IoSpec, Path> out = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            String name = eq < 0 ? defaultName : a.substring(0, eq);
            IoSpec io = known.stream().filter(k -> k.name().equals(name)).findFirst().orElse(null);
            if (io == null || io.role() == IoSpec.Role.SEQUENCE_LENS)
                throw new ParameterException(spec.commandLine(), option + " names '" + name + "', but the model's are "
                        + known.stream().filter(k -> k.role() != IoSpec.Role.SEQUENCE_LENS).map(k -> "'" + k.name() + "'").toList()
                        + (eq < 0 ? "" : "") + (io != null ? " (give sequence lengths with --lengths)" : ""));
            if (out.put(io, Path.of(eq < 0 ? a : a.substring(eq + 1))) != null)
                throw new ParameterException(spec.commandLine(), option + " names '" + name + "' twice");
        }
        return out;
    }
}
