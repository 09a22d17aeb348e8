package dev.vlstm.flink;

import java.io.Serializable;

/**
 * The model's input for one event: {@code float[model.inputSize()]}, one timestep of that event's key. Serializable
 * because Flink ships it to the TaskManagers with the job; a method reference such as {@code Reading::values} is.
 *
 * @param <IN> the event type
 */
@FunctionalInterface
public interface FeatureExtractor<IN> extends Serializable {
    float[] features(IN event);
}
