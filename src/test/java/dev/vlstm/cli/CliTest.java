package dev.vlstm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The CLI end to end on the bundled PyTorch export: convert, inspect, run; exit codes and messages. */
class CliTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/lstm16_s1_b150");

    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void convertThenRunMatchesPyTorch(@TempDir Path dir) {
        Path model = dir.resolve("m.vlstm"), prob = dir.resolve("prob.npy");
        Result c = cli("convert", FIXTURE.resolve("model.onnx").toString(), model.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("LSTM layer 1: input 16, hidden 16, forward"), c.out());
        Result r = cli("run", model.toString(), "--in", "images=" + FIXTURE.resolve("input.npy"),
                "--out", "prob=" + prob, "--expect", FIXTURE.resolve("expected.npy").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("prob [1, 150, 13] written to"), r.out());
        double err = Double.parseDouble(r.out().replaceAll("(?s).*max abs error of prob vs \\S+: (\\S+) .*", "$1"));
        assertTrue(err <= 1e-5, "CLI run vs PyTorch: max abs error " + err);
        NpyArray y = Npy.read(prob);
        assertArrayEquals(new long[]{1, 150, 13}, y.shape());
    }

    /**
     * convert --weights bf16|int8 writes the reduced file, --verify checks it against the float64 evaluation at the
     * type's default tolerance, inspect shows the dtype and the saving, run still matches PyTorch within the type's
     * bound, bench names the weights, and an unknown type is a usage error.
     */
    @Test
    void convertWeightsReducesTheMatricesAndInspectShowsTheSaving(@TempDir Path dir) throws IOException {
        for (String type : new String[]{"bf16", "int8"}) {
            Path model = dir.resolve(type + ".vlstm");
            Result c = cli("convert", "--weights", type, "--verify", FIXTURE.resolve("model.onnx").toString(), model.toString());
            assertEquals(0, c.code(), c.err());
            assertTrue(c.out().contains("weights: " + type) && c.out().contains(": ok"), c.out());
            double verified = Double.parseDouble(c.out().replaceAll("(?s).*verify: max abs error (\\S+) .*", "$1"));
            Result v = cli("inspect", model.toString(), "--json");
            JsonNode w = new ObjectMapper().readTree(v.out()).get("weights");
            assertEquals(type, w.get("dtype").asText(), v.out());
            long stored = w.get("matrix_bytes").asLong(), fp32 = w.get("fp32_bytes").asLong();
            assertTrue(stored < (type.equals("bf16") ? 0.51 : 0.3) * fp32, type + ": " + stored + " of " + fp32 + " bytes");
            assertTrue(cli("inspect", model.toString()).out().contains("saving: "), "text inspect shows the saving");
            Result r = cli("run", model.toString(), "--in", "images=" + FIXTURE.resolve("input.npy"),
                    "--expect", FIXTURE.resolve("expected.npy").toString());
            double err = Double.parseDouble(r.out().replaceAll("(?s).*max abs error of prob vs \\S+: (\\S+) .*", "$1"));
            assertTrue(err <= (type.equals("bf16") ? 1e-2 : 5e-2) && verified > 0,
                    type + ": CLI run vs PyTorch max abs error " + err + ", --verify vs float64 " + verified);
            Result b = cli("bench", model.toString(), "--seq", "5", "--calls", "5", "--warmup", "0.1");
            assertTrue(b.out().contains("weights: " + type + " (W and R held reduced"), b.out());
        }
        Result bad = cli("convert", "--weights", "fp16", FIXTURE.resolve("model.onnx").toString(), dir.resolve("x.vlstm").toString());
        assertEquals(2, bad.code(), bad.out() + bad.err());
        assertTrue(bad.err().contains("--weights: weights 'fp16', expected fp32, bf16 or int8"), bad.err());
    }

    @Test
    void twoPathsMeanConvert(@TempDir Path dir) {
        Path model = dir.resolve("m.vlstm");
        assertEquals(0, cli(FIXTURE.resolve("model.onnx").toString(), model.toString()).code());
        assertTrue(Files.exists(model));
    }

    @Test
    void inspectExplainsBothFileKinds(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("m.vlstm");
        cli("convert", FIXTURE.resolve("model.onnx").toString(), model.toString());
        Result onnx = cli("inspect", FIXTURE.resolve("model.onnx").toString());
        assertEquals(0, onnx.code(), onnx.err());
        assertTrue(onnx.out().contains("W: [1, 64, 100]") && onnx.out().contains("four gates i, o, f, c"), onnx.out());
        Result v = cli("inspect", model.toString(), "--json");
        assertEquals(0, v.code(), v.err());
        JsonNode j = new ObjectMapper().readTree(v.out());
        assertEquals("vlstm", j.get("kind").asText());
        assertEquals(16, j.get("layers").get(1).get("hidden_size").asInt());
        assertEquals(13, j.get("head").get("output_size").asInt());
        assertEquals("images", j.get("input").get("name").asText());
        assertEquals("model.onnx", j.get("metadata").get("source_file").asText());
        assertEquals(8, j.get("packed_tensors").size());
    }

    @Test
    void aFailedConvertLeavesTheDestinationUntouched(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.onnx"), out = dir.resolve("m.vlstm");
        Files.write(bad, new byte[]{8, 7, 0x3a, 5, 1});
        Files.writeString(out, "previous");
        Result r = cli("convert", bad.toString(), out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: " + bad), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals("previous", Files.readString(out));
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count(), "no temp file may be left behind");
        }
    }

    @Test
    void errorsAreExitOneAndUsageIsExitTwo(@TempDir Path dir) {
        Result missing = cli("run", dir.resolve("nope.vlstm").toString(), "--in", "x.npy");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.vlstm: no such file"), missing.err());
        assertEquals(2, cli("run").code());
        assertEquals(2, cli("frobnicate", "a", "b", "c").code());
    }

    @Test
    void aWrongInputNameIsUsageError(@TempDir Path dir) {
        Path model = dir.resolve("m.vlstm");
        cli("convert", FIXTURE.resolve("model.onnx").toString(), model.toString());
        Result r = cli("run", model.toString(), "--in", "x=" + FIXTURE.resolve("input.npy"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--in names 'x', but the model's are ['images']"), r.err());
    }

    @Test
    void anInputOfTheWrongWidthIsRefused(@TempDir Path dir) {
        Path model = dir.resolve("m.vlstm"), x = dir.resolve("x.npy");
        cli("convert", FIXTURE.resolve("model.onnx").toString(), model.toString());
        Npy.write(x, new long[]{2, 1, 99}, new float[198]);
        Result r = cli("run", model.toString(), "--in", x.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("shape [2, 1, 99], expected [seq, batch, 100]"), r.err());
    }

    @Test
    void convertVerifyComparesWithFloat64AndFailsAboveTheTolerance(@TempDir Path dir) {
        Path model = dir.resolve("m.vlstm");
        Result ok = cli("convert", "--verify", FIXTURE.resolve("model.onnx").toString(), model.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("verify: max abs error") && ok.out().contains(": ok"), ok.out());
        Result strict = cli("convert", "--verify", "--tolerance", "1e-12", FIXTURE.resolve("model.onnx").toString(), model.toString());
        assertEquals(1, strict.code(), strict.out());
        assertTrue(strict.err().contains("differs from the float64 evaluation"), strict.err());
    }

    @Test
    void runStreamGivesTheSameOutputsAsRun(@TempDir Path dir) {
        Path model = dir.resolve("m.vlstm");
        Path fixture = Path.of("src/test/resources/fixtures/lstm16_s150_b1");
        cli("convert", fixture.resolve("model.onnx").toString(), model.toString());
        Result r = cli("run", model.toString(), "--stream", "--in", fixture.resolve("input.npy").toString(),
                "--out", dir.resolve("s.npy").toString(), "--expect", fixture.resolve("expected.npy").toString());
        assertEquals(0, r.code(), r.err());
        double err = Double.parseDouble(r.out().replaceAll("(?s).*max abs error of prob vs \\S+: (\\S+) .*", "$1"));
        assertTrue(err <= 1e-5, "run --stream vs PyTorch: max abs error " + err);
        cli("run", model.toString(), "--in", fixture.resolve("input.npy").toString(), "--out", dir.resolve("w.npy").toString());
        float[] a = Npy.read(dir.resolve("s.npy")).data(), b = Npy.read(dir.resolve("w.npy")).data();
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        assertTrue(d <= 1e-6, "run --stream vs run: max abs difference " + d);
    }

    /** A .npy of int32 values in C order, as {@code np.save(f, a.astype(np.int32))} writes it. */
    static void writeInt32Npy(Path file, long[] shape, long[] values) throws IOException {
        StringBuilder dict = new StringBuilder("{'descr': '<i4', 'fortran_order': False, 'shape': (" + shape[0] + ", " + shape[1] + "), }");
        while ((10 + dict.length() + 1) % 64 != 0) dict.append(' ');
        dict.append('\n');
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + dict.length() + 4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) dict.length())
                .put(dict.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        for (long v : values) b.putInt((int) v);
        Files.write(file, b.array());
    }

    /** A token-ids model from the command line: int64 and int32 .npy ids, --stream, bench, inspect, and a bad id. */
    @Test
    void aTokenIdsModelRunsOnInt64AndInt32Npy(@TempDir Path dir) throws IOException {
        Path fixture = Path.of("src/test/resources/fixtures/embedding_2layer_per_step"), model = dir.resolve("m.vlstm");
        Result c = cli("convert", "--verify", fixture.resolve("model.onnx").toString(), model.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("embedding: 40 token ids x 12"), c.out());
        NpyIds ids = Npy.readIds(fixture.resolve("input.npy"));
        assertArrayEquals(new long[]{6, 3}, ids.shape());
        Path ids32 = dir.resolve("ids32.npy");
        writeInt32Npy(ids32, ids.shape(), ids.data());
        for (String[] how : new String[][]{{fixture.resolve("input.npy").toString()}, {ids32.toString()},
                {ids32.toString(), "--stream"}}) {
            List<String> args = new java.util.ArrayList<>(List.of("run", model.toString(), "--in", how[0], "--expect",
                    fixture.resolve("expected.npy").toString()));
            if (how.length > 1) args.add(how[1]);
            Result r = cli(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            double err = Double.parseDouble(r.out().replaceAll("(?s).*max abs error of y vs \\S+: (\\S+) .*", "$1"));
            assertTrue(err <= 1e-5, "run " + String.join(" ", how) + " vs PyTorch: max abs error " + err);
        }
        long[] bad = ids.data().clone();
        bad[4] = 40;
        Path badIds = dir.resolve("bad.npy");
        writeInt32Npy(badIds, ids.shape(), bad);
        Result b = cli("run", model.toString(), "--in", badIds.toString());
        assertEquals(1, b.code());
        assertTrue(b.err().contains("bad.npy: token id 40 at position 4 is outside the vocabulary of 40 (ids 0..39)"), b.err());
        Result f = cli("run", model.toString(), "--in", fixture.resolve("expected.npy").toString());
        assertEquals(1, f.code());
        assertTrue(f.err().contains("expected '<i8' or '<i4' (int64 or int32 little-endian token ids)"), f.err());
        for (String mode : new String[]{"--seq", "--stream"}) {
            Result r = mode.equals("--seq") ? cli("bench", model.toString(), "--seq", "5", "--calls", "20", "--warmup", "0.1")
                    : cli("bench", model.toString(), "--stream", "--calls", "20", "--warmup", "0.1");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("median_us"), r.out());
        }
        Result i = cli("inspect", model.toString(), "--json");
        assertEquals(0, i.code(), i.err());
        JsonNode j = new ObjectMapper().readTree(i.out());
        assertEquals(40, j.get("embedding").get("vocabulary").asInt(), i.out());
        assertEquals("[seq, batch]", j.get("input").get("shape").toString().replace("\"", "").replace(",", ", "), i.out());
    }

    @Test
    void benchReportsLatencyThroughputAndAllocation(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("m.vlstm");
        cli("convert", FIXTURE.resolve("model.onnx").toString(), model.toString());
        Result r = cli("bench", model.toString(), "--seq", "10", "--calls", "50", "--warmup", "0.2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String f : new String[]{"median_us", "p90_us", "p99_us", "calls_per_second", "bytes_allocated_per_call"})
            assertTrue(j.has(f), f + " in " + r.out());
        assertTrue(j.get("p99_us").asDouble() >= j.get("median_us").asDouble(), r.out());
        Result s = cli("bench", model.toString(), "--stream", "--calls", "50", "--warmup", "0.2");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("mode: step"), s.out());
        Result t = cli("bench", model.toString(), "--threads", "2", "--calls", "50", "--warmup", "0.2");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("threads: 2"), t.out());
        Result z = cli("bench", model.toString(), "--threads", "0");
        assertEquals(2, z.code());
        assertTrue(z.err().contains("--threads 0: expected 1.."), z.err());
    }

    @Test
    void benchCheckNeedsNoModelAndReportsTheFastPath() throws IOException {
        Result r = cli("bench", "--check", "--json", "--warmup", "0.5", "--measure", "0.5");
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String f : new String[]{"kernels", "vector_bits", "cpu", "vector_module", "gflops", "step_gbps",
                "bytes_allocated_per_call", "ok", "problems"})
            assertTrue(j.has(f), f + " in " + r.out());
        // The tests run with --add-modules jdk.incubator.vector: the Vector API kernels, allocating nothing.
        assertTrue(j.get("vector_module").asBoolean(), r.out());
        assertTrue(j.get("kernels").asText().startsWith("vector ("), r.out());
        assertTrue(j.get("vector_bits").asInt() >= 128, r.out());
        assertTrue(j.get("gflops").asDouble() > 0 && j.get("step_gbps").asDouble() > 0, r.out());
        assertEquals(0.0, j.get("bytes_allocated_per_call").get("project").asDouble(), r.out());
        assertEquals(0.0, j.get("bytes_allocated_per_call").get("step").asDouble(), r.out());
        assertTrue(j.get("ok").asBoolean(), r.out());
        assertEquals(0, r.code(), r.out() + r.err());
        Result text = cli("bench", "--check", "--warmup", "0.2", "--measure", "0.1");
        assertTrue(text.out().startsWith("kernels: vector ("), text.out());
        assertTrue(text.out().contains(" GFLOP/s, ") && text.out().contains(" GB/s of R, "), text.out());
    }

    @Test
    void benchWithoutModelOrCheckIsUsageError(@TempDir Path dir) {
        Result none = cli("bench");
        assertEquals(2, none.code(), none.err());
        assertTrue(none.err().contains("Missing required parameter: 'MODEL.vlstm' (or --check"), none.err());
        Result both = cli("bench", dir.resolve("m.vlstm").toString(), "--check");
        assertEquals(2, both.code(), both.err());
        assertTrue(both.err().contains("MODEL.vlstm belong to a model's bench"), both.err());
        assertEquals(2, cli("bench", "--check", "--seq", "10").code());
        assertEquals(2, cli("bench", "--check", "--measure", "0").code());
    }

    @Test
    void benchCheckNamesEachProblemAndItsFix() {
        assertEquals(List.of(), KernelCheck.problems(512, 0, 0, null, List.of()));
        assertEquals(List.of("the plain-Java kernels run because X"),
                KernelCheck.problems(0, 0, 0, "the plain-Java kernels run because X", List.of()));
        assertEquals(List.of("the Vector API kernels run without their intrinsics (allocating 96 bytes per"
                        + " call of project, 0 of lstmStep); please report the CPU and JDK"),
                KernelCheck.problems(256, 96, 0, null, List.of("-Xmx2g")));
        assertEquals(List.of("the Vector API kernels run without their intrinsics (allocating 0 bytes per"
                        + " call of project, 12.5 of lstmStep); -XX:TieredStopAtLevel=1 keeps C2 from compiling them:"
                        + " remove it"),
                KernelCheck.problems(512, 0, 12.5, null, List.of("-XX:TieredStopAtLevel=1")));
    }
}
