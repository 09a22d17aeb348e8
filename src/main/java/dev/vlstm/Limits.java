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
 */
public record Limits(long maxFileBytes, int maxLayers, int maxHidden, int maxSequence) {

    /** The caps set by system properties, or the defaults. */
    public static Limits defaults() {
        return new Limits(Long.getLong("vlstm.maxFileBytes", 8L << 30), Integer.getInteger("vlstm.maxLayers", 16),
                Integer.getInteger("vlstm.maxHidden", 8192), Integer.getInteger("vlstm.maxSequence", 1_000_000));
    }

    public Limits withMaxFileBytes(long v) {
        return new Limits(v, maxLayers, maxHidden, maxSequence);
    }

    public Limits withMaxLayers(int v) {
        return new Limits(maxFileBytes, v, maxHidden, maxSequence);
    }

    public Limits withMaxHidden(int v) {
        return new Limits(maxFileBytes, maxLayers, v, maxSequence);
    }

    public Limits withMaxSequence(int v) {
        return new Limits(maxFileBytes, maxLayers, maxHidden, v);
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
