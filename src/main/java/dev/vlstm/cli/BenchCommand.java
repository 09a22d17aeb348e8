package dev.vlstm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code bench MODEL.vlstm}: the tool a user runs to size a deployment — warms up, then times calls one by one and
 * prints the latency distribution, throughput and bytes allocated per call. For comparisons between versions or with
 * other runtimes use the JMH suite (tools/bench), which controls forks and warm-up properly.
 */
@Command(name = "bench", description = "Measure latency per call (or per step with --stream), throughput and allocation.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL.vlstm")
    Path modelFile;

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

    @Option(names = "--warmup", defaultValue = "5", paramLabel = "SECONDS",
            description = "Warm-up time before measuring, so the JIT compiles the kernels (default 5 s).")
    double warmup;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (threads < 1 || threads > Session.MAX_THREADS)
            throw new ParameterException(spec.commandLine(), "--threads " + threads + ": expected 1.." + Session.MAX_THREADS);
        if (seq < 1 || batch < 1 || calls < 1)
            throw new ParameterException(spec.commandLine(), "--seq, --batch and --calls must be >= 1");
        try (Model model = Model.load(modelFile); Session session = model.newSession(seq, batch, threads)) {
            Random rnd = new Random(1);
            float[] x = new float[(stream ? 1 : seq) * batch * model.inputSize()];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 2 - 1;
            float[] y = new float[stream ? batch * model.outputSize() : Math.toIntExact(session.run(new float[x.length], seq, batch).length)];
            LstmState[] states = new LstmState[batch];
            if (stream) for (int b = 0; b < batch; b++) states[b] = model.newState();
            Runnable one = stream ? () -> session.step(states, batch, x, y) : () -> session.run(x, seq, batch, y);
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
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

    /** Bytes allocated so far by these threads (one id at a time: the array form was seen to over-count). */
    private static long allocated(com.sun.management.ThreadMXBean mx, long[] tids) {
        long sum = 0;
        for (long id : tids) sum += Math.max(0, mx.getThreadAllocatedBytes(id));
        return sum;
    }
}
