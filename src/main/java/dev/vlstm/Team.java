package dev.vlstm;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The intra-op threads of one session: the calling thread plus {@code parts - 1} workers that run one {@link Job} at a
 * time, each its own part, and meet at {@link #barrier()} as often as the job needs (once per timestep when a layer's
 * gate columns are split).
 *
 * <p>Why not an executor: a batch-1 step of a 256-unit layer takes about 20 µs, and handing a task to a pool and
 * waiting for its future costs microseconds and allocates. Here a job start is one volatile write the spinning
 * workers see, a barrier is one atomic increment and a spin, and nothing allocates (BarrierBenchmark, 2 threads on
 * this 2-core machine: 120 to 420 ns per barrier across runs, 230 to 270 ns per hand-off and join).
 * Workers spin for {@link #SPIN_NANOS} after their last job, so back-to-back calls find them awake, then park; the
 * next job unparks them. {@link #close()} stops and joins them.
 */
final class Team implements AutoCloseable {

    /** One job: {@code part} of {@code parts}, the caller running part 0. */
    interface Job {
        void run(int part, int parts);
    }

    /** How long an idle worker spins before it parks (a parked worker takes tens of microseconds to wake). */
    static final long SPIN_NANOS = 200_000;

    private final int parts;
    private final Thread[] workers;
    private volatile Job job;
    private volatile int generation;        // bumped per job; workers run the job when it changes
    private volatile boolean closed;
    private volatile Throwable failure;     // the first throwable of a part, rethrown by run
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile int phase;             // advanced by the last thread to reach a barrier
    private final AtomicInteger sleepers = new AtomicInteger();   // workers parked or about to park

    Team(int parts, String name) {
        if (parts < 1) throw new IllegalArgumentException("threads " + parts + ", expected at least 1");
        this.parts = parts;
        this.workers = new Thread[parts - 1];
        for (int i = 0; i < workers.length; i++) {
            int part = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + part).unstarted(() -> work(part));
            workers[i].start();
        }
    }

    int parts() {
        return parts;
    }

    /** Runs {@code j} on all parts and returns when all have finished; rethrows the first failure of any part. */
    void run(Job j) {
        if (closed) throw new IllegalStateException("the session's threads are stopped (the session is closed)");
        failure = null;
        finished.set(0);
        arrived.set(0);                              // a failed job may have left a barrier half-counted
        job = j;
        generation = generation + 1;                 // publishes job (volatile write after it)
        // A worker counts itself in sleepers before its last look at generation, so it either sees the new job or is
        // unparked here.
        if (sleepers.get() > 0) for (Thread w : workers) LockSupport.unpark(w);
        try {
            j.run(0, parts);
        } catch (Throwable t) {
            fail(t);
        }
        int spins = 0;
        while (finished.get() < parts - 1) spins = backoff(spins);
        job = null;
        Throwable t = failure;
        if (t != null) {
            failure = null;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
        }
    }

    /**
     * Waits until every part of the running job has called it (a reusable barrier: the last to arrive advances the
     * phase the others spin on). Its atomic increment and volatile phase make each part's writes before it visible to
     * every part after it. Throws if another part failed, so no part waits for one that will never come.
     */
    void barrier() {
        if (parts == 1) return;
        int p = phase;
        if (arrived.incrementAndGet() == parts) {
            arrived.set(0);
            phase = p + 1;
            return;
        }
        int spins = 0;
        while (phase == p) {
            if (failure != null) throw new IllegalStateException("another thread of this session failed", failure);
            spins = backoff(spins);
        }
    }

    /**
     * Spins until {@code counter} exceeds {@code value} and returns it: how one part waits for another's progress
     * without a barrier ({@link LayerPipeline}). Throws if another part failed, since the counter would never move.
     */
    int awaitAbove(AtomicInteger counter, int value) {
        int spins = 0, now;
        while ((now = counter.get()) <= value) {
            if (failure != null) throw new IllegalStateException("another thread of this session failed", failure);
            spins = backoff(spins);
        }
        return now;
    }

    private void fail(Throwable t) {
        synchronized (this) {
            if (failure == null) failure = t;
        }
    }

    /** Spin; after a while, also yield the core (an oversubscribed machine would otherwise starve the other part). */
    private static int backoff(int spins) {
        Thread.onSpinWait();
        if (spins > 2_000) Thread.yield();
        return spins + 1;
    }

    private void work(int part) {
        int seen = 0;
        while (true) {
            long idleSince = System.nanoTime();
            int spins = 0;
            while (generation == seen && !closed) {
                Thread.onSpinWait();
                if ((++spins & 1023) == 0 && System.nanoTime() - idleSince > SPIN_NANOS) {
                    sleepers.incrementAndGet();
                    if (generation == seen && !closed) LockSupport.park(this);
                    sleepers.decrementAndGet();
                    idleSince = System.nanoTime();
                }
            }
            if (closed) return;
            seen = generation;
            Job j = job;
            try {
                j.run(part, parts);
            } catch (Throwable t) {
                fail(t);
            }
            finished.incrementAndGet();
        }
    }

    /** Stops and joins the workers. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
        boolean interrupted = false;
        for (Thread w : workers) {
            while (w.isAlive()) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** The first index of part {@code part} when {@code n} items are split as evenly as possible into {@code parts}. */
    static int start(int n, int part, int parts) {
        return (int) ((long) n * part / parts);
    }
}
