package dev.vlstm.format;

import java.util.ArrayList;
import java.util.List;

/** Encodes and decodes the model section (format-spec.md, "Model section"), version 2 and version 1. */
final class ModelSection {
    private ModelSection() {
    }

    private static final int LAYER_RECORD_V1 = 64;
    private static final int LAYER_RECORD = 96;

    static byte[] encode(ModelSpec spec) {
        LeBytes b = new LeBytes();
        b.u32(spec.layers().size()).u32(spec.layout().code).u32(spec.stateLayout().code);
        if (!spec.hasHead()) b.u32(0).u32(0).u32(0);
        else b.u32(spec.headFitsVersion20() ? 1 : 2).u32(spec.head().getFirst().inputSize()).u32(spec.outputSize());
        for (LayerSpec l : spec.layers()) {
            int start = b.size();
            b.u32(l.inputSize()).u32(l.hiddenSize()).u32(l.direction().code)
                    .u32((l.inputForget() ? 1 : 0) | (l.peepholes() ? 2 : 0)).f32(l.clip());
            for (GateActivations acts : l.activations())
                for (Activation a : new Activation[]{acts.f(), acts.g(), acts.h()}) b.u32(a.kind().code).f32(a.alpha()).f32(a.beta());
            b.zeros(LAYER_RECORD - (b.size() - start));
        }
        encodeIo(b, spec.inputs());
        encodeIo(b, spec.outputs());
        if (!spec.headFitsVersion20()) {
            b.u32(spec.head().size());
            for (HeadOp op : spec.head()) b.u32(op.kind().code).u32(op.outputSize()).f32(op.alpha()).u32(0);
        }
        if (spec.takesTokenIds()) b.u32(spec.vocabulary());
        return b.toByteArray();
    }

    private static void encodeIo(LeBytes b, List<IoSpec> list) {
        b.u32(list.size());
        for (IoSpec io : list) {
            b.u32(io.role().code).string(io.name()).u32(io.shape().size());
            for (IoSpec.Dim d : io.shape()) b.u64(d.size()).string(d.symbol());
        }
    }

    /** Decodes and checks the section of a file of the given major version; {@code r} must span exactly the section. */
    static ModelSpec decode(SectionReader r, String where, int major) {
        int layerCount = r.u32("layer count", 1, FileLayout.MAX_LAYERS);
        long layoutCode = r.u32("sequence layout");
        SequenceLayout layout = SequenceLayout.ofCode(layoutCode);
        if (layout == null) throw unknown(where, "sequence layout", layoutCode);
        StateLayout stateLayout = StateLayout.LAYER_MAJOR;
        if (major >= 2) {
            long code = r.u32("state layout");
            stateLayout = StateLayout.ofCode(code);
            if (stateLayout == null) throw unknown(where, "state layout", code);
        }
        int headPresent = r.u32("head present", 0, major >= 2 ? 2 : 1);
        int headIn = r.u32("head input size", 0, Integer.MAX_VALUE);
        int headOut = r.u32("head output size", 0, FileLayout.MAX_FEATURES);
        if (major == 1) r.zero(4, "reserved field after the head sizes");
        if (headPresent == 0 && (headIn != 0 || headOut != 0))
            throw new VlstmFormatException(where + ": head sizes " + headIn + "x" + headOut + " given but head present is 0");
        List<LayerSpec> layers = new ArrayList<>();
        for (int l = 0; l < layerCount; l++) layers.add(decodeLayer(r, where, "layer " + l, major));
        List<IoSpec> inputs = decodeIo(r, where, "input");
        List<IoSpec> outputs = decodeIo(r, where, "output");
        List<HeadOp> head = switch (headPresent) {
            case 0 -> List.of();
            case 1 -> List.of(HeadOp.dense(headIn, headOut));
            default -> decodeHead(r, where, headIn, headOut);
        };
        boolean ids = inputs.stream().anyMatch(io -> io.role() == IoSpec.Role.TOKEN_IDS);
        int vocabulary = ids ? r.u32("vocabulary size", 1, FileLayout.MAX_VOCABULARY) : 0;
        if (r.remaining() != 0)
            throw new VlstmFormatException(where + ": " + r.remaining() + " bytes left over after the "
                    + (ids ? "vocabulary size" : headPresent == 2 ? "head operations" : "outputs"));
        ModelSpec spec = new ModelSpec(layers, layout, stateLayout, head, inputs, outputs, vocabulary);
        SpecRules.check(spec, where);
        return spec;
    }

