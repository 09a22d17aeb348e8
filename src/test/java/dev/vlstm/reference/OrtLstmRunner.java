package dev.vlstm.reference;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.vlstm.onnx.proto.OnnxAttribute;
import dev.vlstm.onnx.proto.OnnxBuilders;
import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxValueInfo;
import dev.vlstm.onnx.proto.OnnxWriter;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test helper: builds an ONNX model holding one {@code LSTM} node (W, R, B, P as initializers; X, sequence_lens,
 * initial_h, initial_c as graph inputs when present) and runs it in ONNX Runtime on one thread.
 */
public final class OrtLstmRunner {
    private OrtLstmRunner() {}

    /** ONNX Runtime's outputs, row-major, with the shapes it reported. */
    public record OrtOutputs(float[] y, long[] yShape, float[] yH, long[] yHShape, float[] yC, long[] yCShape) {}

    /** The serialized model for the node, at {@code opset} (7, 14 or 22; layout needs 14 or later). */
    public static byte[] model(int opset, LstmInputs in, LstmAttributes a) {
        if (a.layout() != 0 && opset < 14) throw new IllegalArgumentException("layout needs opset 14 or later");
        int dirs = a.directionCount();
        int h = a.hiddenSize();
        int[] xs = in.xShape();
        int batch = a.layout() == 1 ? xs[0] : xs[1];
        long[] stateDims = stateDims(xs, a);

        List<dev.vlstm.onnx.proto.OnnxTensor> initializers = new ArrayList<>();
        initializers.add(floatTensor("W", new long[] {dirs, 4L * h, xs[2]}, in.w()));
        initializers.add(floatTensor("R", new long[] {dirs, 4L * h, h}, in.r()));
        if (in.b() != null) initializers.add(floatTensor("B", new long[] {dirs, 8L * h}, in.b()));
        if (in.p() != null) initializers.add(floatTensor("P", new long[] {dirs, 3L * h}, in.p()));

        List<OnnxValueInfo> graphInputs = new ArrayList<>();
        graphInputs.add(valueInfo("X", OnnxDataType.FLOAT, xs[0], xs[1], xs[2]));
        if (in.sequenceLens() != null) graphInputs.add(valueInfo("sequence_lens", OnnxDataType.INT32, batch));
        if (in.initialH() != null) graphInputs.add(valueInfo("initial_h", OnnxDataType.FLOAT, boxed(stateDims)));
        if (in.initialC() != null) graphInputs.add(valueInfo("initial_c", OnnxDataType.FLOAT, boxed(stateDims)));

        List<String> nodeInputs = List.of("X", "W", "R", in.b() == null ? "" : "B",
                in.sequenceLens() == null ? "" : "sequence_lens", in.initialH() == null ? "" : "initial_h",
                in.initialC() == null ? "" : "initial_c", in.p() == null ? "" : "P");
        List<OnnxValueInfo> graphOutputs = List.of(valueInfoNoShape("Y", OnnxDataType.FLOAT),
                valueInfoNoShape("Y_h", OnnxDataType.FLOAT), valueInfoNoShape("Y_c", OnnxDataType.FLOAT));
        OnnxGraph g = graph("lstm", List.of(node("LSTM", nodeInputs, List.of("Y", "Y_h", "Y_c"),
                attributes(a).toArray(OnnxAttribute[]::new))), initializers, graphInputs, graphOutputs);
        return OnnxWriter.write(OnnxBuilders.model(opset >= 21 ? 10 : 8, opset, g));
    }

    /** Runs the node in ONNX Runtime; throws the OrtException with which ONNX Runtime refuses a model. */
    public static OrtOutputs run(int opset, LstmInputs in, LstmAttributes a) throws OrtException {
        return runModel(model(opset, in, a), in, a);
    }

