package dev.vlstm.flink;

import java.util.SplittableRandom;

/**
 * A test event: the {@code index}-th reading of {@code device}, its features a fixed function of both, so a reference
 * run and every Flink run see the same numbers.
 */
public record Reading(String device, int index, float[] values) {

    /** Event {@code i} of a stream that visits {@code devices} devices in turn: device i % devices, its reading i / devices. */
    static Reading nth(long i, int devices, int inputSize) {
        int device = (int) (i % devices), index = (int) (i / devices);
        SplittableRandom rnd = new SplittableRandom(device * 1_000_003L + index);
        float[] values = new float[inputSize];
        for (int k = 0; k < inputSize; k++) values[k] = (float) (rnd.nextDouble() * 2 - 1);
        return new Reading(name(device), index, values);
    }

    static String name(int device) {
        return "device-" + device;
    }
}