    /** Head operations (head present = 2, format 2.1): each takes the previous one's width, the first the head input size. */
    private static List<HeadOp> decodeHead(SectionReader r, String where, int headIn, int headOut) {
        int count = r.u32("head operation count", 1, FileLayout.MAX_HEAD_OPS);
        List<HeadOp> ops = new ArrayList<>();
        int width = headIn;
        for (int i = 0; i < count; i++) {
            String at = "head operation " + i;
            long code = r.u32(at + " kind");
            HeadOp.Kind kind = HeadOp.Kind.ofCode(code);
            if (kind == null) throw unknown(where, at + " kind", code);
            int out = r.u32(at + " output size", 1, FileLayout.MAX_FEATURES);
            float alpha = r.f32(at + " alpha");
            r.zero(4, at + " reserved");
            ops.add(new HeadOp(kind, width, out, alpha));
            width = out;
        }
        if (width != headOut)
            throw new VlstmFormatException(where + ": head output size " + headOut + ", but the head operations end at width " + width);
        return ops;
    }

    private static LayerSpec decodeLayer(SectionReader r, String where, String at, int major) {
        long start = r.position();
        int input = r.u32(at + " input size", 1, FileLayout.MAX_FEATURES);
        int hidden = r.u32(at + " hidden size", 1, FileLayout.MAX_HIDDEN);
        long dirCode = r.u32(at + " direction");
        Direction direction = Direction.ofCode(dirCode);
        if (direction == null) throw unknown(where, at + " direction", dirCode);
        long flags = r.u32(at + " flags");
        if ((flags & ~3L) != 0) throw unknown(where, at + " flags", flags);
        float clip = r.f32(at + " clip");
        // Version 1 stored one activation set for all directions; version 2 one per direction slot (2 slots).
        int slots = major == 1 ? 1 : 2;
        List<GateActivations> sets = new ArrayList<>();
        for (int d = 0; d < slots; d++) {
            String dir = at + (major == 1 ? "" : " direction " + d);
            if (d >= direction.count) {
                r.zero(36, dir + " activations (unused for a " + direction.onnxName + " layer)");
                continue;
            }
            sets.add(new GateActivations(activation(r, where, dir, "f"), activation(r, where, dir, "g"),
                    activation(r, where, dir, "h")));
        }
        while (sets.size() < direction.count) sets.add(sets.getFirst());
        int record = major == 1 ? LAYER_RECORD_V1 : LAYER_RECORD;
        r.zero((int) (record - (r.position() - start)), at + " reserved");
        return new LayerSpec(input, hidden, direction, clip, (flags & 1) != 0, (flags & 2) != 0, sets);
    }

    private static Activation activation(SectionReader r, String where, String at, String which) {
        long code = r.u32(at + " activation " + which);
        Activation.Kind kind = Activation.Kind.ofCode(code);
        if (kind == null) throw unknown(where, at + " activation " + which, code);
        return new Activation(kind, r.f32(at + " activation " + which + " alpha"), r.f32(at + " activation " + which + " beta"));
    }

    private static List<IoSpec> decodeIo(SectionReader r, String where, String kind) {
        int count = r.u32(kind + " count", 0, 16);
        List<IoSpec> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String at = kind + " " + i;
            long roleCode = r.u32(at + " role");
            IoSpec.Role role = IoSpec.Role.ofCode(roleCode);
            if (role == null) throw unknown(where, at + " role", roleCode);
            String name = r.string(at + " name", FileLayout.MAX_NAME);
            int rank = r.u32(at + " rank", 1, FileLayout.MAX_IO_RANK);
            List<IoSpec.Dim> dims = new ArrayList<>();
            for (int d = 0; d < rank; d++) {
                long size = r.u64(at + " dimension " + d);
                if (size < -1 || size == 0)
                    throw new VlstmFormatException(where + ": " + at + " dimension " + d + " is " + size + ", expected >= 1 or -1 (free)");
                dims.add(new IoSpec.Dim(size, r.string(at + " dimension " + d + " symbol", FileLayout.MAX_NAME)));
            }
            list.add(new IoSpec(role, name, dims));
        }
        return list;
    }

    private static VlstmFormatException unknown(String where, String field, long code) {
        return new VlstmFormatException(where + ": " + field + " has unknown code " + code
                + " (this reader knows format " + FileLayout.MAJOR + "." + FileLayout.MINOR
                + "; the file may use a feature of a newer minor version)");
    }
}
