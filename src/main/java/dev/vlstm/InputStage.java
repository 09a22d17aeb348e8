package dev.vlstm;

import dev.vlstm.format.SequenceLayout;

/**
 * The first stage of a session's {@link Plan}: a run's input as layer 0 reads it. A token-ids model's ids become
 * their rows ({@link Embedding}: table rows, or the ids themselves when the table is folded into layer 0), and a
 * batch-first input is transposed to time-major.
 */
final class InputStage {
    private final Embedding embedding;   // null for a model of float features
    private final boolean batchFirst;
    /** Values per timestep and row that layer 0 reads. */
    final int width;

    InputStage(Model model) {
        this.embedding = model.embedding;
        this.batchFirst = model.spec().layout() == SequenceLayout.BATCH_SEQ;
        this.width = embedding != null ? embedding.rowWidth() : model.spec().inputSize();
    }

    /** The run's input rows in its own layout: the caller's features, or the ids' rows in the workspace. */
    float[] rows(RunArgs a, Workspace ws) {
        if (embedding == null) return a.x;
        embedding.lookUp(a.tokens, a.longTokens, a.seq * a.batch, ws.tokenRows);
        return ws.tokenRows;
    }

    /** {@code rows} ({@link #rows}) time-major, {@code [seq][batch][width]}. */
    float[] timeMajor(float[] rows, int seq, int batch, Workspace ws) {
        if (!batchFirst) return rows;
        Rows.swapSeqBatch(rows, ws.inputTime, batch, seq, width);
        return ws.inputTime;
    }

    /** One step's rows of {@code n} streams of ids, checked by the caller, into the workspace. */
    float[] stepRows(int[] ids, int n, Workspace ws) {
        embedding.lookUp(ids, null, n, ws.tokenRows);
        return ws.tokenRows;
    }
}
