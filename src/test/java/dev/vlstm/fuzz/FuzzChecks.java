package dev.vlstm.fuzz;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;

/** Assertions shared by the fuzz targets; a failed one is reported by Jazzer as a finding with its input. */
final class FuzzChecks {
    private FuzzChecks() {
    }

    /** A hang is a finding too. Far above the slowest input seen (well under a second). */
    static final Duration PER_INPUT = Duration.ofSeconds(20);

    /** Set by tools/fuzz: Jazzer is generating inputs rather than replaying the corpus (Jazzer's own test). */
    private static final boolean FUZZING = isTrue(System.getenv("JAZZER_FUZZ")) || isTrue(System.getProperty("JAZZER_FUZZ"));

    private static boolean isTrue(String v) {
        return v != null && (v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes"));
    }

    /**
     * Runs one input. When replaying the corpus (every {@code mvn verify}) a hang fails after {@link #PER_INPUT};
     * when fuzzing, libFuzzer's {@code -timeout} (set by tools/fuzz) does that instead. ({@code @Timeout} cannot be
     * used: in fuzzing mode JUnit applies it to the whole fuzzing run, which is one test invocation.)
     */
    static void run(Executable input) throws Throwable {
        if (FUZZING) input.execute();
        else Assertions.assertTimeoutPreemptively(PER_INPUT, input);
    }

    /** Errors must start with the file they are about ("model.onnx: graph.node[3]: ..."). */
    static void namesSource(RuntimeException e, String source) {
        String m = e.getMessage();
        if (m == null || !m.startsWith(source + ": "))
            throw new AssertionError("error message does not start with '" + source + ": ': " + m, e);
    }
}
