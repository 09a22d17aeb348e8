package dev.vlstm.format;

import java.util.ArrayList;
import java.util.List;

/** Constants of format-spec.md and the tensor set a model section implies. */
final class FileLayout {
    private FileLayout() {
    }

    static final byte[] MAGIC = {(byte) 0x89, 'V', 'L', 'S', 'T', 'M', 0x0D, 0x0A};
    static final int MAJOR = 2;
    /** The newest minor version this code reads; it writes the lowest the model needs ({@link ModelSpec#minorVersion}). */
    static final int MINOR = 3;
    /** The most rows an embedding table may have: ids travel as int32 and every id must be exact in a float. */
    static final int MAX_VOCABULARY = 1 << 24;
    /** The previous major version, still read (format-spec.md, "Reading version 1 files"). */
    static final int OLDEST_MAJOR = 1;
    static final int HEADER_SIZE = 64;
    static final int ENTRY_SIZE = 128;
    static final int NAME_BYTES = 48;
    static final int MAX_RANK = 4;
    static final int ALIGN = 64;
    static final int DTYPE_F32 = 1;

    static final int MAX_LAYERS = 64;
    static final int MAX_HIDDEN = 65_536;
    static final int MAX_FEATURES = 1 << 20;
    static final int MAX_TENSORS = 4096;
    static final int MAX_METADATA = 256;
    static final int MAX_STRING = 65_535;
    static final int MAX_NAME = 256;
    static final int MAX_IO_RANK = 8;
    static final int MAX_HEAD_OPS = 64;
    static final int PANEL = 16;

    /** A tensor the model section implies: its name, packed dims and how it is stored. */
    record Expected(String name, long[] dims, WeightType dtype) {
        Expected(String name, long[] dims) {
            this(name, dims, WeightType.FP32);
        }
    }

    /** The suffix of an int8 weight matrix's scales tensor: {@code l0.d0.w} has {@code l0.d0.w.scale}. */
    static final String SCALE_SUFFIX = ".scale";

    /**
     * A weight matrix {@code [panels][k][gates][16]} as {@code spec} stores it, and after it, for int8, its scales:
     * one per column, {@code [panels][gates][16]}.
     */
    private static void addMatrix(List<Expected> out, ModelSpec spec, String name, long panels, long k, long gates) {
        out.add(new Expected(name, new long[]{panels, k, gates, PANEL}, spec.weights()));
        if (spec.weights() == WeightType.INT8) out.add(new Expected(name + SCALE_SUFFIX, new long[]{panels, gates, PANEL}));
    }

    static int panels(int units) {
        return (units + PANEL - 1) / PANEL;
    }

    static String weightName(int layer, int dir, char kind) {
        return "l" + layer + ".d" + dir + "." + kind;
    }

    /** The exact tensors, in file order, that a model with this spec stores (format-spec.md, "Tensors"). */
    static List<Expected> expectedTensors(ModelSpec spec) {
        List<Expected> out = new ArrayList<>();
        if (spec.takesTokenIds()) out.add(new Expected("embedding", new long[]{spec.vocabulary(), spec.inputSize()}));
        for (int l = 0; l < spec.layers().size(); l++) {
            LayerSpec layer = spec.layers().get(l);
            long n = panels(layer.hiddenSize());
            for (int d = 0; d < layer.direction().count; d++) {
                addMatrix(out, spec, weightName(l, d, 'w'), n, layer.inputSize(), 4);
                addMatrix(out, spec, weightName(l, d, 'r'), n, layer.hiddenSize(), 4);
                out.add(new Expected(weightName(l, d, 'b'), new long[]{n, 4, PANEL}));
                if (layer.peepholes()) out.add(new Expected(weightName(l, d, 'p'), new long[]{n, 3, PANEL}));
            }
        }
        for (int i = 0; i < spec.head().size(); i++) {
            HeadOp op = spec.head().get(i);
            String prefix = spec.headTensorPrefix(i);
            if (op.kind() == HeadOp.Kind.DENSE) {
                long m = panels(op.outputSize());
                addMatrix(out, spec, prefix + "w", m, op.inputSize(), 1);
                out.add(new Expected(prefix + "b", new long[]{m, PANEL}));
            } else if (op.kind() == HeadOp.Kind.LAYER_NORM) {
                out.add(new Expected(prefix + "scale", new long[]{op.outputSize()}));
                out.add(new Expected(prefix + "bias", new long[]{op.outputSize()}));
            }
        }
        IoSpec lengths = spec.input(IoSpec.Role.CONSTANT_SEQUENCE_LENS);
        if (lengths != null) out.add(new Expected("sequence_lens", new long[]{lengths.shape().getFirst().size()}));
        return out;
    }

    static long alignUp(long v) {
        return (v + ALIGN - 1) & -ALIGN;
    }
}
