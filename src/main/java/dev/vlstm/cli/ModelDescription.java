package dev.vlstm.cli;

import dev.vlstm.format.HeadOp;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.VlstmFile;
import dev.vlstm.format.WeightType;
import dev.vlstm.onnx.OnnxImporter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code inspect} shows, as a tree of maps and lists that prints as text or JSON. */
final class ModelDescription {
    private ModelDescription() {
    }

    static final String W_NOTE = "ONNX stores W as [directions, 4*hidden, input] because the four gates i, o, f, c are "
            + "stacked row-wise; R is [directions, 4*hidden, hidden]; B is [directions, 8*hidden] (input biases, then "
            + "recurrent biases)";

    static Map<String, Object> ofOnnx(OnnxImporter.Imported m, long bytes) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("kind", "onnx");
        d.put("opset", m.metadata().get("onnx_opset"));
        d.put("producer", m.metadata().get("onnx_producer"));
        common(d, m.spec(), bytes);
        return d;
    }

    static Map<String, Object> ofVlstm(VlstmFile f, long bytes) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("kind", "vlstm");
        common(d, f.spec(), bytes);
        d.put("weights", weights(f));
        List<Object> tensors = new ArrayList<>();
        for (VlstmFile.TensorEntry e : f.entries().values()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("name", e.name());
            t.put("dtype", WeightType.ofCode(e.dtype()).label);
            t.put("dims", e.dims());
            t.put("offset", e.offset());
            t.put("bytes", e.length());
            t.put("crc32c", String.format("0x%08x", e.crc32c()));
            tensors.add(t);
        }
        d.put("packed_tensors", tensors);
        d.put("metadata", f.metadata());
        return d;
    }

    /**
     * How the weight matrices are stored: the dtype, their bytes (int8 with its scales), what fp32 would take, and the
     * saving.
     */
    private static Map<String, Object> weights(VlstmFile f) {
        long stored = 0, fp32 = 0;
        WeightType type = f.spec().weights();
        for (VlstmFile.TensorEntry e : f.entries().values()) {
            WeightType t = WeightType.ofCode(e.dtype());
            boolean scales = type == WeightType.INT8 && e.name().endsWith(".scale") && f.entries().containsKey(
                    e.name().substring(0, e.name().length() - ".scale".length()));
            if (t != WeightType.FP32 || scales) stored += e.length();
            if (t != WeightType.FP32) fp32 += e.length() / t.bytes * 4;
        }
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("dtype", type.label);
        if (type != WeightType.FP32) {
            w.put("matrix_bytes", stored);
            w.put("fp32_bytes", fp32);
            w.put("saving", String.format("%.1f %%", 100.0 * (fp32 - stored) / fp32));
        }
        return w;
    }

    private static void common(Map<String, Object> d, ModelSpec spec, long bytes) {
        d.put("input", io(spec.inputs().getFirst()));
        d.put("output", io(spec.outputs().getFirst()));
        if (spec.takesTokenIds()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("op", "Gather (nn.Embedding)");
            e.put("vocabulary", spec.vocabulary());
            e.put("width", spec.inputSize());
            e.put("table", new long[]{spec.vocabulary(), spec.inputSize()});
            d.put("embedding", e);
        }
        List<Object> layers = new ArrayList<>();
        for (int l = 0; l < spec.layers().size(); l++) {
            LayerSpec s = spec.layers().get(l);
            int dirs = s.direction().count, h = s.hiddenSize();
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("layer", l);
            layer.put("input_size", s.inputSize());
            layer.put("hidden_size", h);
            layer.put("direction", s.direction().onnxName);
            layer.put("activations", s.activations().stream().map(Object::toString).toList());
            layer.put("W", new long[]{dirs, 4L * h, s.inputSize()});
            layer.put("R", new long[]{dirs, 4L * h, h});
            layer.put("B", new long[]{dirs, 8L * h});
            layers.add(layer);
        }
        d.put("layers", layers);
        d.put("note", W_NOTE);
        if (spec.hasHead()) {
            Map<String, Object> head = new LinkedHashMap<>();
            head.put("input_size", spec.head().getFirst().inputSize());
            head.put("output_size", spec.outputSize());
            if (spec.headFitsVersion20()) {
                head.put("weight", new long[]{spec.outputSize(), spec.head().getFirst().inputSize()});
                head.put("bias", new long[]{spec.outputSize()});
            }
            List<Map<String, Object>> ops = new ArrayList<>();
            for (HeadOp op : spec.head()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("op", op.kind().onnxName);
                m.put("input_size", op.inputSize());
                m.put("output_size", op.outputSize());
                if (op.kind() == HeadOp.Kind.DENSE) {
                    m.put("weight", new long[]{op.outputSize(), op.inputSize()});
                    m.put("bias", new long[]{op.outputSize()});
                } else if (op.kind() == HeadOp.Kind.LAYER_NORM) {
                    m.put("epsilon", op.alpha());
                    m.put("scale", new long[]{op.outputSize()});
                    m.put("bias", new long[]{op.outputSize()});
                } else if (op.kind().hasAlpha()) {
                    m.put("alpha", op.alpha());
                }
                ops.add(m);
            }
            head.put("operations", ops);
            d.put("head", head);
        } else {
            d.put("head", null);
        }
        d.put("parameters", spec.parameterCount());
        d.put("file_bytes", bytes);
    }

    private static Map<String, Object> io(IoSpec io) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", io.name());
        m.put("shape", io.shape().stream().map(IoSpec.Dim::toString).toList());
        m.put("meaning", switch (io.role()) {
            case SEQUENCE_INPUT, SEQUENCE_OUTPUT -> io.shape().size() == 3 ? "per timestep: " + io.shapeText() : io.shapeText();
            case LAST_STEP_OUTPUT -> "the last timestep only (many-to-one)";
            case FINAL_STATE_OUTPUT -> "the top layer's final h of every direction, forward first, through the head";
            case POOLED_OUTPUT -> "the top layer's output pooled over time, through the head";
            case LAYER_Y -> "the last LSTM layer's own Y";
            case INITIAL_H, INITIAL_C, FINAL_H, FINAL_C -> "states of every layer and direction";
            case SEQUENCE_LENS -> "each row's sequence length";
            case CONSTANT_SEQUENCE_LENS -> "sequence lengths fixed in the model, for this batch size only";
            case TOKEN_IDS -> "per timestep one token id (int32 or int64), looked up in the embedding";
        });
        return m;
    }

    /** Indented "key: value" text; lists of maps as "- " items. */
    static String text(Map<String, Object> d) {
        StringBuilder sb = new StringBuilder();
        write(sb, d, "");
        return sb.toString();
    }

    private static void write(StringBuilder sb, Map<?, ?> map, String indent) {
        for (var e : map.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map<?, ?> m) {
                sb.append(indent).append(e.getKey()).append(":\n");
                write(sb, m, indent + "  ");
            } else if (v instanceof List<?> list && !list.isEmpty() && list.getFirst() instanceof Map) {
                sb.append(indent).append(e.getKey()).append(":\n");
                for (Object item : list) {
                    StringBuilder inner = new StringBuilder();
                    write(inner, (Map<?, ?>) item, indent + "    ");
                    sb.append(indent).append("  - ").append(inner.substring(indent.length() + 4));
                }
            } else {
                sb.append(indent).append(e.getKey()).append(": ").append(scalar(v)).append('\n');
            }
        }
    }

    private static String scalar(Object v) {
        if (v == null) return "none";
        if (v instanceof long[] a) return java.util.Arrays.toString(a);
        if (v instanceof Long n) return String.format("%,d", n);
        return v.toString();
    }
}
