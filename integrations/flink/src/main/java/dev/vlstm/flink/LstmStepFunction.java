package dev.vlstm.flink;

import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.io.Serial;
import java.time.Duration;
import java.util.Objects;

/**
 * One LSTM timestep per event, each key carrying its own {@link LstmState} from one event to the next in Flink's keyed
 * state, so the state is checkpointed, restored after a failure and redistributed when the job is rescaled like any
 * other keyed state. One output per event.
 *
 * <pre>{@code
 * DataStream<Score> scores = readings
 *         .keyBy(Reading::device)
 *         .process(LstmStepFunction.builder("/models/sensor.vlstm", Reading::values, Score.class,
 *                         (reading, y) -> new Score(reading.device(), reading.time(), y))
 *                 .idleStateTtl(Duration.ofDays(7))
 *                 .build())
 *         .uid("lstm");
 * }</pre>
 *
 * <p><b>The state</b> is a {@code ValueState<byte[]>} holding vlstm's own snapshot ({@link LstmState#toBytes()},
 * format-spec.md "State snapshots": magic, version, the model file's fingerprint, h and c, CRC32C) rather than a
 * Flink {@code TypeSerializer} of h and c. The snapshot names the model it belongs to, and Flink's serializer
 * compatibility checks cannot: a savepoint restored with a different model file (other weights of the same shape, or a
 * re-conversion of the same ONNX file) would otherwise be read as valid floats and silently produce wrong outputs. With
 * the snapshot, the first event of such a key fails the job with an {@link IllegalStateException} naming the key and
 * the model. Flink stores {@code byte[]} as is, so the state costs its snapshot's size per key
 * ({@code 52 + 8 × the sum of the hidden sizes} bytes) in any state backend.
 *
 * <p><b>The model</b> is loaded once per TaskManager class loader and shared by the subtasks there (reference-counted, by
 * location and content); each subtask steps it through its own {@link Session}, opened in {@code open} and closed in
 * {@code close}. The location is read through Flink's file systems, so it may be a local path every TaskManager sees, or
 * an {@code hdfs:}/{@code s3:} URI with the matching plugin.
 *
 * <p>For wide models, {@link Builder#buildMicroBatching} steps several keys of a subtask together instead, with the
 * same keyed state.
 *
 * <p>Not thread-safe, as no Flink function needs to be: Flink calls a subtask's instance from one thread.
 *
 * @param <K>   the key type
 * @param <IN>  the event type
 * @param <OUT> the output type
 */
public final class LstmStepFunction<K, IN, OUT> extends KeyedProcessFunction<K, IN, OUT>
        implements ResultTypeQueryable<OUT> {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String modelLocation;
    private final FeatureExtractor<IN> features;
    private final OutputBuilder<IN, OUT> output;
    private final TypeInformation<OUT> outputType;
    private final Duration idleStateTtl;     // null: states are kept until the job ends

    private transient SharedModels.Lease lease;
    private transient Model model;
    private transient Session session;
    private transient LstmState state;      // each event's key's state, restored into it in turn
    private transient ValueState<byte[]> stored;

    private LstmStepFunction(Builder<IN, OUT> b) {
        this.modelLocation = b.modelLocation;
        this.features = b.features;
        this.output = b.output;
        this.outputType = b.outputType;
        this.idleStateTtl = b.idleStateTtl;
    }

    /**
     * Starts a function over the model at {@code modelLocation} (a path every TaskManager can read, or a URI of a Flink
     * file system).
     *
     * @param features    each event's input, {@code float[model.inputSize()]}
     * @param outputClass the output type, which Flink cannot see through the lambda
     * @param output      each event's output from the event and the model's output for it
     */
    public static <IN, OUT> Builder<IN, OUT> builder(String modelLocation, FeatureExtractor<IN> features,
                                                     Class<OUT> outputClass, OutputBuilder<IN, OUT> output) {
        return new Builder<>(modelLocation, features, TypeInformation.of(outputClass), output);
    }

    /** The optional settings; {@link #build()} makes the function. */
    public static final class Builder<IN, OUT> {
        private final String modelLocation;
        private final FeatureExtractor<IN> features;
        private final TypeInformation<OUT> outputType;
        private final OutputBuilder<IN, OUT> output;
        private Duration idleStateTtl;

        private Builder(String modelLocation, FeatureExtractor<IN> features, TypeInformation<OUT> outputType,
                        OutputBuilder<IN, OUT> output) {
            this.modelLocation = Objects.requireNonNull(modelLocation, "modelLocation");
            this.features = Objects.requireNonNull(features, "features");
            this.outputType = Objects.requireNonNull(outputType, "outputType");
            this.output = Objects.requireNonNull(output, "output");
        }

        /**
         * Drops a key's state once no event has arrived for it for {@code ttl} (Flink state TTL, processing time,
         * refreshed by every event): its next event starts from a zero state, as a new stream. Without this, every
         * key's state is kept for as long as the job runs.
         */
        public Builder<IN, OUT> idleStateTtl(Duration ttl) {
            if (ttl == null || ttl.isNegative() || ttl.isZero())
                throw new IllegalArgumentException("idle state TTL " + ttl + ", expected a positive duration");
            this.idleStateTtl = ttl;
            return this;
        }

        /**
         * An operator that steps the events of up to {@code maxKeys} distinct keys together, each event waiting at most
         * {@code maxDelay} (see {@link LstmMicroBatchOperator}), for {@code keyedStream.transform(name, outputType, ...)}.
         */
        public LstmMicroBatchOperator<IN, OUT> buildMicroBatching(int maxKeys, Duration maxDelay) {
            return new LstmMicroBatchOperator<>(modelLocation, features, output, idleStateTtl, maxKeys, maxDelay);
        }

        /** The function, for {@code keyedStream.process(...)}; its key type is the stream's. */
        public <K> LstmStepFunction<K, IN, OUT> build() {
            return new LstmStepFunction<>(this);
        }
    }

    @Override
    public void open(OpenContext context) throws Exception {
        lease = SharedModels.acquire(modelLocation);
        model = lease.model();
        KeyStates.checkStreams(model, modelLocation);
        session = model.newSession(1, 1);
        state = model.newState();
        stored = getRuntimeContext().getState(KeyStates.descriptor(idleStateTtl));
    }

    @Override
    public void processElement(IN event, Context ctx, Collector<OUT> out) throws Exception {
        K key = ctx.getCurrentKey();
        float[] x = KeyStates.checkedFeatures(features.features(event), model, modelLocation, key);
        KeyStates.restore(state, stored.value(), modelLocation, key);
        float[] y = new float[model.outputSize()];
        session.step(state, x, y);
        stored.update(state.toBytes());
        out.collect(output.output(event, y));
    }

    @Override
    public void close() throws Exception {
        if (session != null) session.close();
        if (lease != null) lease.close();
        session = null;
        model = null;
        state = null;
        lease = null;
    }

    @Override
    public TypeInformation<OUT> getProducedType() {
        return outputType;
    }
}
