package dev.vlstm;

/**
 * Everything one {@link Session#run(RunArgs)} call reads and writes, by the roles of the model's ONNX inputs and
 * outputs. Reusable: set the arrays once and change their contents between calls; nothing is copied.
 *
 * <pre>{@code
 * RunArgs args = new RunArgs()
 *     .input(x, seq, batch)                 // [seq, batch, input] (or [batch, seq, input] for batch-first models)
 *                                           // token-ids models: .tokens(ids, seq, batch), ids int[] or long[]
 *     .initialStates(h0, c0)                // optional: [layers*dirs, batch, hidden] as PyTorch's h0/c0
 *     .sequenceLengths(lens)                // optional: per batch row, 0..seq
 *     .output(y)                            // [seq, batch, out] or, many-to-one, [batch, out]
 *     .finalStates(hn, cn);                 // optional: like h0/c0
 * session.run(args);
 * }</pre>
 *
 * Arrays that the model has no role for must stay null; arrays it needs must be given (the error names which).
 */
public final class RunArgs {
    float[] x;
    int[] tokens;           // a token-ids model's input: one of these two
    long[] longTokens;
    int seq;
    int batch;
    float[] initialH;
    float[] initialC;
    int[] sequenceLengths;
    float[] output;
    float[] finalH;
    float[] finalC;

    /** Arguments with nothing set: give at least the input, then what the call needs. */
    public RunArgs() {
    }

    /**
     * The sequence input, in the model's sequence layout.
     *
     * @param x     {@code [seq, batch, inputSize]} (or batch-first), row-major
     * @param seq   timesteps
     * @param batch sequences
     * @return this
     */
    public RunArgs input(float[] x, int seq, int batch) {
        this.x = x;
        this.tokens = null;
        this.longTokens = null;
        this.seq = seq;
        this.batch = batch;
        return this;
    }

    /**
     * The sequence input of a token-ids model ({@code nn.Embedding}): one id per timestep and row, {@code [seq, batch]}
     * (batch-first models: {@code [batch, seq]}), each in 0 .. {@link Model#vocabularySize()} − 1.
     *
     * @param ids   the ids, row-major
     * @param seq   timesteps
     * @param batch sequences
     * @return this
     */
    public RunArgs tokens(int[] ids, int seq, int batch) {
        this.tokens = ids;
        this.longTokens = null;
        this.x = null;
        this.seq = seq;
        this.batch = batch;
        return this;
    }

    /**
     * {@link #tokens(int[], int, int)} with int64 ids, as PyTorch's LongTensor holds them.
     *
     * @param ids   the ids, row-major
     * @param seq   timesteps
     * @param batch sequences
     * @return this
     */
    public RunArgs tokens(long[] ids, int seq, int batch) {
        this.longTokens = ids;
        this.tokens = null;
        this.x = null;
        this.seq = seq;
        this.batch = batch;
        return this;
    }

    /**
     * Initial h and c (either may be null: zeros), in the model's state layout.
     *
     * @param h initial h, or null
     * @param c initial c, or null
     * @return this
     */
    public RunArgs initialStates(float[] h, float[] c) {
        this.initialH = h;
        this.initialC = c;
        return this;
    }

    /**
     * Per-row sequence lengths (0..seq), or null for every row seq long.
     *
     * @param lengths {@code [batch]}, or null
     * @return this
     */
    public RunArgs sequenceLengths(int[] lengths) {
        this.sequenceLengths = lengths;
        return this;
    }

    /**
     * Where the sequence (or last-step) output goes; null to skip it.
     *
     * @param y the main output's array, or null
     * @return this
     */
    public RunArgs output(float[] y) {
        this.output = y;
        return this;
    }

    /**
     * Where the final h and c go (either may be null to skip it), in the model's state layout.
     *
     * @param h final h's array, or null
     * @param c final c's array, or null
     * @return this
     */
    public RunArgs finalStates(float[] h, float[] c) {
        this.finalH = h;
        this.finalC = c;
        return this;
    }
}
