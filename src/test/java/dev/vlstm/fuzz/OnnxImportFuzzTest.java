package dev.vlstm.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.ImportException;
import dev.vlstm.onnx.OnnxImporter;
import dev.vlstm.onnx.proto.OnnxFormatException;
import dev.vlstm.onnx.proto.OnnxModel;
import dev.vlstm.onnx.proto.OnnxReader;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * Untrusted ONNX bytes through the protobuf reader and the importer. The only acceptable outcomes are a model,
 * an {@link OnnxFormatException} or an {@link ImportException}, each naming the source; anything else
 * (IndexOutOfBounds, NegativeArraySize, OutOfMemoryError, StackOverflowError, ArithmeticException, NPE,
 * ClassCastException, a hang) is a finding. A model the importer accepts must also be one the writer can store:
 * accepting something the format refuses would mean the importer's checks missed it.
 *
 * <p>Corpus: {@code src/test/resources/fuzz/onnx/}. Fuzz with {@code tools/fuzz onnx SECONDS}.
 */
class OnnxImportFuzzTest {
    private static final String SOURCE = "fuzz.onnx";

    static Stream<Arguments> corpus() {
        return FuzzCorpus.of("onnx");
    }

    @MethodSource("corpus")
    @FuzzTest
    void onnxBytes(byte[] data) throws Throwable {
        FuzzChecks.run(() -> readAndImport(data));
    }

    private static void readAndImport(byte[] data) {
        OnnxModel model;
        try {
            model = OnnxReader.read(data, SOURCE);
        } catch (OnnxFormatException e) {
            FuzzChecks.namesSource(e, SOURCE);
            return;
        }
        OnnxImporter.Imported imported;
        try {
            imported = OnnxImporter.importModel(model, SOURCE, null);
        } catch (ImportException e) {
            FuzzChecks.namesSource(e, SOURCE);
            return;
        }
        // Throws (a finding) if the importer accepted a model the .vlstm format cannot hold.
        VlstmWriter.toBytes(imported.spec(), imported.weights(), imported.metadata());
    }
}
