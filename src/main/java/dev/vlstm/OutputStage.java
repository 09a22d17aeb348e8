package dev.vlstm;

import dev.vlstm.format.HeadOp;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.kernel.LstmKernels;

import java.util.Arrays;

/**
 * The last stage of a session's {@link Plan}: the top layer's output {@code [seq][batch][width]} to the model's main
 * output. It picks the rows the output is made of (every step; the last step; the top layer's final state of every
 * direction; the mean or max over time), runs them through the head's operations ({@link Head}, itself a list of
 * stages with their weights) or copies them, and puts the result in the model's layout.
 */
final class OutputStage {
    private final LstmKernels k;
    private final Head head;
    private final Model.LayerWeights top;
    private final boolean layerY, batchFirst, finalState;
    private final HeadOp.Kind pooling;          // format role 22: the head's first operation, pooling over time; or null
    /** One output row per sequence: a last-step, final-state or pooled output. */
    final boolean oneRow;
    /** The width of the rows a final-state or pooled output gathers before the head (the top layer's), else 0. */
    final int gatheredWidth;
    private final int outputSize;

    OutputStage(Model model, LstmKernels k) {
        ModelSpec spec = model.spec();
        this.k = k;
        this.head = model.head;
        this.top = model.layers[model.layers.length - 1];
        this.layerY = spec.output(IoSpec.Role.LAYER_Y) != null;
        this.batchFirst = spec.layout() == SequenceLayout.BATCH_SEQ;
        this.finalState = spec.output(IoSpec.Role.FINAL_STATE_OUTPUT) != null;
        this.pooling = spec.pools() ? spec.head().getFirst().kind() : null;
        this.oneRow = spec.output(IoSpec.Role.LAST_STEP_OUTPUT) != null || finalState || pooling != null;
        this.gatheredWidth = finalState || pooling != null ? top.hiddenSize() * top.directions().length : 0;
        this.outputSize = spec.outputSize();
    }

    /** The pass's output from the top layer's {@code y} ({@code [seq][batch][width]}) into {@code output}. */
    void write(Pass p, float[] y, int width, float[] output, Workspace ws) {
        int seq = p.seq, batch = p.batch;
        if (layerY && !batchFirst) {  // [seq][batch][dirs*H] -> ONNX's [seq][dirs][batch][H]
            int hidden = top.hiddenSize(), dirs = width / hidden;
            for (int t = 0; t < seq; t++)
                for (int b = 0; b < batch; b++)
                    for (int d = 0; d < dirs; d++)
                        System.arraycopy(y, (t * batch + b) * width + d * hidden, output, ((t * dirs + d) * batch + b) * hidden, hidden);
            return;
        }
        float[] x = y;
        int from = oneRow ? (seq - 1) * batch * width : 0;
        if (gatheredWidth > 0) {
            if (pooling != null) poolOverTime(y, width, seq, batch, pooling == HeadOp.Kind.MAX_OVER_TIME, ws.finalRows);
            else gatherFinalStates(y, width, seq, batch, p.lengths, ws.finalRows);
            x = ws.finalRows;
            from = 0;
        }
        int outRows = oneRow ? batch : seq * batch;
        boolean transpose = batchFirst && !oneRow;
        float[] target = transpose ? ws.outputTime : output;
        if (head != null) head.run(k, x, from, width, 0, outRows, target, ws.head, p.team);
        else System.arraycopy(x, from, target, 0, outRows * width);
        if (transpose) Rows.swapSeqBatch(ws.outputTime, output, seq, batch, outputSize);
    }

    /** Rows b0 .. b1-1 of the top layer's output (row b at {@code y[b * stride]}) through the head, or copied, to out. */
    void writeRows(float[] y, int width, int stride, int b0, int b1, float[] out, Workspace ws) {
        if (head != null) head.run(k, y, b0 * stride, stride, b0, b1 - b0, out, ws.head, null);
        else Rows.copy(y, b0 * stride, stride, out, b0 * width, width, b1 - b0, width);
    }

    /**
     * The top layer's final h of every direction into {@code rows}, row b at {@code b * width}: a forward direction's
     * output at the row's last step (len - 1; zeros for a row of length 0), a reverse direction's at t = 0, both read
     * from the top layer's output {@code y} ({@code [seq][batch][width]}).
     */
    private void gatherFinalStates(float[] y, int width, int seq, int batch, int[] lengths, float[] rows) {
        int hidden = top.hiddenSize(), dirs = top.directions().length;
        for (int b = 0; b < batch; b++) {
            int len = lengths == null ? seq : lengths[b];
            for (int d = 0; d < dirs; d++) {
                boolean reverse = d == 1 || top.reverse();
                int to = b * width + d * hidden;
                if (!reverse && len == 0) Arrays.fill(rows, to, to + hidden, 0f);
                else System.arraycopy(y, ((reverse ? 0 : len - 1) * batch + b) * width + d * hidden, rows, to, hidden);
            }
        }
    }

    /**
     * The mean (or max) over all seq timesteps of the top layer's output {@code y} into {@code rows}, row b at
     * {@code b * width}: what the ONNX graph's ReduceMean (ReduceMax) on the time axis computes, so with sequence
     * lengths the steps past a row's length count as the zeros the LSTM writes there. The inner loops run along one
     * row's contiguous features, which C2 vectorises.
     */
    private static void poolOverTime(float[] y, int width, int seq, int batch, boolean max, float[] rows) {
        for (int b = 0; b < batch; b++) {
            int to = b * width;
            System.arraycopy(y, b * width, rows, to, width);
            for (int t = 1; t < seq; t++) {
                int from = (t * batch + b) * width;
                if (max) for (int j = 0; j < width; j++) rows[to + j] = Math.max(rows[to + j], y[from + j]);
                else for (int j = 0; j < width; j++) rows[to + j] += y[from + j];
            }
            if (!max) for (int j = 0; j < width; j++) rows[to + j] /= seq;
        }
    }
}
