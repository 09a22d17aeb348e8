package dev.vlstm.cli;

import java.util.Arrays;

/**
 * A float32 array in C (row-major) order, as stored in a .npy file. {@code shape} is empty for a scalar.
 * The arrays are not copied (they can be hundreds of MB), so callers must not mutate them while shared.
 */
public record NpyArray(long[] shape, float[] data) {
    public NpyArray {
        if (shape == null || data == null) throw new NullPointerException("shape and data must not be null");
        long count = Npy.elementCount(shape);
        if (count != data.length)
            throw new IllegalArgumentException("shape " + Npy.shapeString(shape) + " has " + count + " elements but data has " + data.length);
    }

    // Records compare arrays by reference; value semantics are what tests and callers expect.
    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray other && Arrays.equals(shape, other.shape) && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NpyArray[shape=" + Npy.shapeString(shape) + ", " + data.length + " floats]";
    }
}
