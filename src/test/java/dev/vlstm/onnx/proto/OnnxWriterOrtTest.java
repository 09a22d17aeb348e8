package dev.vlstm.onnx.proto;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;
import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime accepts what OnnxWriter produces and sees the same values we wrote, in every tensor encoding:
 * raw_data and float_data initializers, an int64_data Constant attribute, INTS and FLOAT attributes, dim_params.
 */
class OnnxWriterOrtTest {

    @Test
    void onnxRuntimeRunsAWrittenModel() throws OrtException {
        // y = Transpose(Reshape((x + a) * b, shape), perm=[1, 0]) * 2, then LeakyRelu(alpha = 0.5)
        OnnxGraph g = graph("ort_check", List.of(
                node("Add", List.of("x", "a"), List.of("s")),
                node("Mul", List.of("s", "b"), List.of("p")),
                node("Constant", List.of(), List.of("shape"),
                        attrTensor("value", int64TensorData("", new long[] {2}, new long[] {3, -1}))),
                node("Reshape", List.of("p", "shape"), List.of("r")),
                node("Transpose", List.of("r"), List.of("t"), attrInts("perm", 1, 0)),
                node("LeakyRelu", List.of("t"), List.of("y"), attrFloat("alpha", 0.5f))),
                List.of(floatTensorData("a", new long[] {6}, new float[] {1, 1, 1, -10, -10, -10}),
                        floatTensor("b", new long[] {6}, new float[] {1, 2, 3, 4, 5, 6})),
                List.of(valueInfo("x", OnnxDataType.FLOAT, "n")),
                List.of(valueInfo("y", OnnxDataType.FLOAT, "m", 3)));
        byte[] bytes = OnnxWriter.write(model(8, 14, g));

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(bytes, new OrtSession.SessionOptions());
                ai.onnxruntime.OnnxTensor x = ai.onnxruntime.OnnxTensor.createTensor(env,
                        new float[] {0, 1, 2, 3, 4, 5});
                OrtSession.Result result = session.run(Map.of("x", x))) {
            float[][] y = (float[][]) result.get("y").orElseThrow().getValue();
            // (x + a) * b = [1, 4, 9, -28, -30, -30] -> 3x2 [[1, 4], [9, -28], [-30, -30]] -> transposed,
            // negatives halved
            assertArrayEquals(new float[] {1, 9, -15}, y[0]);
            assertArrayEquals(new float[] {4, -14, -15}, y[1]);
        }
    }
}
