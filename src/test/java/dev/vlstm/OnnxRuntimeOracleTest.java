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
                    NpyArray x = Npy.read(c.input());
                    float[] ortOut;
                    try (var input = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), x.shape());
                         var result = ort.run(Map.of(f.inputName(), input))) {
                        FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) result.get(0)).getFloatBuffer();
                        ortOut = new float[fb.remaining()];
                        fb.get(ortOut);
                    }
                    float[] y = model.newSession().run(x.data(), (int) c.shape()[0], (int) c.shape()[1]);
                    double[] err = Fixtures.errors(y, ortOut);
                    double[] ortVsTorch = Fixtures.errors(ortOut, Npy.read(c.expected()).data());
                    String msg = String.format("%s %s vs ONNX Runtime: max abs error %.3g, max rel %.3g (ONNX Runtime vs PyTorch: %.3g)",
                            f.name(), java.util.Arrays.toString(c.shape()), err[0], err[1], ortVsTorch[0]);
                    System.out.println(msg);
                    assertTrue(err[0] <= 1e-5, msg);
                }
            }
        }
    }
}
