package dev.vlstm;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.vlstm.cli.Npy;
import dev.vlstm.cli.NpyArray;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** ONNX Runtime Java as a second oracle: it runs every fixture's .onnx at its cases' shapes, vlstm the converted model. */
class OnnxRuntimeOracleTest {

    static List<Fixtures.Fixture> fixtures() throws Exception {
        return Fixtures.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void vlstmMatchesOnnxRuntime(Fixtures.Fixture f) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OnnxImporter.Imported m = OnnxImporter.importFile(f.onnx());
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession ort = env.createSession(f.onnx().toString(), opts);
                 Model model = Model.load(VlstmWriter.toBytes(m.spec(), m.weights(), m.metadata()), f.name())) {
                for (Fixtures.Case c : f.cases()) {
                    Map<String, ai.onnxruntime.OnnxTensor> feeds = new java.util.HashMap<>();
                    for (var io : c.inputs().values()) {
                        if (io == c.inputs().get("token_ids")) {
                            var ids = Npy.readIds(io.file());
                            feeds.put(io.name(), ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(ids.data()), ids.shape()));
                            continue;
                        }
                        NpyArray a = Npy.read(io.file());
                        feeds.put(io.name(), ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(a.data()), a.shape()));
                    }
                    Map<String, float[]> ortOut = new java.util.HashMap<>();
                    try (var result = ort.run(feeds)) {
                        for (var e : result) {
                            FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) e.getValue()).getFloatBuffer();
                            float[] a = new float[fb.remaining()];
                            fb.get(a);
                            ortOut.put(e.getKey(), a);
                        }
                    } finally {
                        feeds.values().forEach(ai.onnxruntime.OnnxTensor::close);
                    }
                    var got = Fixtures.run(model, model.newSession(), c);
                    for (var e : got.entrySet()) {
                        String name = c.outputs().get(e.getKey()).name();
                        double[] err = Fixtures.errors(e.getValue(), ortOut.get(name));
                        double[] ortVsTorch = Fixtures.errors(ortOut.get(name), Npy.read(c.outputs().get(e.getKey()).file()).data());
                        String msg = String.format("%s %s %s vs ONNX Runtime: max abs error %.3g, max rel %.3g (ONNX Runtime vs PyTorch: %.3g)",
                                f.name(), java.util.Arrays.toString(c.shape()), name, err[0], err[1], ortVsTorch[0]);
                        System.out.println(msg);
                        assertTrue(err[0] <= 1e-5, msg);
                    }
                }
            }
        }
    }
}
