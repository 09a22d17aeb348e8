package dev.vlstm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The PyTorch fixtures made by tools/make_fixtures.py, as listed in fixtures.json. */
public final class Fixtures {
    private Fixtures() {
    }

    public static final Path ROOT = Path.of("src/test/resources/fixtures");

    /** One case; {@code inputs}/{@code outputs}: role ("sequence", "initial_h", "last_step", "final_c", ...) → file. */
    public record Case(Path input, Path expected, long[] shape, Map<String, Io> inputs, Map<String, Io> outputs) {
    }

    /** A tensor of a case: its ONNX graph name and .npy file. */
    public record Io(String name, Path file) {
    }

    public record Fixture(String name, String description, Path onnx, String inputName, String outputName,
                          boolean dynamic, List<Case> cases) {
        @Override
        public String toString() {
            return name;
        }
    }

    public static List<Fixture> all() throws IOException {
        JsonNode root = new ObjectMapper().readTree(ROOT.resolve("fixtures.json").toFile());
        List<Fixture> out = new ArrayList<>();
        for (JsonNode f : root) {
            Path dir = ROOT.resolve(f.get("name").asText());
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : f.get("cases")) {
                long[] shape = new long[c.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = c.get("shape").get(i).asLong();
                Map<String, Io> ins = new LinkedHashMap<>(), outs = new LinkedHashMap<>();
                if (c.has("io")) {
                    for (JsonNode i : c.get("io").get("inputs")) ins.put(i.get("role").asText(), new Io(i.get("name").asText(), dir.resolve(i.get("file").asText())));
                    for (JsonNode o : c.get("io").get("outputs")) outs.put(o.get("role").asText(), new Io(o.get("name").asText(), dir.resolve(o.get("file").asText())));
                } else {
                    ins.put("sequence", new Io(f.get("input_name").asText(), dir.resolve(c.get("input").asText())));
                    outs.put("sequence", new Io(f.get("output_name").asText(), dir.resolve(c.get("expected").asText())));
                }
                cases.add(new Case(dir.resolve(c.get("input").asText()), dir.resolve(c.get("expected").asText()), shape, ins, outs));
            }
            out.add(new Fixture(f.get("name").asText(), f.get("description").asText(), dir.resolve("model.onnx"),
                    f.get("input_name").asText(), f.get("output_name").asText(), f.get("dynamic").asBoolean(), cases));
        }
        return out;
    }

    /**
     * Runs a case through a session by the roles of its inputs and outputs; returns role → vlstm's output values.
     */
    public static Map<String, float[]> run(Model model, Session session, Case c) {
        var spec = model.spec();
        boolean batchFirst = spec.layout() == dev.vlstm.format.SequenceLayout.BATCH_SEQ;
        int seq = (int) c.shape()[batchFirst ? 1 : 0], batch = (int) c.shape()[batchFirst ? 0 : 1];
        RunArgs args = c.inputs().containsKey("token_ids")
                ? new RunArgs().tokens(dev.vlstm.cli.Npy.readIds(c.inputs().get("token_ids").file()).data(), seq, batch)
                : new RunArgs().input(dev.vlstm.cli.Npy.read(c.inputs().get("sequence").file()).data(), seq, batch);
        float[] h0 = c.inputs().containsKey("initial_h") ? dev.vlstm.cli.Npy.read(c.inputs().get("initial_h").file()).data() : null;
        float[] c0 = c.inputs().containsKey("initial_c") ? dev.vlstm.cli.Npy.read(c.inputs().get("initial_c").file()).data() : null;
        args.initialStates(h0, c0);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : c.outputs().entrySet()) out.put(e.getKey(), new float[dev.vlstm.cli.Npy.read(e.getValue().file()).data().length]);
        float[] main = out.containsKey("sequence") ? out.get("sequence") : out.get("last_step");
        args.output(main).finalStates(out.get("final_h"), out.get("final_c"));
        session.run(args);
        return out;
    }

    /** Max abs error and max relative error (|a-b| / max(|b|, 1e-3)) of {@code actual} against {@code expected}. */
    public static double[] errors(float[] actual, float[] expected) {
        if (actual.length != expected.length)
            throw new AssertionError("length " + actual.length + ", expected " + expected.length);
        double abs = 0, rel = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs((double) actual[i] - expected[i]);
            if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
            abs = Math.max(abs, d);
            rel = Math.max(rel, d / Math.max(Math.abs(expected[i]), 1e-3));
        }
        return new double[]{abs, rel};
    }
}
