package dev.vlstm;

import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;

/**
 * Caps on what a model file and a call may ask for, checked before anything is allocated, so a hostile or broken file
 * or argument gets a clear error instead of exhausting memory. The defaults come from system properties of the same
 * names ({@code -Dvlstm.maxFileBytes=...}); a caller may pass its own to {@link Model#load(java.nio.file.Path, Limits)}.
 *
 * @param maxFileBytes largest .vlstm file read (default 8 GiB)
 * @param maxLayers    most LSTM layers (default 16)
 * @param maxHidden    largest hidden size (default 8192)
 * @param maxSequence  longest sequence one run accepts (default 1 000 000 timesteps)
 * @param maxFoldedEmbeddingBytes the most heap a token-ids model's embedding folded through layer 0 may take (default
 *                     64 MiB; 0 never folds): above it the table rows go through layer 0's projection at every run
 * @param maxDecodedInt8Bytes an int8 model whose W and R matrices together take at most this in fp32 is decoded to
 *                     fp32 at load and runs on the fp32 kernels (default 256 KiB; 0 keeps every model in int8): so
 *                     few weights stay in L1 or L2, where widening int8 in registers costs more than its bytes save
 *
 * <pre>{@code
 * Model model = Model.load(Path.of("big.vlstm"), Limits.defaults().withMaxFileBytes(32L << 30));
 * }</pre>
 */
public record Limits(long maxFileBytes, int maxLayers, int maxHidden, int maxSequence, long maxFoldedEmbeddingBytes,
                     long maxDecodedInt8Bytes) {

    /**
     * 256 KiB: on the Zen 3 a batch-1 step over an int8 R was 16–18 % slower than over fp32 at 64 KB of fp32 R, 8 %
     * faster and 24 % slower in two runs at 256 KB, about as fast at 1 MB, faster at 16 MB
     * (RecurrentStepBenchmark, BENCHMARKS.md, 2026-12-07).
     */
    static final long DEFAULT_MAX_DECODED_INT8_BYTES = 256L << 10;

    /**
     * The caps set by system properties, or the defaults.
     *
     * @return the caps in force for this JVM
     */
    public static Limits defaults() {
        return new Limits(Long.getLong("vlstm.maxFileBytes", 8L << 30), Integer.getInteger("vlstm.maxLayers", 16),
                Integer.getInteger("vlstm.maxHidden", 8192), Integer.getInteger("vlstm.maxSequence", 1_000_000),
                Long.getLong("vlstm.maxFoldedEmbeddingBytes", 64L << 20),
                Long.getLong("vlstm.maxDecodedInt8Bytes", DEFAULT_MAX_DECODED_INT8_BYTES));
    }

    /**
     * The first four caps, and the default folded-embedding cap.
     *
     * @param maxFileBytes largest .vlstm file read
     * @param maxLayers    most LSTM layers
     * @param maxHidden    largest hidden size
     * @param maxSequence  longest sequence one run accepts
     */
    public Limits(long maxFileBytes, int maxLayers, int maxHidden, int maxSequence) {
        this(maxFileBytes, maxLayers, maxHidden, maxSequence, 64L << 20, DEFAULT_MAX_DECODED_INT8_BYTES);
    }

    /**
     * The first five caps, and the default int8 decoding size.
     *
     * @param maxFileBytes largest .vlstm file read
     * @param maxLayers    most LSTM layers
     * @param maxHidden    largest hidden size
     * @param maxSequence  longest sequence one run accepts
     * @param maxFoldedEmbeddingBytes the most heap a folded embedding may take
     */
    public Limits(long maxFileBytes, int maxLayers, int maxHidden, int maxSequence, long maxFoldedEmbeddingBytes) {
        this(maxFileBytes, maxLayers, maxHidden, maxSequence, maxFoldedEmbeddingBytes, DEFAULT_MAX_DECODED_INT8_BYTES);
    }

    /**
     * These caps with another largest file.
     *
     * @param v the new cap
     * @return a copy with {@code maxFileBytes} set to {@code v}
     */
    public Limits withMaxFileBytes(long v) {
        return new Limits(v, maxLayers, maxHidden, maxSequence, maxFoldedEmbeddingBytes, maxDecodedInt8Bytes);
    }

    /**
     * These caps with another most layers.
     *
     * @param v the new cap
     * @return a copy with {@code maxLayers} set to {@code v}
     */
    public Limits withMaxLayers(int v) {
        return new Limits(maxFileBytes, v, maxHidden, maxSequence, maxFoldedEmbeddingBytes, maxDecodedInt8Bytes);
    }

    /**
     * These caps with another largest hidden size.
     *
     * @param v the new cap
     * @return a copy with {@code maxHidden} set to {@code v}
     */
    public Limits withMaxHidden(int v) {
        return new Limits(maxFileBytes, maxLayers, v, maxSequence, maxFoldedEmbeddingBytes, maxDecodedInt8Bytes);
    }

    /**
     * These caps with another longest sequence.
     *
     * @param v the new cap
     * @return a copy with {@code maxSequence} set to {@code v}
     */
    public Limits withMaxSequence(int v) {
        return new Limits(maxFileBytes, maxLayers, maxHidden, v, maxFoldedEmbeddingBytes, maxDecodedInt8Bytes);
    }

    /**
     * These caps with another largest folded embedding.
     *
     * @param v the new cap
     * @return a copy with {@code maxFoldedEmbeddingBytes} set to {@code v}
     */
    public Limits withMaxFoldedEmbeddingBytes(long v) {
        return new Limits(maxFileBytes, maxLayers, maxHidden, maxSequence, v, maxDecodedInt8Bytes);
    }

    /**
     * These caps with another largest decoded int8 model.
     *
     * @param v the new size in bytes of fp32; 0 runs every int8 model on the int8 kernels
     * @return a copy with {@code maxDecodedInt8Bytes} set to {@code v}
     */
    public Limits withMaxDecodedInt8Bytes(long v) {
        return new Limits(maxFileBytes, maxLayers, maxHidden, maxSequence, maxFoldedEmbeddingBytes, v);
    }

    /** The message for a value over its cap: which cap, and how to raise it. */
    static String exceeded(String what, long value, String cap, long limit) {
        return what + " " + value + " exceeds the cap " + cap + " = " + limit + "; raise it with -Dvlstm." + cap
                + "=N or Limits.defaults().with" + Character.toUpperCase(cap.charAt(0)) + cap.substring(1) + "(N)";
    }

    void check(ModelSpec spec, String source) {
        if (spec.layers().size() > maxLayers)
            throw new IllegalArgumentException(source + ": " + exceeded("layer count", spec.layers().size(), "maxLayers", maxLayers));
        for (LayerSpec l : spec.layers())
            if (l.hiddenSize() > maxHidden)
                throw new IllegalArgumentException(source + ": " + exceeded("hidden size", l.hiddenSize(), "maxHidden", maxHidden));
    }
}
