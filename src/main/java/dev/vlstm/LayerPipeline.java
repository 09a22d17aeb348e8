package dev.vlstm;

import dev.vlstm.kernel.LstmKernels;

import java.util.concurrent.atomic.AtomicInteger;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * Two stacked layers on two threads, as a pipeline in time: part 0 steps the lower layer and publishes how many of its
 * timesteps are done; part 1 follows, projecting each newly finished stretch of the lower layer's output through the
 * upper layer's input weights (one product per stretch, not per step) and stepping the upper layer through it.
 *
 * <p>For what {@link Recurrence}'s split cannot share: a batch smaller than the thread count and layers of fewer panels
 * than threads (W1: hidden 16, batch 1), where each step is a chain of small dependent operations and one layer's step
 * cannot be divided. Two layers' chains are independent except through the lower layer's output, so the session's
 * time becomes about the slower layer's instead of the sum of both. The lower layer never waits for the upper one; the
 * upper one waits on a counter, not a barrier, so the hand-off is one release store per step and a read that usually
 * finds several steps ready. Reused by its session, so a run allocates nothing.
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
    private LstmKernels k;
    private Model.LayerWeights lower, upper;
    private float[] in, yLower, hLower, cLower, yUpper, hUpper, cUpper;
    private int inWidth, seq, batch;
    private Recurrence.Buffers buf;
    private Team team;

    /**
     * Whether {@link #run} takes layers {@code lower} and {@code upper}: more than one thread and timestep, full-length
     * sequences, both layers one forward direction with the default cell, and neither splittable by {@link Recurrence}
     * (batch and panels both below the thread count).
     */
    static boolean applies(Model.LayerWeights lower, Model.LayerWeights upper, int seq, int batch, int[] lens,
                           int threads) {
        return threads > 1 && seq > 1 && lens == null && batch < threads && single(lower, threads)
                && single(upper, threads);
    }

    private static boolean single(Model.LayerWeights layer, int threads) {
        int panels = (layer.hiddenSize() + PANEL - 1) / PANEL;
        return layer.directions().length == 1 && !layer.reverse() && layer.defaultCell() && panels < threads;
    }

    /**
     * Runs both layers: {@code in} {@code [seq][batch][inWidth]} through {@code lower} into yLower, then yLower
     * through {@code upper} into yUpper; h and c of each are its initial state on entry and final state on return.
     */
    void run(LstmKernels k, Model.LayerWeights lower, Model.LayerWeights upper, float[] in, int inWidth, int seq,
             int batch, float[] yLower, float[] hLower, float[] cLower, float[] yUpper, float[] hUpper, float[] cUpper,
             Recurrence.Buffers buf, Team team) {
        this.k = k; this.lower = lower; this.upper = upper; this.in = in; this.inWidth = inWidth; this.seq = seq;
        this.batch = batch; this.yLower = yLower; this.hLower = hLower; this.cLower = cLower; this.yUpper = yUpper;
        this.hUpper = hUpper; this.cUpper = cUpper; this.buf = buf; this.team = team;
        lowerDone.set(0);
        try {
            team.run(this);
        } finally {
            this.in = this.yLower = this.yUpper = null;     // no reference to the caller's arrays outlives the call
        }
        Recurrence.copyFinalH(yLower, lower.hiddenSize(), 0, lower.hiddenSize(), seq, batch, false, hLower);
        Recurrence.copyFinalH(yUpper, upper.hiddenSize(), 0, upper.hiddenSize(), seq, batch, false, hUpper);
    }

    @Override
    public void run(int part, int parts) {
        Model.DirectionWeights wl = lower.directions()[0];
        int hl = lower.hiddenSize(), panelsL = (hl + PANEL - 1) / PANEL, gsl = panelsL * 4 * PANEL;
        // Every part shares the lower layer's input projection; then the first two run the pipeline.
        Recurrence.projectInputRows(k, wl, in, inWidth, seq * batch, false, buf.gates, part, parts);
        team.barrier();
        if (part == 0) {
            boolean zero = Recurrence.zeroStart(k, wl, in, 0, inWidth, batch, inWidth, hLower, cLower, 0, hl, hl);
            for (int s = 0; s < seq; s += PUBLISH_EVERY) {
                int end = Math.min(seq, s + PUBLISH_EVERY);
                Recurrence.fused(k, wl, buf.gates, hl, gsl, 0, seq, batch, false, yLower, hl, hLower, cLower,
                        0, batch, 0, panelsL, null, zero, s, end);
                lowerDone.lazySet(end);        // a release store: yLower's steps before end are visible to its reader
            }
        } else if (part == 1) {
            Model.DirectionWeights wu = upper.directions()[0];
            int hu = upper.hiddenSize(), panels = (hu + PANEL - 1) / PANEL, gsu = panels * 4 * PANEL;
            boolean zero = false;
            for (int done = 0; done < seq; ) {
                int ready = team.awaitAbove(lowerDone, done);
                if (done == 0) zero = Recurrence.zeroStart(k, wu, yLower, 0, hl, batch, hl, hUpper, cUpper, 0, hu, hu);
                k.project(yLower, done * batch * hl, hl, (ready - done) * batch, hl, wu.w(), wu.bias(), panels, 4,
                        buf.upperGates, done * batch * gsu, gsu, gsu);
                Recurrence.fused(k, wu, buf.upperGates, hu, gsu, 0, seq, batch, false, yUpper, hu, hUpper, cUpper,
                        0, batch, 0, panels, null, zero, done, ready);
                done = ready;
            }
        }
    }
}
