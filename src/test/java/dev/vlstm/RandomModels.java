package dev.vlstm;

import dev.vlstm.format.IoSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.HeadSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Random standard models (spec + ONNX-layout weights) for tests, reproducible from a seed. */
public final class RandomModels {
    private RandomModels() {
    }

    public record Built(ModelSpec spec, ModelWeights weights) {
    }

    public static Built build(long seed, int input, int[] hidden, int headOut, boolean bias) {
        Random rnd = new Random(seed);
        List<LayerSpec> layers = new ArrayList<>();
        List<List<ModelWeights.DirectionWeights>> w = new ArrayList<>();
        int in = input;
        for (int h : hidden) {
            layers.add(LayerSpec.standard(in, h));
            float scale = (float) (1 / Math.sqrt(h));
            w.add(List.of(new ModelWeights.DirectionWeights(uniform(rnd, 4 * h * in, scale), uniform(rnd, 4 * h * h, scale),
                    bias ? uniform(rnd, 4 * h, scale) : null, bias ? uniform(rnd, 4 * h, scale) : null)));
            in = h;
        }
        HeadSpec head = headOut > 0 ? new HeadSpec(in, headOut) : null;
        int out = headOut > 0 ? headOut : in;
        ModelSpec spec = new ModelSpec(layers, SequenceLayout.SEQ_BATCH, head,
                List.of(new IoSpec(IoSpec.Role.SEQUENCE_INPUT, "x", List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(input)))),
                List.of(new IoSpec(IoSpec.Role.SEQUENCE_OUTPUT, "y", List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(out)))));
        float s = (float) (1 / Math.sqrt(in));
        return new Built(spec, new ModelWeights(w, head == null ? null : uniform(rnd, headOut * in, s),
                head == null || !bias ? null : uniform(rnd, headOut, s)));
    }

    public static float[] uniform(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }

    public static Map<String, String> metadata() {
        return Map.of("producer", "vlstm-test", "producer_version", Version.VERSION, "source_file", "random",
                "source_sha256", "", "onnx_opset", "0", "onnx_producer", "", "created", "2026-01-01T00:00:00Z");
    }
}