    /**
     * Runs a serialized model with one LSTM node described by {@code a}. Each graph input must be named after the
     * node input it feeds (X, W, R, B, sequence_lens, initial_h, initial_c, P; ONNX's node tests name them so) and
     * is fed from {@code in}; the graph outputs must be Y, Y_h and Y_c (those missing come back null).
     */
    public static OrtOutputs runModel(byte[] modelBytes, LstmInputs in, LstmAttributes a) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL); // refusals come back as exceptions
            try (OrtSession session = env.createSession(modelBytes, options)) {
                Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
                try {
                    for (String name : session.getInputNames()) feeds.put(name, feed(env, name, in, a));
                    try (OrtSession.Result result = session.run(feeds)) {
                        OnnxTensor y = output(result, "Y");
                        OnnxTensor yH = output(result, "Y_h");
                        OnnxTensor yC = output(result, "Y_c");
                        return new OrtOutputs(floats(y), shape(y), floats(yH), shape(yH), floats(yC), shape(yC));
                    }
                } finally {
                    for (OnnxTensor t : feeds.values()) t.close();
                }
            }
        }
    }

    private static OnnxTensor feed(OrtEnvironment env, String name, LstmInputs in, LstmAttributes a)
            throws OrtException {
        int[] xs = in.xShape();
        long dirs = a.directionCount();
        long h = a.hiddenSize();
        return switch (name) {
            case "X" -> floatFeed(env, name, in.x(), xs[0], xs[1], xs[2]);
            case "W" -> floatFeed(env, name, in.w(), dirs, 4 * h, xs[2]);
            case "R" -> floatFeed(env, name, in.r(), dirs, 4 * h, h);
            case "B" -> floatFeed(env, name, in.b(), dirs, 8 * h);
            case "P" -> floatFeed(env, name, in.p(), dirs, 3 * h);
            case "initial_h" -> floatFeed(env, name, in.initialH(), stateDims(xs, a));
            case "initial_c" -> floatFeed(env, name, in.initialC(), stateDims(xs, a));
            case "sequence_lens" -> {
                if (in.sequenceLens() == null) throw new IllegalArgumentException("the model needs sequence_lens");
                yield OnnxTensor.createTensor(env, IntBuffer.wrap(in.sequenceLens()),
                        new long[] {in.sequenceLens().length});
            }
            default -> throw new IllegalArgumentException("unexpected graph input '" + name + "'");
        };
    }

    private static OnnxTensor floatFeed(OrtEnvironment env, String name, float[] values, long... dims)
            throws OrtException {
        if (values == null) throw new IllegalArgumentException("the model needs input " + name);
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), dims);
    }

    private static OnnxTensor output(OrtSession.Result result, String name) {
        return (OnnxTensor) result.get(name).orElse(null);
    }

    private static List<OnnxAttribute> attributes(LstmAttributes a) {
        List<OnnxAttribute> out = new ArrayList<>();
        out.add(attrInt("hidden_size", a.hiddenSize()));
        if (a.direction() != null) out.add(attrString("direction", a.direction()));
        if (!a.activations().isEmpty()) out.add(attrStrings("activations", a.activations().toArray(String[]::new)));
        if (a.alpha() != null) out.add(attrFloats("activation_alpha", a.alpha()));
        if (a.beta() != null) out.add(attrFloats("activation_beta", a.beta()));
        if (a.clip() != null) out.add(attrFloat("clip", a.clip()));
        if (a.inputForget() != 0) out.add(attrInt("input_forget", a.inputForget()));
        if (a.layout() != 0) out.add(attrInt("layout", a.layout()));
        return out;
    }

    /** The dims of initial_h, initial_c, Y_h and Y_c. */
    private static long[] stateDims(int[] xShape, LstmAttributes a) {
        int dirs = a.directionCount();
        int h = a.hiddenSize();
        return a.layout() == 1 ? new long[] {xShape[0], dirs, h} : new long[] {dirs, xShape[1], h};
    }

    private static float[] floats(OnnxTensor t) {
        if (t == null) return null;
        FloatBuffer fb = t.getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    private static long[] shape(OnnxTensor t) {
        return t == null ? null : t.getInfo().getShape();
    }

    private static Object[] boxed(long[] dims) {
        Object[] out = new Object[dims.length];
        for (int i = 0; i < dims.length; i++) out[i] = dims[i];
        return out;
    }
}
