package dev.vlstm.cli;

import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.WeightType;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code convert IN.onnx OUT.vlstm}: import, pack and write atomically (the destination is untouched on failure). */
@Command(name = "convert", description = "Convert a PyTorch-exported ONNX LSTM model to .vlstm.")
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN.onnx")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT.vlstm")
    Path out;

    @picocli.CommandLine.Option(names = "--verify",
            description = "After converting, run the .vlstm on random inputs and compare with a float64 evaluation of the ONNX weights.")
    boolean verify;

    @picocli.CommandLine.Option(names = "--tolerance", paramLabel = "T",
            description = "Max abs error --verify accepts (default 1e-4 for fp32 weights, 1e-2 for bf16, 5e-2 for int8).")
    Double tolerance;

    @picocli.CommandLine.Option(names = "--weights", defaultValue = "fp32", paramLabel = "fp32|bf16|int8",
            description = "How to store the weight matrices: fp32 (default), bf16 (half the bytes) or int8 (a quarter, "
                    + "one scale per output unit of each gate).")
    String weights;

    /** --verify's default tolerance per weight type: the bounds the PyTorch fixtures are held to (README). */
    private static double defaultTolerance(WeightType type) {
        return switch (type) {
            case FP32 -> 1e-4;
            case BF16 -> 1e-2;
            case INT8 -> 5e-2;
        };
    }

    @Override
    public Integer call() throws Exception {
        WeightType type;
        try {
            type = WeightType.ofLabel(weights);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--weights: " + e.getMessage());
        }
        return convert(in, out, type, verify, tolerance, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /**
     * The command itself; {@link PlainArgs} calls it (fp32, without --verify) without picocli.
     * {@code tolerance} null means the weight type's default.
     */
    static int convert(Path in, Path out, WeightType type, boolean verify, Double tolerance, PrintWriter w,
                       PrintWriter err) throws IOException {
        OnnxImporter.Imported m = OnnxImporter.importFile(in);
        VlstmWriter.write(m.spec().withWeights(type), m.weights(), m.metadata(), out);
        if (verify) {
            double error = ConversionCheck.maxError(m, out);
            double bound = tolerance != null ? tolerance : defaultTolerance(type);
            boolean ok = error <= bound;
            w.printf("verify: max abs error %.3g vs float64 evaluation of the ONNX weights (tolerance %.3g): %s%n",
                    error, bound, ok ? "ok" : "FAILED");
            if (!ok) {
                err.printf("error: %s: converted model differs from the float64 evaluation by %.3g > %.3g%n",
                        out, error, bound);
                return 1;
            }
        }
        w.printf("%s -> %s (%,d bytes)%n", in, out, Files.size(out));
        if (type != WeightType.FP32)
            w.printf("  weights: %s (weight matrices at %d of fp32's 4 bytes a weight)%n", type.label, type.bytes);
        if (m.spec().takesTokenIds())
            w.printf("  embedding: %d token ids x %d (nn.Embedding)%n", m.spec().vocabulary(), m.spec().inputSize());
        for (int l = 0; l < m.spec().layers().size(); l++) {
            LayerSpec s = m.spec().layers().get(l);
            w.printf("  LSTM layer %d: input %d, hidden %d, %s%n", l, s.inputSize(), s.hiddenSize(), s.direction().onnxName);
        }
        if (m.spec().hasHead())
            w.printf("  head: %s%n", m.spec().head().stream().map(Object::toString)
                    .collect(java.util.stream.Collectors.joining(", ")));
        w.printf("  %s %s -> %s %s%n", m.spec().inputs().getFirst().name(), m.spec().inputs().getFirst().shapeText(),
                m.spec().outputs().getFirst().name(), m.spec().outputs().getFirst().shapeText());
        return 0;
    }
}
