/**
 * vlstm: LSTM inference for the JVM from PyTorch-exported ONNX models, on Java Vector API kernels.
 *
 * <pre>{@code
 * module my.service {
 *     requires dev.vlstm;   // brings jdk.incubator.vector along: no --add-modules needed on the module path
 * }
 * }</pre>
 *
 * <p>Exported: {@link dev.vlstm} (models, sessions, states) and {@link dev.vlstm.format} (the model's description and
 * the {@code .vlstm} file). The kernels, the ONNX converter and the CLI are internal; the converter runs from
 * {@code convert.jar} or {@code tools/vlstm}.
 */
module dev.vlstm {
    requires jdk.incubator.vector;

    // Only the converter and the CLI (dev.vlstm.onnx, dev.vlstm.cli) use these: optional in the pom, and static here,
    // so a runtime user's module graph resolves without them.
    requires static com.google.protobuf;
    requires static com.fasterxml.jackson.databind;
    requires static info.picocli;
    requires static java.management;   // bench: allocation counters and the JVM's options
    requires static jdk.management;

    exports dev.vlstm;
    exports dev.vlstm.format;
}
