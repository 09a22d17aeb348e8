package dev.vlstm.spark;

import dev.vlstm.LstmState;
import dev.vlstm.Model;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StatefulProcessor;
import org.apache.spark.sql.streaming.TTLConfig;
import org.apache.spark.sql.streaming.TimeMode;
import org.apache.spark.sql.streaming.TimerValues;
import org.apache.spark.sql.streaming.ValueState;
import scala.jdk.javaapi.CollectionConverters;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Steps each key's LSTM one event at a time in a Structured Streaming query, the key's state kept in Spark's state
 * store between micro-batches: as bytes, vlstm's own versioned snapshot ({@link LstmState#toBytes()}), which carries
 * the model's fingerprint, so a checkpoint written with another model is refused by {@link Model#restoreState} instead
 * of being misread; and the key's last time, so an event at or before it (a replay, or out of order across
 * micro-batches) fails the query naming the key. Within a micro-batch a key's events are put in time order.
 *
 * <p>Input rows {@code (key, t: bigint, features: array<float>)}, output rows {@code (key, t, output: array<float>)}:
 * the model's output for that event, one per input row.
 */
final class LstmStateProcessor extends StatefulProcessor<Row, Row, Row> {
    private final ModelSource source;
    private final String keyCol;
    private final int timeIndex, featuresIndex;

    private transient SharedModel shared;
    private transient ValueState<byte[]> snapshot;
    private transient ValueState<Long> lastTime;

    LstmStateProcessor(ModelSource source, String keyCol, int timeIndex, int featuresIndex) {
        this.source = source;
        this.keyCol = keyCol;
        this.timeIndex = timeIndex;
        this.featuresIndex = featuresIndex;
    }

    @Override
    public void init(OutputMode outputMode, TimeMode timeMode) {
        shared = source.model();
        snapshot = getHandle().getValueState("lstm", Encoders.BINARY(), TTLConfig.NONE());
        lastTime = getHandle().getValueState("lastTime", Encoders.LONG(), TTLConfig.NONE());
    }

    @Override
    public scala.collection.Iterator<Row> handleInputRows(Row key, scala.collection.Iterator<Row> rows, TimerValues timers) {
        Model model = shared.model();
        List<Row> events = new ArrayList<>();
        CollectionConverters.asJava(rows).forEachRemaining(events::add);
        events.sort(Comparator.comparingLong(r -> r.getLong(timeIndex)));
        LstmState state;
        try {
            state = snapshot.exists() ? model.restoreState(snapshot.get()) : model.newState();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key " + keyCol + " = " + key.get(0) + ": the state store holds a state "
                    + "this model cannot take (was the checkpoint written with another model?): " + e.getMessage(), e);
        }
        long last = lastTime.exists() ? lastTime.get() : Long.MIN_VALUE;
        List<Row> out = new ArrayList<>(events.size());
        for (Row e : events) {
            long t = e.getLong(timeIndex);
            if (t <= last)
                throw new IllegalArgumentException(where(key, t) + ": the key's state is already at t = " + last
                        + "; events of a key must arrive in time order, each once");
            last = t;
            float[] x = new float[model.inputSize()];
            if (e.isNullAt(featuresIndex)) throw new IllegalArgumentException(where(key, t) + ": features are null");
            List<Object> features = e.getList(featuresIndex);
            if (features.size() != x.length)
                throw new IllegalArgumentException(where(key, t) + ": " + features.size() + " features, expected the model's input size "
                        + x.length);
            for (int i = 0; i < x.length; i++) {
                Object v = features.get(i);
                if (v == null) throw new IllegalArgumentException(where(key, t) + ": feature " + i + " is null");
                x[i] = (Float) v;
            }
            float[] y = new float[model.outputSize()];
            shared.session().step(state, x, y);
            out.add(RowFactory.create(key.get(0), t, y));
        }
        snapshot.update(state.toBytes());
        lastTime.update(last);
        return CollectionConverters.asScala(out.iterator());
    }

    /** An event, for messages (built only when one is thrown: this runs once per event). */
    private String where(Row key, long t) {
        return "key " + keyCol + " = " + key.get(0) + ", t = " + t;
    }
}
