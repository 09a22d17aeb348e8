package dev.vlstm.bench;

import dev.vlstm.cli.Npy;
import dev.vlstm.cli.NpyArray;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * One benchmark workload: an ONNX file both systems load, the input both run, and its shape. The names are the
 * {@code @Param} values of {@link LstmBenchmark}.
 *
 * <ul>
 *   <li>{@code W1_s150_b1}: the README PyTorch model (input 100, hidden 16 × 2 layers, Gemm head 13), traced at
 *       [150, 1, 100]: a long sequence at batch 1.</li>
 *   <li>{@code W1b_s1_b150}: the same architecture traced at [1, 150, 100]: one step of 150 sequences.</li>
 *   <li>{@code W2_h256_s100_b1}: input 64, hidden 256 × 2 layers, MatMul + Add head 10, [100, 1, 64]; built in Java
 *       with random weights ({@link StackedModel}), dynamic seq and batch.</li>
 *   <li>{@code W3_h1024_s50_b1}: input 256, hidden 1024 × 2 layers, head 32, [50, 1, 256]: 32 MB of recurrent weights,
 *       more than any cache here.</li>
 *   <li>{@code W4_h256_s100_b64}: W2's model at [100, 64, 64]: a batch, compute-bound.</li>
 *   <li>{@code W6_emb2000_h256_s50_b1}: token ids — nn.Embedding(2000, 128), then W2's layers at input 128 and a
 *       head of 64 — on 50 × 1 int64 ids uniform over the vocabulary; {@code W6b_emb2000_h256_s20_b32} at 20 × 32.</li>
 * </ul>
 *
 * @param ids a token-ids workload's int64 ids {@code [seq, batch]}, else null ({@code input} then holds the features)
 */
record Workload(String name, Path onnx, String inputName, String outputName, int seq, int batch, int inputSize,
                float[] input, long[] ids) {

    Workload(String name, Path onnx, String inputName, String outputName, int seq, int batch, int inputSize, float[] input) {
        this(name, onnx, inputName, outputName, seq, batch, inputSize, input, null);
    }

    static final long SEED = 20261101L;

    static Workload load(String name, Path scratch) throws IOException {
        return switch (name) {
            case "W1_s150_b1" -> fixture(name, "lstm16_s150_b1", 150, 1);
            case "W1b_s1_b150" -> fixture(name, "lstm16_s1_b150", 1, 150);
            case "W2_h256_s100_b1" -> stacked(name, scratch, 64, 256, 10, 100, 1);
            case "W3_h1024_s50_b1" -> stacked(name, scratch, 256, 1024, 32, 50, 1);
            case "W4_h256_s100_b64" -> stacked(name, scratch, 64, 256, 10, 100, 64);
            case "W6_emb2000_h256_s50_b1" -> embedded(name, scratch, 50, 1);
            case "W6b_emb2000_h256_s20_b32" -> embedded(name, scratch, 20, 32);
            default -> throw new IllegalArgumentException("unknown workload '" + name
                    + "', expected W1_s150_b1, W1b_s1_b150, W2_h256_s100_b1, W3_h1024_s50_b1, W4_h256_s100_b64, "
                    + "W6_emb2000_h256_s50_b1 or W6b_emb2000_h256_s20_b32");
        };
    }

    /** W6: {@link StackedModel} behind nn.Embedding(2000, 128), head 64, on ids uniform over the vocabulary. */
    static Workload embedded(String name, Path scratch, int seq, int batch) throws IOException {
        Path onnx = scratch.resolve("embedded_h256.onnx");
        StackedModel.write(onnx, SEED, 2000, 128, 256, 64);
        Random rnd = new Random(SEED + 2);
        long[] ids = new long[seq * batch];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(2000);
        return new Workload(name, onnx, StackedModel.IDS_NAME, StackedModel.OUTPUT_NAME, seq, batch, 128, null, ids);
    }

    /** A two-layer {@link StackedModel} with random weights, run on uniform input in [-1, 1). */
    static Workload stacked(String name, Path scratch, int input, int hidden, int output, int seq, int batch)
            throws IOException {
        Path onnx = scratch.resolve("stacked_h" + hidden + ".onnx");
        StackedModel.write(onnx, SEED, input, hidden, output);
        return new Workload(name, onnx, StackedModel.INPUT_NAME, StackedModel.OUTPUT_NAME, seq, batch, input,
                uniform(new Random(SEED + 1), seq * batch * input));
    }

    /** A PyTorch fixture (tools/make_fixtures.py) run on its own recorded input at its traced shape. */
    private static Workload fixture(String name, String dir, int seq, int batch) throws IOException {
        Path onnx = resource("fixtures/" + dir + "/model.onnx");
        NpyArray x = Npy.read(resource("fixtures/" + dir + "/input.npy"));
        long[] s = x.shape();
        if (s.length != 3 || s[0] != seq || s[1] != batch)
            throw new IllegalStateException(dir + "/input.npy has shape " + java.util.Arrays.toString(s) + ", expected ["
                    + seq + ", " + batch + ", input]");
        return new Workload(name, onnx, "images", "prob", seq, batch, (int) s[2], x.data());
    }

    /** A test resource as a file: target/test-classes is a directory, so the URL is a file URL. */
    private static Path resource(String name) throws IOException {
        URL url = Workload.class.getClassLoader().getResource(name);
        if (url == null)
            throw new IOException("test resource '" + name + "' not on the classpath; run mvn test-compile first");
        try {
            Path p = Path.of(url.toURI());
            if (!Files.isRegularFile(p)) throw new IOException(url + " is not a regular file");
            return p;
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IOException("test resource " + url + " is not a plain file (put target/test-classes on the classpath)", e);
        }
    }

    static float[] uniform(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    long[] shape() {
        return ids != null ? new long[]{seq, batch} : new long[]{seq, batch, inputSize};
    }
}
