package dev.vlstm;

import dev.vlstm.format.SequenceLayout;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * A session's work buffers, shared by the stages of its {@link Plan} (one layer direction runs at a time, so one set
 * sized for the widest layer serves them all). {@link #reserve} grows them to a run's shape; a run of a shape seen
 * before allocates nothing.
 */
final class Workspace {
    float[] gates = new float[0];       // [seq*batch][gateWidth] pre-activations of the direction running
    float[] upperGates = new float[0];  // the upper layer's, in a LayerPipeline
    float[] rec = new float[0];         // [batch][gateWidth] h·R of one step (a direction's general path)
    float[] layerA = new float[0];      // [seq][batch][hidden*dirs] outputs of even layers
    float[] layerB = new float[0];      // outputs of odd layers
    float[] h = new float[0];           // [batch][hidden] state of the direction running
    float[] c = new float[0];
    float[] hUpper = new float[0];      // the upper layer's state in a LayerPipeline
    float[] cUpper = new float[0];
    float[] tokenRows = new float[0];   // a token-ids run's layer-0 input: [seq*batch][rowWidth], the input's layout
    float[] inputTime = new float[0];   // batch-first input, transposed to time-major
    float[] outputTime = new float[0];  // batch-first output, before transposing back
    float[] finalRows = new float[0];   // [batch][top width] a final-state or pooled output's rows before the head
    /**
     * One scratch panel per part (at least two: a {@link LayerPipeline}'s layers run at once) for a reduced model's
     * projections of several rows, steps of several rows and general path, which widen W or R a panel at a time
     * ({@code LstmKernels}' lstmStep and project with a ReducedMatrix); empty arrays when no W or R is held reduced.
     */
    float[][] widened = {new float[0], new float[0]};
    final Head.Work head = new Head.Work();

    /** Layer l's output buffer: even and odd layers alternate, each reading the one below. */
    float[] layerOutput(int l) {
        return (l & 1) == 0 ? layerA : layerB;
    }

    /**
     * Grows the buffers to hold a run of {@code seq × batch} of {@code model} on {@code threads} threads; does nothing
     * when they are already large enough.
     *
     * @param oneRowOutput the model's output has one row per sequence (last step, final state, pooled)
     * @param finalRowWidth the top layer's width when a final-state or pooled output gathers rows first, else 0
     */
    void reserve(Model model, int threads, boolean oneRowOutput, int finalRowWidth, int seq, int batch) {
        long rows = (long) seq * batch;
        long gateNeed = 0, hiddenNeed = 0, stateNeed = 0, recNeed = 0, widenNeed = 0;
        for (Model.LayerWeights l : model.layers) {
            for (Model.DirectionWeights d : l.directions()) {
                if (d.reducedR() != null) widenNeed = Math.max(widenNeed, d.reducedR().scratchFloats(batch));
                if (d.reducedW() != null) widenNeed = Math.max(widenNeed, d.reducedW().scratchFloats(0));
            }
            long panels = (l.hiddenSize() + PANEL - 1) / PANEL;
            gateNeed = Math.max(gateNeed, rows * panels * 4 * PANEL);
            hiddenNeed = Math.max(hiddenNeed, rows * l.hiddenSize() * l.directions().length);
            stateNeed = Math.max(stateNeed, (long) batch * l.hiddenSize());
            recNeed = Math.max(recNeed, batch * panels * 4 * PANEL);
        }
        var spec = model.spec();
        long ioNeed = spec.layout() == SequenceLayout.BATCH_SEQ ? rows * Math.max(spec.inputSize(), spec.outputSize()) : 0;
        long headNeed = model.head == null ? 0 : (oneRowOutput ? batch : rows) * model.head.workWidth;
        long tokenNeed = model.embedding == null ? 0 : rows * model.embedding.rowWidth();
        if (Math.max(Math.max(gateNeed, headNeed), Math.max(hiddenNeed, ioNeed)) > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("seq " + seq + " x batch " + batch + " needs work buffers of " + gateNeed
                    + " floats, more than a Java array holds; run fewer timesteps or a smaller batch per call");
        gates = atLeast(gates, gateNeed);
        if (widened.length < Math.max(2, threads)) widened = java.util.Arrays.copyOf(widened, Math.max(2, threads));
        for (int p = 0; p < widened.length; p++)      // entries past the old length are null
            widened[p] = widened[p] == null || widened[p].length < widenNeed ? new float[(int) widenNeed] : widened[p];
        rec = atLeast(rec, recNeed);
        layerA = atLeast(layerA, hiddenNeed);
        if (model.layers.length > 1) layerB = atLeast(layerB, hiddenNeed);
        h = atLeast(h, stateNeed);
        c = atLeast(c, stateNeed);
        if (threads > 1 && batch < threads && model.layers.length > 1) {    // what a LayerPipeline may need
            upperGates = atLeast(upperGates, gateNeed);
            hUpper = atLeast(hUpper, stateNeed);
            cUpper = atLeast(cUpper, stateNeed);
        }
        if (model.head != null) head.reserve(headNeed);
        finalRows = atLeast(finalRows, (long) batch * finalRowWidth);
        inputTime = atLeast(inputTime, ioNeed);
        outputTime = atLeast(outputTime, ioNeed);
        tokenRows = atLeast(tokenRows, tokenNeed);
    }

    private static float[] atLeast(float[] a, long n) {
        return a.length < n ? new float[(int) n] : a;
    }

    /** Drops every buffer; the next run grows them again. */
    void release() {
        gates = upperGates = rec = layerA = layerB = h = c = hUpper = cUpper = new float[0];
        tokenRows = inputTime = outputTime = finalRows = new float[0];
        widened = new float[][] {new float[0], new float[0]};
        head.release();
    }
}
