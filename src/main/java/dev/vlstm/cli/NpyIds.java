package dev.vlstm.cli;

/** An int32 or int64 .npy array (token ids) in C order, widened to long. Not copied: callers must not mutate it while shared. */
public record NpyIds(long[] shape, long[] data) {
    public NpyIds {
        if (Npy.elementCount(shape) != data.length)
            throw new IllegalArgumentException("shape " + Npy.shapeString(shape) + " does not hold " + data.length + " ids");
    }
}
