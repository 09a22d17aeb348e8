package dev.vlstm.format;

import static dev.vlstm.format.FileLayout.*;

/** The consistency rules of format-spec.md's model section, shared by the writer and the reader. */
final class SpecRules {
    private SpecRules() {
    }

    /** Throws a {@link VlstmFormatException} naming the first field that breaks a rule; {@code where} prefixes it. */
    static void check(ModelSpec spec, String where) {
        int layers = spec.layers().size();
        if (layers < 1 || layers > MAX_LAYERS) fail(where, "layer count " + layers + ", expected 1.." + MAX_LAYERS);
        for (int l = 0; l < layers; l++) {
            LayerSpec layer = spec.layers().get(l);
            String at = where + ": layer " + l;
            if (layer.hiddenSize() < 1 || layer.hiddenSize() > MAX_HIDDEN)
                fail(at, "hidden size " + layer.hiddenSize() + ", expected 1.." + MAX_HIDDEN);
            long expectedInput = l == 0 ? -1 : spec.layers().get(l - 1).outputSize();
            if (l == 0 && (layer.inputSize() < 1 || layer.inputSize() > MAX_FEATURES))
                fail(at, "input size " + layer.inputSize() + ", expected 1.." + MAX_FEATURES);
            if (l > 0 && layer.inputSize() != expectedInput)
                fail(at, "input size " + layer.inputSize() + ", expected " + expectedInput
                        + " (hidden size x directions of layer " + (l - 1) + ")");
            if (!(layer.clip() > 0) || (Float.isInfinite(layer.clip()) && layer.clip() < 0))
                fail(at, "clip " + layer.clip() + ", expected a positive number or +Infinity for none");
            for (Activation a : new Activation[]{layer.f(), layer.g(), layer.h()})
                if (!Float.isFinite(a.alpha()) || !Float.isFinite(a.beta()))
                    fail(at, "activation " + a + " has a non-finite alpha or beta");
        }
        int last = spec.layers().getLast().outputSize();
        if (spec.head() != null) {
            if (spec.head().inputSize() != last)
                fail(where + ": head", "input size " + spec.head().inputSize() + ", expected " + last
                        + " (output width of the last layer)");
            if (spec.head().outputSize() < 1 || spec.head().outputSize() > MAX_FEATURES)
                fail(where + ": head", "output size " + spec.head().outputSize() + ", expected 1.." + MAX_FEATURES);
        }
        checkIo(spec, where);
    }

    private static void checkIo(ModelSpec spec, String where) {
        if (spec.inputs().size() != 1 || spec.inputs().getFirst().role() != IoSpec.Role.SEQUENCE_INPUT)
            fail(where, "inputs " + spec.inputs() + ", expected exactly one sequence input");
        if (spec.outputs().size() != 1 || spec.outputs().getFirst().role() != IoSpec.Role.SEQUENCE_OUTPUT)
            fail(where, "outputs " + spec.outputs() + ", expected exactly one sequence output");
        checkIo(spec.inputs().getFirst(), spec.inputSize(), where + ": input");
        checkIo(spec.outputs().getFirst(), spec.outputSize(), where + ": output");
    }

    private static void checkIo(IoSpec io, int features, String where) {
        String at = where + " '" + io.name() + "'";
        int nameBytes = io.name().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (nameBytes < 1 || nameBytes > MAX_NAME) fail(at, "name of " + nameBytes + " bytes, expected 1.." + MAX_NAME);
        if (io.shape().size() != 3) fail(at, "rank " + io.shape().size() + ", expected 3");
        for (IoSpec.Dim d : io.shape())
            if (d.size() < -1 || d.size() == 0) fail(at, "dimension " + d.size() + ", expected >= 1 or -1 (free)");
        long last = io.shape().getLast().size();
        if (last != features) fail(at, "feature dimension " + last + ", expected " + features);
    }

    static void fail(String where, String what) {
        throw new VlstmFormatException(where + ": " + what);
    }
}
