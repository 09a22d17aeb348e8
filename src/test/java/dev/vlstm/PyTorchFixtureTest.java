package dev.vlstm;

import dev.vlstm.cli.Npy;
import dev.vlstm.cli.NpyArray;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every PyTorch fixture converted and run by vlstm, with both kernel implementations, against PyTorch's own output
 * (tools/make_fixtures.py). The measured errors are printed and in the assertion messages.
 */
class PyTorchFixtureTest {
    static final double TOLERANCE = 1e-5;

    static List<Fixtures.Fixture> fixtures() throws IOException {
        return Fixtures.all();
    }

    /** The fixtures with one output row per sequence, forward layers only and no input but the sequence. */
    static List<Fixtures.Fixture> streamedManyToOneFixtures() throws IOException {
        List<Fixtures.Fixture> picked = new java.util.ArrayList<>();
        for (Fixtures.Fixture f : Fixtures.all()) {
            var spec = OnnxImporter.importFile(f.onnx()).spec();
            if (spec.output(dev.vlstm.format.IoSpec.Role.LAST_STEP_OUTPUT) != null && spec.inputs().size() == 1
                    && spec.layers().stream().allMatch(l -> l.direction() == dev.vlstm.format.Direction.FORWARD))
                picked.add(f);
        }
        if (picked.size() < 6) throw new AssertionError("expected the 6 many-to-one fixtures, found " + picked);
        return picked;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void convertedModelMatchesPyTorch(Fixtures.Fixture f, @TempDir Path dir) throws IOException {
        OnnxImporter.Imported imported = OnnxImporter.importFile(f.onnx());
        Path vlstm = dir.resolve("model.vlstm");
        VlstmWriter.write(imported.spec(), imported.weights(), imported.metadata(), vlstm);
        try (Model model = Model.load(vlstm)) {
            assertTrue(model.inputName().equals(f.inputName()) && model.outputName().equals(f.outputName()),
                    "names " + model.inputName() + "/" + model.outputName());
            for (Fixtures.Case c : f.cases())
                for (var io : c.outputs().values())
                    assertTrue(model.spec().outputs().stream().anyMatch(o -> o.name().equals(io.name())), "output " + io.name());
            for (Fixtures.Case c : f.cases()) {
                for (String kernels : List.of("vector", "scalar", "vector, 2 threads")) {
                    int threads = kernels.endsWith("2 threads") ? 2 : 1;
                    Map<String, float[]> got;
                    try (Session session = new Session(model, 1, 1, threads, SessionTest.kernels(kernels))) {
                        got = Fixtures.run(model, session, c);
                    }
                    for (var e : got.entrySet()) {
                        double[] err = Fixtures.errors(e.getValue(), Npy.read(c.outputs().get(e.getKey()).file()).data());
                        String msg = String.format("%s %s %s '%s' (%s kernels) vs PyTorch: max abs error %.3g, max rel error %.3g",
                                f.name(), java.util.Arrays.toString(c.shape()), e.getKey(), c.outputs().get(e.getKey()).name(),
                                kernels, err[0], err[1]);
                        System.out.println(msg);
                        assertTrue(err[0] <= TOLERANCE, msg + " exceeds " + TOLERANCE);
                    }
                }
            }
        }
    }

    /**
     * A many-to-one model (a head on the last step or on the final state) streamed one timestep at a time, one state
     * per batch row, ends on PyTorch's output: the last step's output of each stream is that row's result. Models
     * with a reverse or bidirectional layer, state inputs or a sequence output are not streamed here.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("streamedManyToOneFixtures")
    void aStreamedManyToOneModelEndsOnPyTorchsOutput(Fixtures.Fixture f) throws IOException {
        OnnxImporter.Imported m = OnnxImporter.importFile(f.onnx());
        boolean batchFirst = m.spec().layout() == dev.vlstm.format.SequenceLayout.BATCH_SEQ;
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), m.metadata()), f.name());
             Session session = model.newSession()) {
            for (Fixtures.Case c : f.cases()) {
                int seq = (int) c.shape()[batchFirst ? 1 : 0], batch = (int) c.shape()[batchFirst ? 0 : 1];
                boolean ids = model.takesTokenIds();
                int in = ids ? 1 : model.inputSize(), out = model.outputSize();
                float[] x = ids ? null : Npy.read(c.input()).data(), step = new float[in], y = new float[batch * out];
                long[] tokens = ids ? Npy.readIds(c.input()).data() : null;
                for (int b = 0; b < batch; b++) {
                    LstmState state = model.newState();
                    float[] last = new float[out];
                    for (int t = 0; t < seq; t++) {
                        int row = batchFirst ? b * seq + t : t * batch + b;
                        if (ids) {
                            session.step(state, (int) tokens[row], last);
                            continue;
                        }
                        System.arraycopy(x, row * in, step, 0, in);
                        session.step(state, step, last);
                    }
                    System.arraycopy(last, 0, y, b * out, out);
                }
                double[] err = Fixtures.errors(y, Npy.read(c.expected()).data());
                String msg = String.format("%s %s streamed, last step of each row vs PyTorch: max abs error %.3g, max rel "
                        + "error %.3g", f.name(), java.util.Arrays.toString(c.shape()), err[0], err[1]);
                System.out.println(msg);
                assertTrue(err[0] <= TOLERANCE, msg + " exceeds " + TOLERANCE);
            }
        }
    }

    /**
     * Models exported without dynamic_axes bake the traced seq and batch into the graph; vlstm must still run them at
     * any shape. The oracle here is the float64 spec-literal evaluation of the same ONNX weights.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void anyFixtureRunsAtOtherShapes(Fixtures.Fixture f) throws IOException {
        OnnxImporter.Imported m = OnnxImporter.importFile(f.onnx());
        try (Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), m.metadata()), f.name())) {
            for (int[] shape : new int[][]{{7, 3}, {1, 1}, {2, 9}}) {
                int seq = shape[0], batch = shape[1];
                double maxAbs = dev.vlstm.cli.ConversionCheck.maxError(m, model, seq, batch, seq * 31L + batch);
                String msg = String.format("%s at seq %d batch %d vs float64 reference: max abs error %.3g", f.name(), seq, batch, maxAbs);
                assertTrue(maxAbs <= TOLERANCE, msg);
            }
        }
    }
}
