package dev.vlstm.flink;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Passes scores through, and throws once in the whole job, in the first subtask that has seen a checkpoint complete
 * and then at least {@code after} scores: a task failure mid-stream with a checkpoint to recover from. Chained to the
 * LSTM operator, so the failure takes down the task holding the keyed state.
 */
final class FailOnceAfter implements MapFunction<Score, Score>, CheckpointListener {
    /** Set by the one subtask that throws; static because the MiniCluster runs in the test's JVM. */
    static final AtomicBoolean FAILED = new AtomicBoolean();

    private final int after;
    private transient int seen;
    private transient boolean checkpointCompleted;

    FailOnceAfter(int after) {
        this.after = after;
    }

    @Override
    public Score map(Score score) {
        seen++;
        if (checkpointCompleted && seen >= after && FAILED.compareAndSet(false, true))
            throw new IllegalStateException("failure injected by the test after " + seen + " scores");
        return score;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        checkpointCompleted = true;
    }
}
