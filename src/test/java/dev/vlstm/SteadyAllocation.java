package dev.vlstm;

import dev.vlstm.kernel.Kernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.management.JMException;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * The bytes a call allocates once the JIT has settled, for the tests that hold vlstm to allocating nothing per call.
 *
 * <p>Why a wait and not a fixed warm-up: how long C2 takes to compile the kernels, or to recompile one after a
 * deoptimization, depends on the machine and on what else its compiler thread has queued. On a busy 2-core CI
 * machine a fixed warm-up that is ample on the machine it was written on has been too short (2026-12-06, d67cfff:
 * 105 KB per W3-sized call after 6 s there, none on the Zen 3 and Zen 5 machines at hand). So the call is measured,
 * and while it allocates more than allowed it is warmed and measured again, for up to {@link #MAX_WAIT}. A kernel in
 * the Vector API's Java fallback for good (compiled without its intrinsics) allocates through the whole wait and fails.
 *
 * <p>Only when the first measurement allocates does a JFR recording start, so that a failure says what allocated and
 * what the JIT did meanwhile: the allocation sites (JFR's samples, with the first vlstm frame), the deoptimizations of
 * vlstm's methods and their compilations during the wait. A failing CI run on a CPU no one here has is then explained
 * by its own message.
 */
public final class SteadyAllocation {

    /** The longest wait, past the warm-up a test asks for, for a call to stop allocating. */
    static final Duration MAX_WAIT = Duration.ofSeconds(30);
    private static final long WINDOW_NANOS = 250_000_000L, REWARM_NANOS = 1_000_000_000L;
    private static final int MIN_CALLS = 20;

    /** Bytes per call and, when over the allowance, why (empty otherwise). */
    public record Result(long bytesPerCall, String diagnosis) {
        @Override
        public String toString() {
            return bytesPerCall + " bytes per call" + (diagnosis.isEmpty() ? "" : "; " + diagnosis);
        }
    }

    private SteadyAllocation() {}

    /**
     * Runs {@code call} for {@code warmUp}, then measures the bytes it allocates per call, on this thread and on the
     * threads whose names start with one of {@code workerPrefixes}, until that is at most {@code allowed} or
     * {@link #MAX_WAIT} has passed.
     */
    public static Result measure(Runnable call, Duration warmUp, long allowed, String... workerPrefixes) {
        runFor(call, warmUp.toNanos());
        long first = bytesPerCall(call, workerPrefixes), perCall = first;
        if (perCall <= allowed) return new Result(perCall, "");
        try (Recording recording = startRecording()) {
            Instant waitStart = Instant.now();
            long deadline = System.nanoTime() + MAX_WAIT.toNanos();
            Instant lastWindow = Instant.now();
            while (perCall > allowed && System.nanoTime() < deadline) {
                runFor(call, REWARM_NANOS);
                lastWindow = Instant.now();
                perCall = bytesPerCall(call, workerPrefixes);
            }
            double waited = Duration.between(waitStart, Instant.now()).toMillis() / 1e3;
            if (perCall <= allowed) {       // worth knowing when a warm-up was too short, though no failure
                System.out.printf(Locale.ROOT, "SteadyAllocation: %s: %d bytes per call after %.1f s more (was %d); "
                        + "during the wait: %s%n", caller(), perCall, waited, first, explain(recording, waitStart, waitStart));
                return new Result(perCall, "");
            }
            String why = explain(recording, waitStart, lastWindow);
            return new Result(perCall, String.format(Locale.ROOT, "still allocating after %.1f s more on %s, %s; %s",
                    waited, Kernels.active(), dev.vlstm.cli.KernelCheck.cpuModel(), why));
        }
    }

    /** The test method that asked, for the log. */
    private static String caller() {
        return StackWalker.getInstance().walk(frames -> frames.filter(f -> f.getClassName().endsWith("Test"))
                .findFirst().map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "."
                        + f.getMethodName()).orElse("?"));
    }

    private static void runFor(Runnable call, long nanos) {
        long until = System.nanoTime() + nanos;
        do call.run(); while (System.nanoTime() < until);
    }

    /**
     * Bytes per call over at least {@value #MIN_CALLS} calls and a quarter of a second, less what reading the counters
     * costs (measured as the difference of two reads in a row).
     */
    private static long bytesPerCall(Runnable call, String... workerPrefixes) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<Long> threads = new ArrayList<>(List.of(Thread.currentThread().threadId()));
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            for (String prefix : workerPrefixes) if (t.getName().startsWith(prefix)) threads.add(t.threadId());
        }
        long[] ids = threads.stream().mapToLong(Long::longValue).toArray();
        long read0 = allocated(mx, ids), before = allocated(mx, ids), calls = 0, until = System.nanoTime() + WINDOW_NANOS;
        do {
            call.run();
            calls++;
        } while (calls < MIN_CALLS || System.nanoTime() < until);
        return Math.max(0, allocated(mx, ids) - before - (before - read0)) / calls;
    }

    private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
        long bytes = 0;
        for (long id : ids) bytes += Math.max(0, mx.getThreadAllocatedBytes(id));
        return bytes;
    }

    private static Recording startRecording() {
        Recording r = new Recording();
        r.enable("jdk.ObjectAllocationSample").with("throttle", "2000/s").withStackTrace();
        r.enable("jdk.Deoptimization").withoutStackTrace();
        r.enable("jdk.Compilation").withThreshold(Duration.ZERO);
        r.start();
        return r;
    }

    /** What allocated in the last window, and what the JIT did to vlstm's methods during the wait. */
    private static String explain(Recording recording, Instant waitStart, Instant lastWindow) {
        List<RecordedEvent> events;
        try {
            Path file = Files.createTempFile("vlstm-allocation-", ".jfr");
            try {
                recording.stop();
                recording.dump(file);
                events = RecordingFile.readAllEvents(file);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the JFR recording of the wait", e);
        }
        Map<String, Integer> sites = new TreeMap<>(), deopts = new TreeMap<>(), compiles = new TreeMap<>();
        for (RecordedEvent e : events) {
            switch (e.getEventType().getName()) {
                case "jdk.ObjectAllocationSample" -> {
                    if (!e.getStartTime().isBefore(lastWindow)) sites.merge(allocationSite(e), 1, Integer::sum);
                }
                case "jdk.Deoptimization" -> {
                    RecordedMethod m = e.getValue("method");
                    if (isVlstm(m)) deopts.merge(name(m) + " bci " + e.getInt("bci") + " " + e.getString("reason")
                            + "/" + e.getString("action"), 1, Integer::sum);
                }
                case "jdk.Compilation" -> {
                    RecordedMethod m = e.getValue("method");
                    if (isVlstm(m) && !e.getStartTime().isBefore(waitStart))
                        compiles.merge(name(m) + " level " + e.getValue("compileLevel")
                                + (e.getBoolean("isOsr") ? " OSR" : ""), 1, Integer::sum);
                }
                default -> { }
            }
        }
        Map<String, SortedSet<Integer>> levels = codeLevels();
        String allocating = sites.keySet().stream().map(site -> site.substring(site.lastIndexOf(" from ") + 6))
                .map(f -> f.substring(0, f.indexOf(':') < 0 ? f.length() : f.indexOf(':'))).distinct()
                .map(m -> m + " " + levels.getOrDefault(m, new TreeSet<>()))
                .collect(Collectors.joining(", "));
        return "allocation samples (JFR): " + top(sites) + "; compiled code in use for those vlstm"
                + " methods, by tier (4 is C2, none means interpreted): " + (allocating.isEmpty() ? "none" : allocating)
                + "; deoptimizations of vlstm methods: " + top(deopts)
                + "; compilations of vlstm methods during the wait: " + top(compiles);
    }

    /**
     * The tiers of the compiled code in use for each vlstm method ("Compiler.codelist": id, tier, state 0 for in
     * use, method), or an empty map where the diagnostic command is not there.
     */
    private static Map<String, SortedSet<Integer>> codeLevels() {
        Map<String, SortedSet<Integer>> levels = new TreeMap<>();
        try {
            var server = ManagementFactory.getPlatformMBeanServer();
            String list = (String) server.invoke(new ObjectName(
                            "com.sun.management:type=DiagnosticCommand"), "compilerCodelist",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            for (String line : list.split("\n")) {
                String[] f = line.trim().split(" ");
                if (f.length < 4 || !f[2].equals("0") || !f[3].startsWith("dev.vlstm.")) continue;
                String method = f[3].substring(0, f[3].indexOf('('));
                String type = method.substring(0, method.lastIndexOf('.'));
                String name = type.substring(type.lastIndexOf('.') + 1) + method.substring(method.lastIndexOf('.'));
                levels.computeIfAbsent(name, k -> new TreeSet<>()).add(Integer.parseInt(f[1]));
            }
        } catch (JMException | RuntimeException e) {
            return Map.of();
        }
        return levels;
    }

    /** The allocated class, the frame that allocated it and the first vlstm frame below it. */
    private static String allocationSite(RecordedEvent e) {
        String type = e.getClass("objectClass").getName();
        if (e.getStackTrace() == null) return type;
        List<RecordedFrame> frames = e.getStackTrace().getFrames();
        String top = frames.isEmpty() ? "?" : frame(frames.get(0));
        String vlstm = frames.stream().filter(f -> isVlstm(f.getMethod())).findFirst().map(SteadyAllocation::frame)
                .orElse("no vlstm frame");
        return type + " in " + top + " from " + vlstm;
    }

    private static boolean isVlstm(RecordedMethod m) {
        return m != null && m.getType().getName().startsWith("dev.vlstm.") && !m.getType().getName().endsWith("Test");
    }

    private static String name(RecordedMethod m) {
        String type = m.getType().getName();
        int lambda = type.indexOf("$$Lambda");       // a lambda's hidden class: name the class that holds it
        if (lambda > 0) type = type.substring(0, lambda) + "$$Lambda";
        return type.substring(type.lastIndexOf('.') + 1) + "." + m.getName();
    }

    private static String frame(RecordedFrame f) {
        return name(f.getMethod()) + ":" + f.getLineNumber() + (f.isJavaFrame() ? "" : " (native)")
                + " [" + f.getType() + "]";
    }

    private static String top(Map<String, Integer> counts) {
        if (counts.isEmpty()) return "none";
        return counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(6)
                .map(en -> en.getValue() + " x " + en.getKey()).collect(Collectors.joining(", "));
    }
}
