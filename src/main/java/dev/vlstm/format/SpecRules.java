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
            for (GateActivations set : layer.activations())
                for (Activation a : new Activation[]{set.f(), set.g(), set.h()})
                    if (!Float.isFinite(a.alpha()) || !Float.isFinite(a.beta()))
                        fail(at, "activation " + a + " has a non-finite alpha or beta");
        }
        int last = spec.layers().getLast().outputSize();
        if (spec.head().size() > MAX_HEAD_OPS)
            fail(where + ": head", spec.head().size() + " operations, expected at most " + MAX_HEAD_OPS);
        int width = last;
        for (int i = 0; i < spec.head().size(); i++) {
            HeadOp op = spec.head().get(i);
            String at = where + ": head" + (spec.head().size() == 1 ? "" : " operation " + i + " (" + op.kind().onnxName + ")");
            if (op.inputSize() != width)
                fail(at, "input size " + op.inputSize() + ", expected " + width
                        + (i == 0 ? " (output width of the last layer)" : " (output width of the operation before)"));
            if (op.outputSize() < 1 || op.outputSize() > MAX_FEATURES)
                fail(at, "output size " + op.outputSize() + ", expected 1.." + MAX_FEATURES);
            if (op.kind() != HeadOp.Kind.DENSE && op.outputSize() != op.inputSize())
                fail(at, "output size " + op.outputSize() + ", expected its input size " + op.inputSize());
            if (!Float.isFinite(op.alpha()) || (!op.kind().hasAlpha() && op.alpha() != 0))
                fail(at, "alpha " + op.alpha() + ", expected " + (op.kind().hasAlpha() ? "a finite number" : "0"));
            if (op.kind().pools() && i > 0)
                fail(at, "pools over time after another operation; pooling is only the head's first operation");
            if (op.kind() == HeadOp.Kind.LAYER_NORM && !(op.alpha() > 0))
                fail(at, "epsilon " + op.alpha() + ", expected > 0");
            width = op.outputSize();
        }
        checkIo(spec, where);
    }

    private static void checkIo(ModelSpec spec, String where) {
        java.util.Set<String> names = new java.util.HashSet<>();
        java.util.EnumSet<IoSpec.Role> seen = java.util.EnumSet.noneOf(IoSpec.Role.class);
        for (IoSpec io : spec.inputs()) {
            if (io.role().code >= 16) fail(where + ": input '" + io.name() + "'", "has the output role " + io.role());
            checkOne(spec, io, names, seen, where + ": input");
        }
        for (IoSpec io : spec.outputs()) {
            if (io.role().code < 16) fail(where + ": output '" + io.name() + "'", "has the input role " + io.role());
            checkOne(spec, io, names, seen, where + ": output");
        }
        if (seen.contains(IoSpec.Role.SEQUENCE_INPUT) == seen.contains(IoSpec.Role.TOKEN_IDS))
            fail(where, seen.contains(IoSpec.Role.TOKEN_IDS) ? "a model takes a sequence input or token ids, not both"
                    : "no input has the sequence input or token ids role");
        if (seen.contains(IoSpec.Role.TOKEN_IDS) != spec.takesTokenIds()
                || spec.vocabulary() < 0 || spec.vocabulary() > FileLayout.MAX_VOCABULARY)
            fail(where, "vocabulary size " + spec.vocabulary() + (seen.contains(IoSpec.Role.TOKEN_IDS)
                    ? ", expected 1.." + FileLayout.MAX_VOCABULARY + " for a token ids input" : ", expected 0 without a token ids input"));
        if (spec.takesTokenIds() && (long) spec.vocabulary() * spec.inputSize() > Integer.MAX_VALUE - 8)
            fail(where, "an embedding of " + spec.vocabulary() + " x " + spec.inputSize() + " values does not fit a Java array");
        if (spec.outputs().isEmpty()) fail(where, "the model has no output");
        if ((seen.contains(IoSpec.Role.SEQUENCE_OUTPUT) ? 1 : 0) + (seen.contains(IoSpec.Role.LAST_STEP_OUTPUT) ? 1 : 0)
                + (seen.contains(IoSpec.Role.LAYER_Y) ? 1 : 0) + (seen.contains(IoSpec.Role.FINAL_STATE_OUTPUT) ? 1 : 0)
                + (seen.contains(IoSpec.Role.POOLED_OUTPUT) ? 1 : 0) > 1)
            fail(where, "a model has at most one of a sequence output, a last-step output, a layer Y output, a "
                    + "final-state output and a pooled output");
        if (seen.contains(IoSpec.Role.SEQUENCE_LENS) && seen.contains(IoSpec.Role.CONSTANT_SEQUENCE_LENS))
            fail(where, "a model has sequence lengths as an input or as a constant, not both");
        if (spec.pools() != seen.contains(IoSpec.Role.POOLED_OUTPUT))
            fail(where, spec.pools() ? "the head pools over time but the model has no pooled output"
                    : "a pooled output needs a head that starts by pooling over time");
        if (spec.hasHead() && seen.contains(IoSpec.Role.LAYER_Y))
            fail(where, "a layer Y output is the last layer's own output; the model cannot also have a head");
        if (spec.hasHead() && !seen.contains(IoSpec.Role.SEQUENCE_OUTPUT) && !seen.contains(IoSpec.Role.LAST_STEP_OUTPUT)
                && !seen.contains(IoSpec.Role.FINAL_STATE_OUTPUT) && !seen.contains(IoSpec.Role.POOLED_OUTPUT))
            fail(where, "the model has a head but no sequence, last-step, final-state or pooled output for it");
        boolean states = seen.contains(IoSpec.Role.INITIAL_H) || seen.contains(IoSpec.Role.INITIAL_C)
                || seen.contains(IoSpec.Role.FINAL_H) || seen.contains(IoSpec.Role.FINAL_C);
        if (states && spec.layers().stream().mapToInt(LayerSpec::hiddenSize).distinct().count() != 1)
            fail(where, "state inputs and outputs need the same hidden size in every layer");
    }

    private static void checkOne(ModelSpec spec, IoSpec io, java.util.Set<String> names,
                                 java.util.EnumSet<IoSpec.Role> seen, String where) {
        String at = where + " '" + io.name() + "'";
        int nameBytes = io.name().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (nameBytes < 1 || nameBytes > MAX_NAME) fail(at, "name of " + nameBytes + " bytes, expected 1.." + MAX_NAME);
        if (!names.add(io.name())) fail(at, "the name is used twice");
        if (!seen.add(io.role())) fail(at, "role " + io.role() + " appears twice");
        for (IoSpec.Dim d : io.shape())
            if (d.size() < -1 || d.size() == 0) fail(at, "dimension " + d.size() + ", expected >= 1 or -1 (free)");
        int rank = switch (io.role()) {
            case SEQUENCE_INPUT, SEQUENCE_OUTPUT, INITIAL_H, INITIAL_C, FINAL_H, FINAL_C -> 3;
            case LAYER_Y -> 4;
            case LAST_STEP_OUTPUT, FINAL_STATE_OUTPUT, POOLED_OUTPUT -> 2;
            case SEQUENCE_LENS, CONSTANT_SEQUENCE_LENS -> 1;
            case TOKEN_IDS -> 2;
        };
        if (io.shape().size() != rank) fail(at, "rank " + io.shape().size() + ", expected " + rank + " for " + io.role());
        long last = io.shape().getLast().size();
        long expected = switch (io.role()) {
            case SEQUENCE_INPUT -> spec.inputSize();
            case SEQUENCE_OUTPUT, LAST_STEP_OUTPUT, FINAL_STATE_OUTPUT, POOLED_OUTPUT -> spec.outputSize();
            case INITIAL_H, INITIAL_C, FINAL_H, FINAL_C -> spec.layers().getFirst().hiddenSize();
            case LAYER_Y -> spec.layers().getLast().hiddenSize();
            case SEQUENCE_LENS, CONSTANT_SEQUENCE_LENS, TOKEN_IDS -> last;
        };
        if (io.role() == IoSpec.Role.CONSTANT_SEQUENCE_LENS && (last < 1 || last > MAX_FEATURES))
            fail(at, "a constant batch of " + last + " sequence lengths, expected a fixed size 1.." + MAX_FEATURES);
        if (last != expected && !(io.role() == IoSpec.Role.SEQUENCE_LENS))
            fail(at, "last dimension " + last + ", expected " + expected);
        if (io.role() == IoSpec.Role.LAYER_Y) {
            long dirs = io.shape().get(spec.layout() == SequenceLayout.SEQ_BATCH ? 1 : 2).size();
            if (dirs != spec.layers().getLast().direction().count)
                fail(at, "directions dimension " + dirs + ", expected " + spec.layers().getLast().direction().count);
        }
        if (rank == 3 && io.role() != IoSpec.Role.SEQUENCE_INPUT && io.role() != IoSpec.Role.SEQUENCE_OUTPUT) {
            long slots = io.shape().get(spec.stateLayout() == StateLayout.LAYER_MAJOR ? 0 : 1).size();
            if (slots != spec.stateSlots())
                fail(at, "layers x directions dimension " + slots + ", expected " + spec.stateSlots());
        }
    }

    static void fail(String where, String what) {
        throw new VlstmFormatException(where + ": " + what);
    }
}
