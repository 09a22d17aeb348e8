package dev.vlstm;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two stacked layers on two threads, as a pipeline in time: part 0 steps the lower layer and publishes how many of its
 * timesteps are done; part 1 follows, projecting each newly finished stretch of the lower layer's output through the
 * upper layer's input weights (one product per stretch, not per step) and stepping the upper layer through it.
 *
 * <p>For what {@link DirectionStage}'s split cannot share: a batch smaller than the thread count and layers of fewer
 * panels than threads (W1: hidden 16, batch 1), where each step is a chain of small dependent operations and one
 * layer's step cannot be divided. Two layers' chains are independent except through the lower layer's output, so the
 * session's time becomes about the slower layer's instead of the sum of both. The lower layer never waits for the
 * upper one; the upper one waits on a counter, not a barrier, so the hand-off is one release store per step and a
 * read that usually finds several steps ready. A pair of a session's layers, built once with its plan; a run
 * allocates nothing.
 */
final class LayerPipeline implements Team.Job {
    /**
     * Lower-layer steps per publication. Each publication and each shared line of output moves a cache line between
     * the cores, which costs about as much as a whole step at hidden 16. vlstm bench, W1 on 2 threads, median: 102 us
     * publishing every step (slower than one thread's 60), 40-43 every 4 steps, 43-45 every 8, 42-43 every 16, 44-64
     * every 32. 8 keeps the lag short for short sequences.
     */
    static final int PUBLISH_EVERY = 8;

    private final AtomicInteger lowerDone = new AtomicInteger();   // timesteps of the lower layer finished
    private final DirectionStage lower, upper;
    private Pass pass;
    private float[][] widened;      // the workspace's scratch panels: the lower layer's is 0, the upper's 1

    private LayerPipeline(DirectionStage lower, DirectionStage upper) {
        this.lower = lower;
        this.upper = upper;
    }

    /**
     * The pipeline of two adjacent layers, or null when they can never take it: both one forward direction with the
     * default cell, each of fewer panels than threads (so {@link DirectionStage} could not split it), more than one
     * thread.
     */
    static LayerPipeline of(DirectionStage[] lower, DirectionStage[] upper, int threads) {
        return threads > 1 && single(lower, threads) && single(upper, threads) ? new LayerPipeline(lower[0], upper[0]) : null;
    }

    private static boolean single(DirectionStage[] layer, int threads) {
        return layer.length == 1 && !layer[0].reverse && layer[0].defaultCell && layer[0].panels < threads;
    }

    /** Whether a run of this shape takes the pipeline: more than one timestep, full lengths, fewer rows than threads. */
    static boolean pays(int seq, int batch, int[] lengths, int threads) {
        return seq > 1 && lengths == null && batch < threads;
    }

    /**
     * Runs both layers over the pass: {@code in} through the lower layer into yLower, then yLower through the upper
     * layer into yUpper; the workspace's h and c (lower) and hUpper and cUpper hold each layer's initial state on
     * entry and its final state on return.
     */
    void run(Pass pass, float[] in, float[] yLower, float[] yUpper, Workspace ws) {
        this.pass = pass;
        this.widened = ws.widened;
        lower.bind(pass, in, yLower, ws.h, ws.c, ws.gates);
        upper.bind(pass, yLower, yUpper, ws.hUpper, ws.cUpper, ws.upperGates);
        lowerDone.set(0);
        try {
            pass.team.run(this);
            lower.finalH();
            upper.finalH();
        } finally {
            lower.unbind();     // no reference to the caller's arrays outlives the call
            upper.unbind();
            this.pass = null;
            this.widened = null;
        }
    }

    @Override
    public void run(int part, int parts) {
        // Every part shares the lower layer's input projection; then the first two run the pipeline.
        lower.projectPart(part, parts, false, widened[part]);
        pass.team.barrier();
        int seq = pass.seq, batch = pass.batch;
        if (part == 0) {
            lower.decideZeroStart();
            for (int s = 0; s < seq; s += PUBLISH_EVERY) {
                int end = Math.min(seq, s + PUBLISH_EVERY);
                lower.fused(0, batch, 0, lower.panels, null, s, end, widened[0]);
                lowerDone.lazySet(end);        // a release store: yLower's steps before end are visible to its reader
            }
        } else if (part == 1) {
            for (int done = 0; done < seq; ) {
                int ready = pass.team.awaitAbove(lowerDone, done);
                if (done == 0) upper.decideZeroStart();
                upper.projectRows(done * batch, ready * batch, widened[1]);
                upper.fused(0, batch, 0, upper.panels, null, done, ready, widened[1]);
                done = ready;
            }
        }
    }
}
