package dev.vlstm.flink;

import dev.vlstm.LstmState;
import dev.vlstm.Model;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;

import java.time.Duration;

/**
 * What {@link LstmStepFunction} and {@link LstmMicroBatchOperator} share about a key's state: its descriptor (one
 * name, so a savepoint of either restores into the other), the checks of an event's features, and the restore of a
 * snapshot that names the key and the model when it is refused.
 */
final class KeyStates {
    private KeyStates() {
    }

    /** The keyed state's name: part of every savepoint, so it must never change. */
    static final String STATE_NAME = "vlstm-lstm-state";

    /** The keyed state's descriptor, with the TTL when {@code idleStateTtl} is not null. */
    static ValueStateDescriptor<byte[]> descriptor(Duration idleStateTtl) {
        ValueStateDescriptor<byte[]> d = new ValueStateDescriptor<>(STATE_NAME, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        if (idleStateTtl != null)
            d.enableTimeToLive(StateTtlConfig.newBuilder(idleStateTtl)
                    .updateTtlOnCreateAndWrite()        // every event writes the state, so every event refreshes it
                    .neverReturnExpired()               // an expired state is a new stream, even before cleanup
                    .build());
        return d;
    }

    /** Refuses, in {@code open}, a model this integration cannot step: token ids, reverse layers, pooling heads. */
    static void checkStreams(Model model, String location) {
        if (model.takesTokenIds())
            throw new IllegalArgumentException("vlstm model " + location + " reads token ids; vlstm-flink feeds float"
                    + " features (" + model.inputSize() + " per event)");
        model.newState();                   // a model that cannot stream fails here, named
    }

    /** {@code x} if it is one timestep of {@code model}'s input; else an error naming the key and the model. */
    static float[] checkedFeatures(float[] x, Model model, String location, Object key) {
        if (x == null || x.length != model.inputSize())
            throw new IllegalArgumentException("key '" + key + "': the event's features have "
                    + (x == null ? "no array" : x.length + " values") + ", but vlstm model " + location + " takes "
                    + model.inputSize() + " per event");
        return x;
    }

    /**
     * The key's state into {@code state} (one LstmState reused for every key, so an event allocates none): zeros for a
     * new key, else its snapshot, refused with the key and model named if of another model.
     */
    static void restore(LstmState state, byte[] snapshot, String location, Object key) {
        if (snapshot == null) {
            state.reset();
            return;
        }
        try {
            state.restore(snapshot);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("key '" + key + "': the LSTM state in Flink's keyed state cannot be restored"
                    + " into vlstm model " + location + ": " + e.getMessage() + ". A checkpoint's or savepoint's"
                    + " LSTM states belong to the exact model file they were taken with; restore the job with that file,"
                    + " or start it without the savepoint (every key from a zero state)", e);
        }
    }
}
