package dev.vlstm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;
import dev.vlstm.RunArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code bench MODEL.vlstm}: the tool a user runs to size a deployment — warms up, then times calls one by one and
 * prints the latency distribution, throughput and bytes allocated per call. For comparisons between versions or with
 * other runtimes use the JMH suite (tools/bench), which controls forks and warm-up properly.
 *
 * <p>{@code bench --check} needs no model: it checks that the fast path is there ({@link KernelCheck}) and exits 0 when
 * it is, 1 when it is not.
 */
@Command(name = "bench", description = {
        "Measure latency per call (or per step with --stream), throughput and allocation.",
        "With --check and no model: check the fast path (kernels, their speed here, allocation);"
                + " exit 0 if OK, 1 if not."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL.vlstm", description = "The model (not with --check).")
    Path modelFile;

    @Option(names = "--check", description = "Check the fast path without a model: the kernels in use, the matrix"
            + " kernel's GFLOP/s and the one-row step's GB/s on this machine, bytes allocated per call. Exit 0 when the"
            + " Vector API kernels run and allocate nothing, else 1 with the problem and its fix.")
    boolean check;

    @Option(names = "--measure", paramLabel = "SECONDS",
            description = "With --check: measured time per kernel (default 1 s).")
    Double measure;

    @Option(names = "--seq", defaultValue = "100", description = "Timesteps per call (default 100).")
    int seq;

    @Option(names = "--batch", defaultValue = "1", description = "Sequences per call (default 1).")
    int batch;

    @Option(names = "--threads", defaultValue = "1", description = "Intra-op threads, the calling thread included (default 1).")
    int threads;

    @Option(names = "--stream", description = "Time single steps with carried state (batch streams per step).")
    boolean stream;

    @Option(names = "--calls", defaultValue = "2000", description = "Measured calls (default 2000).")
    int calls;

    @Option(names = "--warmup", paramLabel = "SECONDS",
            description = "Warm-up time before measuring, so the JIT compiles the kernels"
                    + " (default 5 s; with --check 2 s, and up to 10 s more while the kernels still allocate).")
    Double warmup;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (warmup != null && !(warmup >= 0))
            throw new ParameterException(spec.commandLine(), "--warmup " + warmup + ": expected a time >= 0 s");
        if (check) return check();
        if (modelFile == null)
            throw new ParameterException(spec.commandLine(),
                    "Missing required parameter: 'MODEL.vlstm' (or --check, to check the kernels without a model)");
        if (measure != null)
            throw new ParameterException(spec.commandLine(),
                    "--measure is for --check; a model's bench counts --calls");
        double warmSeconds = warmup != null ? warmup : 5;
        if (threads < 1 || threads > Session.MAX_THREADS)
            throw new ParameterException(spec.commandLine(), "--threads " + threads + ": expected 1.." + Session.MAX_THREADS);
        if (seq < 1 || batch < 1 || calls < 1)
            throw new ParameterException(spec.commandLine(), "--seq, --batch and --calls must be >= 1");
        try (Model model = Model.load(modelFile); Session session = model.newSession(seq, batch, threads)) {
            Random rnd = new Random(1);
            float[] x = new float[(stream ? 1 : seq) * batch * model.inputSize()];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 2 - 1;
            // A token-ids model: random ids over its whole vocabulary instead of features.
            int[] ids = new int[model.takesTokenIds() ? (stream ? 1 : seq) * batch : 0];
            for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(model.vocabularySize());
            float[] y = new float[Math.toIntExact(stream ? (long) batch * model.outputSize() : session.mainOutputSize(seq, batch))];
            LstmState[] states = new LstmState[batch];
            if (stream) for (int b = 0; b < batch; b++) states[b] = model.newState();
            RunArgs idArgs = new RunArgs().tokens(ids, seq, batch).output(y);
            Runnable one = model.takesTokenIds()
                    ? (stream ? () -> session.step(states, batch, ids, y) : () -> session.run(idArgs))
                    : (stream ? () -> session.step(states, batch, x, y) : () -> session.run(x, seq, batch, y));
            long warmEnd = System.nanoTime() + (long) (warmSeconds * 1e9);
            do {
                for (int i = 0; i < 100; i++) one.run();
            } while (System.nanoTime() < warmEnd);
            // Allocation counts the calling thread and the session's workers (named "vlstm-<file>-<n>").
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long[] tids = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t == Thread.currentThread() || t.getName().startsWith("vlstm-"))
                    .mapToLong(Thread::threadId).toArray();
            long[] ns = new long[calls];
            long alloc0 = allocated(mx, tids), start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                one.run();
                ns[i] = System.nanoTime() - t0;
            }
            long total = System.nanoTime() - start, allocated = allocated(mx, tids) - alloc0;
            Arrays.sort(ns);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", modelFile.toString());
            r.put("mode", stream ? "step" : "run");
            r.put("seq", stream ? 1 : seq);
            r.put("batch", batch);
            r.put("threads", threads);
            r.put("kernels", session.kernels());
            // Since 472c249 a reduced model holds W and R reduced (README, "Smaller weight files").
            r.put("weights", model.spec().weights().label + (model.spec().weights() == dev.vlstm.format.WeightType.FP32
                    ? "" : " (W and R held reduced: one row reads them so, several rows widen a panel at a time; heads"
                    + " widened to fp32 at load; a small int8 model decoded at load)"));
            r.put("calls", calls);
            r.put("median_us", ns[calls / 2] / 1e3);
            r.put("p90_us", ns[(int) (calls * 0.9)] / 1e3);
            r.put("p99_us", ns[Math.min(calls - 1, (int) (calls * 0.99))] / 1e3);
            r.put("calls_per_second", calls / (total / 1e9));
            r.put("sequences_per_second", calls * (double) batch / (total / 1e9));
            r.put("bytes_allocated_per_call", (double) allocated / calls);
            var out = spec.commandLine().getOut();
            if (json) out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
            else r.forEach((k, v) -> out.printf("%s: %s%n", k, v instanceof Double d ? String.format("%.2f", d) : v));
        }
        return 0;
    }

    /** {@code bench --check}: exit 0 when the fast path is there, 1 when not. */
    private int check() throws Exception {
        var parsed = spec.commandLine().getParseResult();
        List<String> modelOnly = new ArrayList<>();
        if (modelFile != null) modelOnly.add("MODEL.vlstm");
        for (String o : List.of("--seq", "--batch", "--threads", "--stream", "--calls"))
            if (parsed.hasMatchedOption(o)) modelOnly.add(o);
        if (!modelOnly.isEmpty())
            throw new ParameterException(spec.commandLine(), "--check runs the kernels alone, without a model; "
                    + String.join(", ", modelOnly) + " belong to a model's bench");
        double seconds = measure != null ? measure : 1;
        if (!(seconds > 0) || seconds > 600)
            throw new ParameterException(spec.commandLine(),
                    "--measure " + seconds + ": expected a time in (0, 600] s");
        KernelCheck.Report report = KernelCheck.run(warmup != null ? warmup : 2, seconds);
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(report.toMap()));
        } else {
            report.lines().forEach(out::println);
        }
        return report.ok() ? 0 : 1;
    }

    /** Bytes allocated so far by these threads (one id at a time: the array form was seen to over-count). */
    private static long allocated(com.sun.management.ThreadMXBean mx, long[] tids) {
        long sum = 0;
        for (long id : tids) sum += Math.max(0, mx.getThreadAllocatedBytes(id));
        return sum;
    }
}
