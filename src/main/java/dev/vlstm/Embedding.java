package dev.vlstm;

import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.VlstmFile;

/**
 * A token-ids model's embedding table (format 2.2, tensor {@code embedding}, {@code [vocabulary][width]}): what
 * PyTorch's {@code nn.Embedding} computes, one table row per id. The session looks the ids of a run up into float rows
 * that layer 0 then reads like any input. Allocates nothing.
 */
final class Embedding {
    private final float[] table;
    final int vocabulary, width;

    private Embedding(float[] table, int vocabulary, int width) {
        this.table = table;
        this.vocabulary = vocabulary;
        this.width = width;
    }

    /** The model's embedding, or null when it takes float features. */
    static Embedding of(ModelSpec spec, VlstmFile file) {
        return spec.takesTokenIds() ? new Embedding(file.tensorFloats("embedding"), spec.vocabulary(), spec.inputSize()) : null;
    }

    /** Rows for {@code n} ids, id i's row at {@code out[i * width]}; every id already checked by {@link #check}. */
    void lookUp(int[] ids, long[] longIds, int n, float[] out) {
        for (int i = 0; i < n; i++) {
            int id = ids != null ? ids[i] : (int) longIds[i];
            System.arraycopy(table, id * width, out, i * width, width);
        }
    }

    /** Refuses the first id outside 0 .. vocabulary − 1, naming its position and the vocabulary size. */
    void check(int[] ids, long[] longIds, int n, String inputName) {
        for (int i = 0; i < n; i++) {
            long id = ids != null ? ids[i] : longIds[i];
            if (id < 0 || id >= vocabulary)
                throw new IllegalArgumentException("token id " + id + " at position " + i + " of input '" + inputName
                        + "' is outside the vocabulary of " + vocabulary + " (ids 0.." + (vocabulary - 1) + ")");
        }
    }
}
