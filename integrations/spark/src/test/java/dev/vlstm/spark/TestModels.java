package dev.vlstm.spark;

import dev.vlstm.format.Direction;
import dev.vlstm.format.HeadOp;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.format.WeightType;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The models the tests and benchmarks run: the README's PyTorch model (a committed conversion of the core's fixture
 * lstm16_s150_b1: input 100, hidden 16 x 2, dense head 13), and random stacked models written in memory, among them
 * W2's shape (input 64, hidden 256 x 2, head 10; the core's StackedModel, seeded as there).
 */
final class TestModels {
    private TestModels() {
    }

    /** The README's model as .vlstm bytes (tools/vlstm convert of src/test/resources/fixtures/lstm16_s150_b1). */
    static byte[] seed() {
        try (InputStream in = TestModels.class.getResourceAsStream("/lstm16.vlstm")) {
            if (in == null) throw new IllegalStateException("test resource lstm16.vlstm missing");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** W2's shape: input 64, hidden 256 x 2 layers forward, dense head 10, a sequence output. */
    static byte[] w2() {
        return w2(WeightType.FP32);
    }

    /**
     * W2 with its weight matrices stored as {@code type} ({@code convert --weights}); too large for the core to decode
     * an int8 one at load (Limits.maxDecodedInt8Bytes), so it runs on the int8 kernels.
     */
    static byte[] w2(WeightType type) {
        return stacked(20261101L, 64, 256, 10, Direction.FORWARD, false, type);
    }

    /**
     * Two stacked layers of {@code direction} and a dense head, weights uniform in ±1/√fan from {@code seed}; a
     * bidirectional model's layers read both directions' outputs.
     */
    static byte[] stacked(long seed, int input, int hidden, int output, Direction direction) {
        return stacked(seed, input, hidden, output, direction, false);
    }

    /** {@link #stacked}, with a sequence-lengths input ({@code [batch]} int lengths) when {@code takesLengths}. */
    static byte[] stacked(long seed, int input, int hidden, int output, Direction direction, boolean takesLengths) {
        return stacked(seed, input, hidden, output, direction, takesLengths, WeightType.FP32);
    }

    /** {@link #stacked}, its weight matrices stored as {@code type}. */
    static byte[] stacked(long seed, int input, int hidden, int output, Direction direction, boolean takesLengths,
                          WeightType type) {
        Random rnd = new Random(seed);
        int dirs = direction.count;
        List<LayerSpec> layers = new ArrayList<>();
        List<List<ModelWeights.DirectionWeights>> weights = new ArrayList<>();
        int in = input;
        float scale = (float) (1 / Math.sqrt(hidden));
        for (int l = 0; l < 2; l++) {
            layers.add(LayerSpec.standard(in, hidden, direction));
            List<ModelWeights.DirectionWeights> d = new ArrayList<>();
            for (int k = 0; k < dirs; k++)
                d.add(new ModelWeights.DirectionWeights(uniform(rnd, 4 * hidden * in, scale),
                        uniform(rnd, 4 * hidden * hidden, scale), uniform(rnd, 4 * hidden, scale), uniform(rnd, 4 * hidden, scale)));
            weights.add(d);
            in = hidden * dirs;
        }
        ModelSpec spec = new ModelSpec(layers, SequenceLayout.SEQ_BATCH, List.of(HeadOp.dense(in, output)),
                inputs(input, takesLengths),
                List.of(new IoSpec(IoSpec.Role.SEQUENCE_OUTPUT, "y",
                        List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(output)))));
        float s = (float) (1 / Math.sqrt(in));
        ModelWeights w = new ModelWeights(weights, uniform(rnd, output * in, s), uniform(rnd, output, s));
        return VlstmWriter.toBytes(spec.withWeights(type), w, Map.of("producer", "vlstm-spark-test", "producer_version", "0",
                "source_file", "random", "source_sha256", "", "onnx_opset", "0", "onnx_producer", "",
                "created", "2026-12-07T00:00:00Z"));
    }

    private static List<IoSpec> inputs(int input, boolean takesLengths) {
        List<IoSpec> inputs = new ArrayList<>(List.of(new IoSpec(IoSpec.Role.SEQUENCE_INPUT, "x",
                List.of(IoSpec.Dim.free("seq"), IoSpec.Dim.free("batch"), IoSpec.Dim.fixed(input)))));
        if (takesLengths) inputs.add(new IoSpec(IoSpec.Role.SEQUENCE_LENS, "lens", List.of(IoSpec.Dim.free("batch"))));
        return inputs;
    }

    private static float[] uniform(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }
}
