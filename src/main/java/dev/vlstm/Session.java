package dev.vlstm;

import dev.vlstm.kernel.Kernels;
import dev.vlstm.kernel.LstmKernels;

import java.util.Arrays;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * Runs a {@link Model} over whole sequences. A session owns its work buffers and is reusable but not thread-safe: use
 * one per thread. Once its buffers have grown to a shape, running that shape again allocates nothing
 * ({@link #run(float[], int, int, float[])} writes into the caller's array).
 *
 * <p>Per layer, the input projection {@code x·Wᵀ + b} for all timesteps is one matrix product; then each timestep is
 * one fused pass (recurrent product, activations, cell update). The head, if any, is one matrix product at the end.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final LstmKernels kernels;
    private float[] gates = new float[0];   // [seq*batch][panels*4*PANEL] pre-activations of one layer
    private float[] hiddenA = new float[0]; // [seq][batch][H] outputs of even layers
    private float[] hiddenB = new float[0]; // outputs of odd layers
    private float[] cell = new float[0];    // [batch][panels*PANEL]
    private float[] zeroH = new float[0];   // [batch][H] the initial hidden state

    Session(Model model, int maxSeq, int maxBatch, LstmKernels kernels) {
        this.model = model;
        this.kernels = kernels;
        model.checkOpen();
        reserve(maxSeq, maxBatch);
    }

    /** The kernel implementation in use, e.g. {@code vector (16 lanes)} or {@code scalar}. */
    public String kernels() {
        return kernels.name();
    }

    /**
     * Runs a batch of sequences and returns a new output array.
     *
     * @param input {@code [seq, batch, inputSize]} row-major
     * @return {@code [seq, batch, outputSize]} row-major
     */
    public float[] run(float[] input, int seq, int batch) {
        float[] out = new float[Math.toIntExact(checkedSize(seq, batch, model.outputSize(), "output"))];
        run(input, seq, batch, out);
        return out;
    }

    /**
     * Runs a batch of sequences into {@code output}, allocating nothing once the buffers have reached this shape.
     *
     * @param input  {@code [seq, batch, inputSize]} row-major
     * @param output {@code [seq, batch, outputSize]} row-major, fully overwritten
     * @throws IllegalArgumentException when a size does not match, naming what was expected
     * @throws IllegalStateException    when the model is closed
     */
    public void run(float[] input, int seq, int batch, float[] output) {
        model.checkOpen();
        if (seq < 1 || batch < 1) throw new IllegalArgumentException("seq " + seq + " and batch " + batch + " must be >= 1");
        long inSize = checkedSize(seq, batch, model.inputSize(), "input");
        long outSize = checkedSize(seq, batch, model.outputSize(), "output");
        if (input.length != inSize)
            throw new IllegalArgumentException("input '" + model.inputName() + "' has " + input.length + " values, expected "
                    + inSize + " = seq " + seq + " x batch " + batch + " x " + model.inputSize() + " features");
        if (output.length != outSize)
            throw new IllegalArgumentException("output '" + model.outputName() + "' has room for " + output.length
                    + " values, expected " + outSize + " = seq " + seq + " x batch " + batch + " x " + model.outputSize());
        reserve(seq, batch);
        try {
            forward(input, seq, batch, output);
        } catch (IllegalStateException e) {
            if (!model.isOpen())
                throw new IllegalStateException(model.source() + ": the model was closed while a session was running it", e);
            throw e;
        }
    }

    private void forward(float[] input, int seq, int batch, float[] output) {
        int rows = seq * batch;
        float[] x = input;
        int xWidth = model.inputSize();
        Model.LayerWeights[] layers = model.layers;
        for (int l = 0; l < layers.length; l++) {
            Model.LayerWeights layer = layers[l];
            int hidden = layer.hiddenSize();
            int panels = (hidden + PANEL - 1) / PANEL;
            int gateStride = panels * 4 * PANEL;
            int cellStride = panels * PANEL;
            float[] y = (l & 1) == 0 ? hiddenA : hiddenB;

            kernels.project(x, 0, xWidth, rows, xWidth, layer.w(), layer.bias(), panels, 4,
                    gates, 0, gateStride, gateStride);
            Arrays.fill(cell, 0, batch * cellStride, 0f);
            Arrays.fill(zeroH, 0, batch * hidden, 0f);
            for (int t = 0; t < seq; t++) {
                float[] hPrev = t == 0 ? zeroH : y;
                int hPrevOffset = t == 0 ? 0 : (t - 1) * batch * hidden;
                kernels.lstmStep(batch, hidden, layer.r(),
                        gates, t * batch * gateStride, gateStride,
                        hPrev, hPrevOffset, hidden,
                        cell, 0, cellStride,
                        y, t * batch * hidden, hidden);
            }
            x = y;
            xWidth = hidden;
        }
        if (model.headWeight != null) {
            int units = model.outputSize();
            kernels.project(x, 0, xWidth, rows, xWidth, model.headWeight, model.headBias, (units + PANEL - 1) / PANEL, 1,
                    output, 0, units, units);
        } else {
            System.arraycopy(x, 0, output, 0, rows * xWidth);
        }
    }

    /** Grows the work buffers to hold {@code seq × batch}; does nothing when they are already large enough. */
    private void reserve(int seq, int batch) {
        long rows = (long) seq * batch;
        long gateNeed = 0, hiddenNeed = 0, cellNeed = 0, zeroNeed = 0;
        for (Model.LayerWeights l : model.layers) {
            long panels = (l.hiddenSize() + PANEL - 1) / PANEL;
            gateNeed = Math.max(gateNeed, rows * panels * 4 * PANEL);
            hiddenNeed = Math.max(hiddenNeed, rows * l.hiddenSize());
            cellNeed = Math.max(cellNeed, batch * panels * PANEL);
            zeroNeed = Math.max(zeroNeed, (long) batch * l.hiddenSize());
        }
        if (gateNeed > Integer.MAX_VALUE - 8 || hiddenNeed > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("seq " + seq + " x batch " + batch + " needs work buffers of " + gateNeed
                    + " floats, more than a Java array holds; run fewer timesteps or a smaller batch per call");
        if (gates.length < gateNeed) gates = new float[(int) gateNeed];
        if (hiddenA.length < hiddenNeed) hiddenA = new float[(int) hiddenNeed];
        if (model.layers.length > 1 && hiddenB.length < hiddenNeed) hiddenB = new float[(int) hiddenNeed];
        if (cell.length < cellNeed) cell = new float[(int) cellNeed];
        if (zeroH.length < zeroNeed) zeroH = new float[(int) zeroNeed];
    }

    private static long checkedSize(int seq, int batch, int features, String what) {
        long n = (long) seq * batch * features;
        if (n > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException(what + " of seq " + seq + " x batch " + batch + " x " + features
                    + " values does not fit a Java array");
        return n;
    }

    /** Releases the work buffers; a later run grows them again. */
    @Override
    public void close() {
        gates = hiddenA = hiddenB = cell = zeroH = new float[0];
    }
}
