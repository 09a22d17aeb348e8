package dev.vlstm.cli;

import dev.vlstm.kernel.Kernels;
import dev.vlstm.kernel.LstmKernels;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench --check}: whether this JVM on this machine has the fast path, without a model. It names the kernels in
 * use, times the matrix kernel ({@code project}, gates = 4, on W4's step shape: {@value #ROWS} rows, k = {@value #K},
 * {@value #PANELS} panels) and the one-row step ({@code lstmStep}, batch 1, hidden {@value #HIDDEN}), and counts the
 * bytes each allocates per call after warm-up. The fast path is there when the Vector API kernels run and allocate
 * nothing; a Vector API kernel that allocates runs in the API's Java fallback, without intrinsics.
 */
public final class KernelCheck {
    static final int ROWS = 64, K = 256, PANELS = 16, HIDDEN = 256;
    /** Timed batches per kernel; the reported speed is their median. */
    private static final int BATCHES = 10;
    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    /** Longest warm-up past the one asked for, while the kernels still allocate. */
    static final double MAX_EXTRA_WARMUP_SECONDS = 10;
    /** JVM options under which C2 never compiles the kernels. */
    private static final Pattern NO_C2 = Pattern.compile("-Xint|-XX:TieredStopAtLevel=[0-3]|-XX:-UseCompiler");
    private static final Pattern LANES = Pattern.compile("vector \\((\\d+) lanes\\)");

    /** What the check found; {@code problems} is empty when the fast path is there. */
    record Report(String kernels, int vectorBits, String cpu, String arch, boolean vectorModule, String java,
                  double warmupSeconds,
                  double gflops, double stepGbps, double projectBytesPerCall, double stepBytesPerCall,
                  List<String> problems) {
        boolean ok() {
            return problems.isEmpty();
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kernels", kernels);
            m.put("vector_bits", vectorBits);
            m.put("cpu", cpu);
            m.put("arch", arch);
            m.put("vector_module", vectorModule);
            m.put("java", java);
            m.put("warmup_seconds", warmupSeconds);
            m.put("project_shape", ROWS + "x" + K + "x" + PANELS);
            m.put("gflops", gflops);
            m.put("step_hidden", HIDDEN);
            m.put("step_gbps", stepGbps);
            Map<String, Object> bytes = new LinkedHashMap<>();
            bytes.put("project", projectBytesPerCall);
            bytes.put("step", stepBytesPerCall);
            m.put("bytes_allocated_per_call", bytes);
            m.put("ok", ok());
            m.put("problems", problems);
            return m;
        }

        List<String> lines() {
            List<String> l = new ArrayList<>();
            l.add("kernels: " + kernels + (vectorBits > 0 ? ", " + vectorBits + "-bit vectors" : "")
                    + "; " + VECTOR_MODULE + (vectorModule ? " present" : " not in the boot layer"));
            l.add("cpu: " + cpu + ", " + arch + ", Java " + java);
            l.add(String.format(Locale.ROOT,
                    "matrix kernel (project, %d rows x k %d x %d panels): %.1f GFLOP/s, %s bytes allocated per call",
                    ROWS, K, PANELS, gflops, bytes(projectBytesPerCall)));
            l.add(String.format(Locale.ROOT,
                    "one-row step (lstmStep, hidden %d): %.1f GB/s of R, %s bytes allocated per call",
                    HIDDEN, stepGbps, bytes(stepBytesPerCall)));
            if (ok()) l.add("fast path OK");
            else for (String p : problems) l.add("problem: " + p);
            return l;
        }

        private static String bytes(double b) {
            return b == Math.rint(b) ? String.valueOf((long) b) : String.format(Locale.ROOT, "%.1f", b);
        }
    }

    private KernelCheck() {
    }

    /**
     * Warms both kernels up for at least {@code warmupSeconds} (alternating, as a model's run calls them) and then,
     * while they still allocate, for up to {@value #MAX_EXTRA_WARMUP_SECONDS} s more: C2 may still be compiling them,
     * which takes seconds on a busy machine. Then times each for {@code measureSeconds} on the calling thread.
     */
    static Report run(double warmupSeconds, double measureSeconds) {
        LstmKernels kernels = Kernels.get();
        Random rnd = new Random(1);
        ProjectCall project = new ProjectCall(kernels, rnd);
        StepCall step = new StepCall(kernels, rnd);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long start = System.nanoTime(), end = start + (long) (warmupSeconds * 1e9);
        long last = end + (long) (MAX_EXTRA_WARMUP_SECONDS * 1e9);
        warmUp(project, step, end);
        while (allocates(project, step, mx) && System.nanoTime() < last)
            warmUp(project, step, System.nanoTime() + 200_000_000L);
        double warmedUp = (System.nanoTime() - start) / 1e9;
        Timing p = time(project, measureSeconds, mx), s = time(step, measureSeconds, mx);
        double flops = 2.0 * ROWS * K * PANELS * 4 * LstmKernels.PANEL;
        double rBytes = (double) step.r.length * Float.BYTES;

        String name = kernels.name();
        Matcher lanes = LANES.matcher(name);
        int bits = lanes.matches() ? Integer.parseInt(lanes.group(1)) * Float.SIZE : 0;
        boolean module = ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
        List<String> problems = problems(bits, p.bytesPerCall, s.bytesPerCall, bits == 0 ? whyScalar() : null,
                ManagementFactory.getRuntimeMXBean().getInputArguments());
        return new Report(name, bits, cpuModel(), System.getProperty("os.arch"), module, Runtime.version().toString(),
                warmedUp, flops / p.secondsPerCall / 1e9, rBytes / s.secondsPerCall / 1e9,
                p.bytesPerCall, s.bytesPerCall, problems);
    }

    /**
     * The verdict: empty when the Vector API kernels ({@code vectorBits > 0}) run and allocate nothing, else one line
     * per problem naming its fix. {@code whyScalar} explains the plain-Java kernels; {@code jvmOptions} are searched
     * for options that keep C2, which compiles the Vector API's intrinsics, from compiling the kernels.
     */
    static List<String> problems(int vectorBits, double projectBytesPerCall, double stepBytesPerCall, String whyScalar,
                                 List<String> jvmOptions) {
        List<String> problems = new ArrayList<>();
        if (vectorBits == 0) problems.add(whyScalar);
        if (projectBytesPerCall > 0 || stepBytesPerCall > 0) {
            String amounts = Report.bytes(projectBytesPerCall) + " bytes per call of project, "
                    + Report.bytes(stepBytesPerCall) + " of lstmStep";
            String noC2 = jvmOptions.stream().filter(o -> NO_C2.matcher(o).matches()).findFirst().orElse(null);
            String fix = noC2 != null ? "; " + noC2 + " keeps C2 from compiling them: remove it"
                    : "; please report the CPU and JDK";
            problems.add((vectorBits > 0 ? "the Vector API kernels run without their intrinsics (allocating "
                    : "the kernels allocate (") + amounts + ")" + fix);
        }
        return List.copyOf(problems);
    }

    private static void warmUp(Runnable project, Runnable step, long until) {
        do {
            project.run();
            for (int i = 0; i < 10; i++) step.run();
        } while (System.nanoTime() < until);
    }

    /** Whether one call of {@code project} and ten of {@code step} allocate. */
    private static boolean allocates(Runnable project, Runnable step, com.sun.management.ThreadMXBean mx) {
        long a0 = mx.getCurrentThreadAllocatedBytes(), a1 = mx.getCurrentThreadAllocatedBytes();
        project.run();
        for (int i = 0; i < 10; i++) step.run();
        return mx.getCurrentThreadAllocatedBytes() - a1 - (a1 - a0) > 0;
    }

    /** Why {@link Kernels#get()} gave the plain-Java kernels, and the fix. */
    private static String whyScalar() {
        String forced = System.getProperty(Kernels.PROPERTY);
        if (forced != null && forced.trim().equalsIgnoreCase("scalar"))
            return "the plain-Java kernels run because -D" + Kernels.PROPERTY + "=" + forced
                   + " is set; remove it for the Vector API kernels";
        try {
            Kernels.vector();
            return "the plain-Java kernels run although the Vector API kernels can start;"
                   + " please report the CPU and JDK";
        } catch (IllegalStateException e) {  // the message says why, and for a missing module how to fix it
            return "the plain-Java kernels run because " + e.getMessage();
        }
    }

    /**
     * The first "model name" of /proc/cpuinfo, with its "cpu family" and "model" where given (a virtual machine's name
     * can be as plain as "AMD EPYC"), or os.arch where there is no name (other systems, some ARM kernels).
     */
    public static String cpuModel() {
        Map<String, String> first = new LinkedHashMap<>();
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            for (String l : (Iterable<String>) lines::iterator) {
                int colon = l.indexOf(':');
                if (l.isBlank()) break;                  // the end of the first processor's block
                if (colon > 0) first.putIfAbsent(l.substring(0, colon).strip(), l.substring(colon + 1).strip());
            }
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
        String name = first.getOrDefault("model name", "");
        if (name.isEmpty()) return System.getProperty("os.arch");
        String family = first.get("cpu family"), model = first.get("model");
        return family != null && model != null ? name + " (family " + family + " model " + model + ")" : name;
    }

    private record Timing(double secondsPerCall, double bytesPerCall) {
    }

    /**
     * The median time per call over {@link #BATCHES} batches of about {@code seconds / BATCHES} each, and the bytes the
     * calling thread allocated per call over all of them, less what reading the counter itself allocates.
     */
    private static Timing time(Runnable call, double seconds, com.sun.management.ThreadMXBean mx) {
        long t0 = System.nanoTime();
        call.run();
        long once = Math.max(1, System.nanoTime() - t0);
        int perBatch = (int) Math.max(1, Math.min(1_000_000, seconds / BATCHES * 1e9 / once));
        double[] perCall = new double[BATCHES];
        long a0 = mx.getCurrentThreadAllocatedBytes(), a1 = mx.getCurrentThreadAllocatedBytes();
        for (int b = 0; b < BATCHES; b++) {
            long start = System.nanoTime();
            for (int i = 0; i < perBatch; i++) call.run();
            perCall[b] = (System.nanoTime() - start) / 1e9 / perBatch;
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - a1 - (a1 - a0);
        Arrays.sort(perCall);
        return new Timing(perCall[BATCHES / 2], Math.max(0, allocated) / ((double) BATCHES * perBatch));
    }

    /** W4's gate projection: {@value #ROWS} rows x k {@value #K} through {@value #PANELS} panels of 4 gates. */
    private static final class ProjectCall implements Runnable {
        final LstmKernels kernels;
        final float[] x, w, out;

        ProjectCall(LstmKernels kernels, Random rnd) {
            this.kernels = kernels;
            x = uniform(rnd, ROWS * K, 1f);
            w = uniform(rnd, K * PANELS * 4 * LstmKernels.PANEL, 0.1f);
            out = new float[ROWS * PANELS * 4 * LstmKernels.PANEL];
        }

        @Override
        public void run() {
            int width = PANELS * 4 * LstmKernels.PANEL;
            kernels.project(x, 0, K, ROWS, K, w, null, PANELS, 4, out, 0, width, width);
        }
    }

    /**
     * A batch-1 step at hidden {@value #HIDDEN}: it streams R (1 MiB) once. {@code pre} is the kernel's scratch, so
     * each call first restores it (4 KB, next to the 1 MiB of R); h and the next h swap, as in a sequence.
     */
    private static final class StepCall implements Runnable {
        final LstmKernels kernels;
        final float[] r, preInit, pre, c;
        float[] h, hOut;

        StepCall(LstmKernels kernels, Random rnd) {
            this.kernels = kernels;
            int panels = HIDDEN / LstmKernels.PANEL, width = panels * 4 * LstmKernels.PANEL;
            r = uniform(rnd, HIDDEN * width, 0.1f);
            preInit = uniform(rnd, width, 1f);
            pre = new float[width];
            h = uniform(rnd, HIDDEN, 0.5f);
            hOut = new float[HIDDEN];
            c = uniform(rnd, HIDDEN, 0.5f);
        }

        @Override
        public void run() {
            System.arraycopy(preInit, 0, pre, 0, pre.length);
            kernels.lstmStep(1, HIDDEN, r, pre, 0, pre.length, h, 0, HIDDEN, c, 0, HIDDEN, hOut, 0, HIDDEN);
            float[] swap = h;
            h = hOut;
            hOut = swap;
        }
    }

    private static float[] uniform(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }
}
