package dev.vlstm.flink;

/** A test output: the model's output {@code y} for reading {@code index} of {@code device}. */
public record Score(String device, int index, float[] y) {

    /** The (key, event index) pair a score answers, e.g. {@code device-3#17}. */
    String event() {
        return device + "#" + index;
    }
}
