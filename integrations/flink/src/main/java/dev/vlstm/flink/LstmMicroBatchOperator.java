package dev.vlstm.flink;

import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.io.Serial;
import java.time.Duration;
import java.util.Objects;

/**
 * {@link LstmStepFunction}'s work with the events of up to {@code maxKeys} distinct keys of a subtask stepped together,
 * as one batch ({@link Session#step(LstmState[], int, float[], float[])}): for wide models the batch streams the weights
 * once for all its rows (W2, hidden 256: 2.3x the single-step rate at 16 keys, README "Throughput").
 *
 * <pre>{@code
 * DataStream<Score> scores = readings
 *         .keyBy(Reading::device)
 *         .transform("lstm", TypeInformation.of(Score.class),
 *                 LstmStepFunction.builder(path, Reading::values, Score.class,
 *                                 (reading, y) -> new Score(reading.device(), reading.time(), y))
 *                         .buildMicroBatching(16, Duration.ofMillis(5)))
 *         .uid("lstm");
 * }</pre>
 *
 * <p>An event waits in the batch until it is full, an event of a key already in it arrives (a key's events are stepped
 * in order, one per batch), {@code maxDelay} has passed since the batch's first event, a watermark arrives, the input
 * ends, or a checkpoint barrier is about to be sent on: the batch is stepped before every checkpoint, so a checkpoint
 * never holds a half-processed event and recovery is the same as {@link LstmStepFunction}'s. The keyed state is the
 * same (name and snapshot), so a savepoint of either restores into the other. Outputs keep their event's timestamp;
 * their order across keys follows the batches. The operator's metrics {@code vlstmBatches} and
 * {@code vlstmBatchedEvents} count batches and the events in them (their ratio is the mean batch size).
 *
 * <p>The core promises a micro-batch equal to single steps within 1e-6; on this project's machines (Zen 3, AVX2) it has
 * been bit for bit (MicroBatchTest asserts it), so replays after a failure equal the first run's outputs there.
 */
public final class LstmMicroBatchOperator<IN, OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT> {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String modelLocation;
    private final FeatureExtractor<IN> features;
    private final OutputBuilder<IN, OUT> output;
    private final Duration idleStateTtl;
    private final int maxKeys;
    private final long maxDelayMillis;

    private transient SharedModels.Lease lease;
    private transient Model model;
    private transient Session session;
    private transient ValueState<byte[]> stored;
    // The batch: n events of distinct keys, their states (restored when they arrived) and inputs, row by row.
    private transient int n;
    private transient Object[] keys;
    private transient Object[] events;
    private transient long[] timestamps;
    private transient boolean[] hasTimestamp;
    private transient LstmState[] states;
    private transient float[] x, y;
    private transient boolean flushScheduled;
    private transient Counter batches, batchedEvents;     // their ratio is the mean batch size

    LstmMicroBatchOperator(String modelLocation, FeatureExtractor<IN> features, OutputBuilder<IN, OUT> output,
                           Duration idleStateTtl, int maxKeys, Duration maxDelay) {
        if (maxKeys < 1 || maxKeys > 1024)
            throw new IllegalArgumentException("maxKeys " + maxKeys + ", expected 1..1024 keys per batch");
        if (maxDelay == null || maxDelay.isNegative() || maxDelay.isZero())
            throw new IllegalArgumentException("maxDelay " + maxDelay + ", expected a positive duration");
        this.modelLocation = Objects.requireNonNull(modelLocation);
        this.features = Objects.requireNonNull(features);
        this.output = Objects.requireNonNull(output);
        this.idleStateTtl = idleStateTtl;
        this.maxKeys = maxKeys;
        this.maxDelayMillis = Math.max(1, maxDelay.toMillis());
    }

    @Override
    public void open() throws Exception {
        super.open();
        lease = SharedModels.acquire(modelLocation);
        model = lease.model();
        KeyStates.checkStreams(model, modelLocation);
        session = model.newSession(1, maxKeys);
        stored = getRuntimeContext().getState(KeyStates.descriptor(idleStateTtl));
        keys = new Object[maxKeys];
        events = new Object[maxKeys];
        timestamps = new long[maxKeys];
        hasTimestamp = new boolean[maxKeys];
        states = new LstmState[maxKeys];       // one per slot, each key's snapshot restored into it in turn
        for (int b = 0; b < maxKeys; b++) states[b] = model.newState();
        x = new float[maxKeys * model.inputSize()];
        y = new float[maxKeys * model.outputSize()];
        batches = getMetricGroup().counter("vlstmBatches");
        batchedEvents = getMetricGroup().counter("vlstmBatchedEvents");
    }

    @Override
    public void processElement(StreamRecord<IN> record) throws Exception {
        Object key = getCurrentKey();
        for (int b = 0; b < n; b++)
            if (keys[b].equals(key)) {      // the key's previous event must be stepped first
                stepBatch();
                setCurrentKey(key);
                break;
            }
        IN event = record.getValue();
        float[] row = KeyStates.checkedFeatures(features.features(event), model, modelLocation, key);
        KeyStates.restore(states[n], stored.value(), modelLocation, key);
        System.arraycopy(row, 0, x, n * row.length, row.length);
        keys[n] = key;
        events[n] = event;
        hasTimestamp[n] = record.hasTimestamp();
        timestamps[n] = record.getTimestamp();
        n++;
        if (n == maxKeys) stepBatch();
        else if (!flushScheduled) {
            flushScheduled = true;
            long now = getProcessingTimeService().getCurrentProcessingTime();
            getProcessingTimeService().registerTimer(now + maxDelayMillis, time -> {
                flushScheduled = false;
                stepBatch();
            });
        }
    }

    /** Steps the batch, writes each key's new state and emits each event's output in arrival order. */
    @SuppressWarnings("unchecked")
    private void stepBatch() {
        if (n == 0) return;
        int in = model.inputSize(), out = model.outputSize();
        if (x.length != n * in) {
            // Session.step reads all of x: a partial batch goes through arrays of its own size (rare: timers, barriers).
            float[] xs = java.util.Arrays.copyOf(x, n * in), ys = new float[n * out];
            session.step(states, n, xs, ys);
            System.arraycopy(ys, 0, y, 0, ys.length);
        } else {
            session.step(states, n, x, y);
        }
        batches.inc();
        batchedEvents.inc(n);
        for (int b = 0; b < n; b++) {
            setCurrentKey(keys[b]);
            try {
                stored.update(states[b].toBytes());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("key '" + keys[b] + "': writing its LSTM state failed", e);
            }
            OUT o = output.output((IN) events[b], java.util.Arrays.copyOfRange(y, b * out, (b + 1) * out));
            output(o, b);
            keys[b] = null;
            events[b] = null;
        }
        n = 0;
    }

    private void output(OUT value, int b) {
        StreamRecord<OUT> r = hasTimestamp[b] ? new StreamRecord<>(value, timestamps[b]) : new StreamRecord<>(value);
        super.output.collect(r);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        stepBatch();                        // the batch's events come before the watermark
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        stepBatch();                        // a checkpoint holds no event half-processed
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        stepBatch();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            if (session != null) session.close();
            if (lease != null) lease.close();
            session = null;
            lease = null;
        }
    }
}
