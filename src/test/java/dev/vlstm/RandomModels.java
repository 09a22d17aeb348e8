package dev.vlstm;

import dev.vlstm.format.IoSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.HeadOp;

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
        List<HeadOp> head = headOut > 0 ? List.of(HeadOp.dense(in, headOut)) : List.of();
        int out = headOut > 0 ? headOut : in;
        ModelSpec spec = new ModelSpec(layers, SequenceLayout.SEQ_BATCH, head,
                List.of(new IoSpec(IoSpec.Role.SEQUENCE_INPUT, "x", List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(input)))),
                List.of(new IoSpec(IoSpec.Role.SEQUENCE_OUTPUT, "y", List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(out)))));
        float s = (float) (1 / Math.sqrt(in));
        return new Built(spec, new ModelWeights(w, headOut == 0 ? null : uniform(rnd, headOut * in, s),
                headOut == 0 || !bias ? null : uniform(rnd, headOut, s)));
    }

    /**
     * Like {@link #build}, with the head {@code head} (its operations' sizes chained from the last layer's width) and
     * a sequence output, or a one-row output when {@code lastStep} (the pooled output for a head that pools); random dense weights and biases, layer norm
     * scales in [0.5, 1.5) and biases in [-0.3, 0.3).
     */
    public static Built withHead(long seed, int input, int[] hidden, List<HeadOp> head, boolean lastStep) {
        Built base = build(seed, input, hidden, 0, true);
        Random rnd = new Random(seed + 1);
        List<ModelWeights.HeadWeights> hw = new ArrayList<>();
        for (HeadOp op : head) {
            float s = (float) (1 / Math.sqrt(op.inputSize()));
            hw.add(switch (op.kind()) {
                case DENSE -> new ModelWeights.HeadWeights(uniform(rnd, op.outputSize() * op.inputSize(), s),
                        uniform(rnd, op.outputSize(), s));
                case LAYER_NORM -> {
                    float[] scale = uniform(rnd, op.outputSize(), 0.5f);
                    for (int j = 0; j < scale.length; j++) scale[j] += 1;
                    yield new ModelWeights.HeadWeights(scale, uniform(rnd, op.outputSize(), 0.3f));
                }
                default -> ModelWeights.HeadWeights.NONE;
            });
        }
        int out = head.isEmpty() ? hidden[hidden.length - 1] : head.getLast().outputSize();
        boolean pools = !head.isEmpty() && head.getFirst().kind().pools();
        IoSpec y = lastStep
                ? new IoSpec(pools ? IoSpec.Role.POOLED_OUTPUT : IoSpec.Role.LAST_STEP_OUTPUT, "y", List.of(IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(out)))
                : new IoSpec(IoSpec.Role.SEQUENCE_OUTPUT, "y", List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(out)));
        ModelSpec spec = new ModelSpec(base.spec().layers(), SequenceLayout.SEQ_BATCH, head, base.spec().inputs(), List.of(y));
        return new Built(spec, new ModelWeights(base.weights().layers(), hw));
    }

    /**
     * {@link #build} behind an {@code nn.Embedding}: input role token ids ({@code [seq, batch]}), format 2.2, a table
     * of {@code vocabulary} rows of {@code width} values in [-1, 1).
     */
    public static Built withEmbedding(long seed, int vocabulary, int width, int[] hidden, int headOut) {
        Built base = build(seed, width, hidden, headOut, true);
        ModelSpec b = base.spec();
        ModelSpec spec = new ModelSpec(b.layers(), b.layout(), b.stateLayout(), b.head(),
                List.of(new IoSpec(IoSpec.Role.TOKEN_IDS, "ids", List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch")))),
                b.outputs(), vocabulary);
        ModelWeights w = base.weights();
        return new Built(spec, new ModelWeights(w.layers(), w.head(), null,
                uniform(new Random(seed + 2), vocabulary * width, 1f)));
    }

    /** {@code n} ids in 0 .. vocabulary − 1, reproducible from {@code rnd}. */
    public static int[] ids(Random rnd, int n, int vocabulary) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextInt(vocabulary);
        return a;
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
