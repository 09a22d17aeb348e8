package dev.vlstm;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A diagnostic for the two-thread slow mode (BENCHMARKS.md): in rounds of a few tenths of a second, the median call of
 * a 2-thread session next to the round trip of one cache line between that session's own two threads, and how long
 * each of them takes for a fixed FMA loop. It shows whether a slow round is slow because the cores are busy (the FMA
 * loop slows) or because the two vCPUs sit far apart (the round trip grows).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.vlstm.PlacementProbe \
 *     MODEL.vlstm SEQ BATCH [ROUNDS]
 * </pre>
 */
public final class PlacementProbe {
    private static final int BOUNCES = 2000;
    private static final AtomicIntegerArray LINE = new AtomicIntegerArray(48);   // the bounced slot is index 16
    private static volatile double sink;

    public static void main(String[] args) throws Exception {
        int seq = Integer.parseInt(args[1]), batch = Integer.parseInt(args[2]);
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        try (Model model = Model.load(Path.of(args[0])); Session session = model.newSession(seq, batch, 2)) {
            float[] x = new float[seq * batch * model.inputSize()], y = session.run(x, seq, batch);
            long warm = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < warm) session.run(x, seq, batch, y);
            Team team = session.team();
            long[] ns = new long[2];
            Team.Job pingPong = (part, parts) -> {
                if (part == 0) LINE.set(16, 0);
                team.barrier();
                long t0 = System.nanoTime();
                for (int i = 0; i < BOUNCES; i++) {
                    while (LINE.get(16) != 2 * i + part) Thread.onSpinWait();
                    LINE.set(16, 2 * i + part + 1);
                }
                ns[part] = System.nanoTime() - t0;
            };
            Team.Job fma = (part, parts) -> {
                long t0 = System.nanoTime();
                sink = fmaLoop(20_000_000);
                ns[part] = System.nanoTime() - t0;
            };
            for (int i = 0; i < 20; i++) {
                team.run(pingPong);
                team.run(fma);
            }
            System.out.println("call_us  round_trip_ns  fma_ms_caller  fma_ms_worker");
            for (int r = 0; r < rounds; r++) {
                long[] calls = new long[Math.max(100, (int) (300_000_000L / Math.max(1, median(session, x, seq, batch, y))))];
                for (int i = 0; i < calls.length; i++) {
                    long t0 = System.nanoTime();
                    session.run(x, seq, batch, y);
                    calls[i] = System.nanoTime() - t0;
                }
                Arrays.sort(calls);
                team.run(pingPong);
                double trip = ns[0] / (double) BOUNCES;
                team.run(fma);
                System.out.printf("%7.1f  %13.0f  %13.1f  %13.1f%n", calls[calls.length / 2] / 1e3, trip, ns[0] / 1e6,
                        ns[1] / 1e6);
            }
        }
    }

    private static long median(Session s, float[] x, int seq, int batch, float[] y) {
        long[] t = new long[21];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            s.run(x, seq, batch, y);
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    /** 8 independent scalar FMA chains: the core's FMA rate, no memory. */
    private static double fmaLoop(int n) {
        double a0 = 1, a1 = 2, a2 = 3, a3 = 4, a4 = 5, a5 = 6, a6 = 7, a7 = 8, m = 0.999999, c = 1e-9;
        for (int i = 0; i < n; i++) {
            a0 = Math.fma(a0, m, c); a1 = Math.fma(a1, m, c); a2 = Math.fma(a2, m, c); a3 = Math.fma(a3, m, c);
            a4 = Math.fma(a4, m, c); a5 = Math.fma(a5, m, c); a6 = Math.fma(a6, m, c); a7 = Math.fma(a7, m, c);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    }
}
