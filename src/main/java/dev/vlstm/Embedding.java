package dev.vlstm;

import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.VlstmFile;
import dev.vlstm.kernel.LstmKernels;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * A token-ids model's embedding table (format 2.2, tensor {@code embedding}, {@code [vocabulary][width]}): what
 * PyTorch's {@code nn.Embedding} computes, one table row per id.
 *
 * <p>Folded when it fits {@link Limits#maxFoldedEmbeddingBytes()} (64 MiB by default): at load, every table row goes
 * once through layer 0's input projection, per direction, into a lookup table of gate pre-activations
 * ({@link Model.DirectionWeights#lookup()}), and a token then costs a copy of its row instead of width × 4·hidden
 * multiply-adds per direction (EmbeddingTest: the folded and unfolded models agree within float rounding of the
 * same products). The session then hands layer 0 the ids themselves, one float per timestep (exact: ids are below
 * 2^24). Unfolded, the session copies each id's table row and layer 0 projects it like any input. Allocates nothing.
 */
final class Embedding {
    private final float[] table;
    final int vocabulary, width;
    /** Whether layer 0 reads the ids through folded lookup tables (true) or the table rows through its projection. */
    final boolean folded;

    private Embedding(float[] table, int vocabulary, int width, boolean folded) {
        this.table = table;
        this.vocabulary = vocabulary;
        this.width = width;
        this.folded = folded;
    }

    /** The model's embedding, or null when it takes float features; folded when its lookup tables fit the cap. */
    static Embedding of(ModelSpec spec, VlstmFile file, Limits limits) {
        if (!spec.takesTokenIds()) return null;
        var first = spec.layers().getFirst();
        long gates = (long) (first.hiddenSize() + PANEL - 1) / PANEL * 4 * PANEL;
        long foldedBytes = (long) spec.vocabulary() * gates * first.direction().count * Float.BYTES;
        return new Embedding(file.tensorFloats("embedding"), spec.vocabulary(), spec.inputSize(),
                foldedBytes <= limits.maxFoldedEmbeddingBytes() && spec.vocabulary() * gates <= Integer.MAX_VALUE - 8);
    }

    /** One direction's lookup table: every table row through its input projection, {@code [vocabulary][gates]}. */
    float[] fold(Model.DirectionWeights wts, LstmKernels k) {
        int gates = wts.bias().length, panels = gates / (4 * PANEL);
        float[] lookup = new float[vocabulary * gates];
        k.project(table, 0, width, vocabulary, width, wts.w(), wts.bias(), 0, panels, 4, false, lookup, 0, gates, gates);
        return lookup;
    }

    /** Values per timestep layer 0 reads: 1 (the id) when folded, else the table's width. */
    int rowWidth() {
        return folded ? 1 : width;
    }

    /** Layer 0's input for {@code n} ids, row i at {@code out[i * rowWidth()]}; every id already checked by {@link #check}. */
    void lookUp(int[] ids, long[] longIds, int n, float[] out) {
        for (int i = 0; i < n; i++) {
            int id = ids != null ? ids[i] : (int) longIds[i];
            if (folded) out[i] = id;
            else System.arraycopy(table, id * width, out, i * width, width);
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
