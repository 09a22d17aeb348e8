package dev.vlstm.flink;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Comparisons of the scores a job produced with the {@link Reference}. */
final class Scores {
    private Scores() {
    }

    /**
     * Asserts that every reference event was scored and every score received, replays included, equals its
     * reference bit for bit (float bits, so -0 and NaN count too); returns how many scores were replays (a second or
     * later score of one event).
     */
    static int assertBitForBit(Map<String, float[]> reference, Collection<Score> received) {
        return assertMatches(reference, received, 0);
    }

    /**
     * As {@link #assertBitForBit}, but a score may differ from its reference by up to {@code tolerance} in any value
     * (0: bit for bit).
     */
    static int assertMatches(Map<String, float[]> reference, Collection<Score> received, double tolerance) {
        Map<String, Integer> seen = new HashMap<>();
        for (Score s : received) {
            float[] expected = reference.get(s.event());
            if (expected == null) fail("score for " + s.event() + ", an event the reference does not have");
            boolean equal = tolerance == 0 ? Arrays.equals(floatBits(expected), floatBits(s.y()))
                    : maxDiff(expected, s.y()) <= tolerance;
            if (!equal)
                fail(s.event() + ": Flink's output " + Arrays.toString(s.y()) + " differs from stepping the key alone "
                        + Arrays.toString(expected) + " (max |diff| " + maxDiff(expected, s.y()) + ", allowed "
                        + tolerance + ")");
            seen.merge(s.event(), 1, Integer::sum);
        }
        TreeSet<String> missing = new TreeSet<>(reference.keySet());
        missing.removeAll(seen.keySet());
        assertTrue(missing.isEmpty(), missing.size() + " events never scored, e.g. " + missing.stream().limit(5).toList());
        assertEquals(reference.size(), seen.size());
        return received.size() - seen.size();
    }

    /** How many of the scores received equal their reference bit for bit. */
    static long bitForBit(Map<String, float[]> reference, Collection<Score> received) {
        return received.stream().filter(s -> Arrays.equals(floatBits(reference.get(s.event())), floatBits(s.y()))).count();
    }

    private static int[] floatBits(float[] a) {
        int[] bits = new int[a.length];
        for (int i = 0; i < a.length; i++) bits[i] = Float.floatToRawIntBits(a[i]);
        return bits;
    }

    private static double maxDiff(float[] a, float[] b) {
        if (a.length != b.length) return Double.NaN;
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }
}
