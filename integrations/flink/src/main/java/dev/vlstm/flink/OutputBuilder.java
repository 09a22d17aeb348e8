package dev.vlstm.flink;

import java.io.Serializable;

/**
 * The operator's output for one event, from the event and the model's output for it.
 *
 * @param <IN>  the event type
 * @param <OUT> the output type
 */
@FunctionalInterface
public interface OutputBuilder<IN, OUT> extends Serializable {
    /**
     * @param event the event just stepped
     * @param y     the model's output for it, {@code float[model.outputSize()]}: a new array per event, the caller's to keep
     */
    OUT output(IN event, float[] y);
}
