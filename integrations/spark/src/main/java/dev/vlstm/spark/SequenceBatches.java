package dev.vlstm.spark;

import dev.vlstm.RunArgs;
import dev.vlstm.Session;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Scores a window of sequences (a few batches' worth of one partition) in as few {@code Session.run} calls as the
 * model allows: the window is sorted by length and cut into batches of up to {@code batchSize} sequences, each run at
 * its longest sequence's length (the shorter ones padded at the end, or, for a model that may not pad, only
 * sequences of equal length together). Each sequence's output is cut out of its batch's, so the results are those of
 * running it alone.
 */
final class SequenceBatches {
    private final BatchShape shape;
    private final int batchSize;
    private final RunArgs args = new RunArgs();
    // A batch's input and output, kept while the shape repeats: a batch of long sequences is a large array (16 README-
    // model sequences of 150 steps: 960 KB, a humongous object for G1), and a window of fixed-length rows repeats it.
    private float[] x = new float[0], y = new float[0];

    SequenceBatches(BatchShape shape, int batchSize) {
        this.shape = shape;
        this.batchSize = shape.rowsSeparate() ? batchSize : 1;
    }

    /**
     * The main output of each of the first {@code n} sequences: {@code xs[i]} holds {@code lengths[i]} timesteps of
     * {@code inputSize} features (at least one), its output {@code lengths[i] × outputSize} values for a per-step
     * output, else one row.
     */
    float[][] score(Session session, float[][] xs, int[] lengths, int n) {
        float[][] out = new float[n][];
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
        int start = 0;
        while (start < n) {
            int end = start + 1;
            while (end < n && end - start < batchSize
                    && (shape.mayPad() || lengths[order[end]] == lengths[order[start]])) end++;
            run(session, xs, lengths, order, start, end, out);
            start = end;
        }
        return out;
    }

    /** Runs sequences {@code order[start..end)} as one batch and cuts each one's output out of the batch's. */
    private void run(Session session, float[][] xs, int[] lengths, Integer[] order, int start, int end, float[][] out) {
        int batch = end - start, seq = lengths[order[end - 1]], in = shape.inputSize(), o = shape.outputSize();
        if (batch == 1) {
            int i = order[start];
            out[i] = session.run(xs[i], lengths[i], 1);
            return;
        }
        int xSize = Math.multiplyExact(seq * batch, in);
        if (x.length == xSize) Arrays.fill(x, 0f);    // the padding after shorter sequences stays zero
        else x = new float[xSize];
        int[] rowLengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            int i = order[start + b];
            rowLengths[b] = lengths[i];
            for (int t = 0; t < lengths[i]; t++)
                System.arraycopy(xs[i], t * in, x, offset(t, b, seq, batch) * in, in);
        }
        int ySize = Math.toIntExact(session.mainOutputSize(seq, batch));
        if (y.length != ySize) y = new float[ySize];
        session.run(args.input(x, seq, batch).sequenceLengths(shape.takesLengths() ? rowLengths : null).output(y));
        for (int b = 0; b < batch; b++) {
            int i = order[start + b];
            if (!shape.perStep()) {
                out[i] = Arrays.copyOfRange(y, b * o, (b + 1) * o);
                continue;
            }
            float[] r = new float[lengths[i] * o];
            for (int t = 0; t < lengths[i]; t++) System.arraycopy(y, offset(t, b, seq, batch) * o, r, t * o, o);
            out[i] = r;
        }
    }

    /** Timestep t of batch row b: its row in the model's sequence layout. */
    private int offset(int t, int b, int seq, int batch) {
        return shape.batchFirst() ? b * seq + t : t * batch + b;
    }
}
