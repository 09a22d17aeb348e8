package dev.vlstm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The PyTorch fixtures made by tools/make_fixtures.py, as listed in fixtures.json. */
public final class Fixtures {
    private Fixtures() {
    }

    public static final Path ROOT = Path.of("src/test/resources/fixtures");

    public record Case(Path input, Path expected, long[] shape) {
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
                cases.add(new Case(dir.resolve(c.get("input").asText()), dir.resolve(c.get("expected").asText()), shape));
            }
            out.add(new Fixture(f.get("name").asText(), f.get("description").asText(), dir.resolve("model.onnx"),
                    f.get("input_name").asText(), f.get("output_name").asText(), f.get("dynamic").asBoolean(), cases));
        }
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
