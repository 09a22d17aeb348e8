package dev.vlstm.example;

import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's Java API example is {@link Predict}, which the build compiles: the README's block must be that file
 * without its package line, and it runs on the seed model.
 */
class ReadmeExampleTest {
    static final Path SOURCE = Path.of("src/test/java/dev/vlstm/example/Predict.java");

    /** The first {@code ```java} block after the README heading {@code heading}. */
    static String readmeBlock(String heading) throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int at = readme.indexOf("\n" + heading + "\n");
        assertTrue(at >= 0, "README.md has no heading " + heading);
        int start = readme.indexOf("```java\n", at) + "```java\n".length();
        return readme.substring(start, readme.indexOf("```\n", start));
    }

    @Test
    void theReadmeShowsPredictJavaAsItIs() throws IOException {
        String source = Files.readString(SOURCE);
        String withoutPackage = source.substring(source.indexOf("\n\n") + 2);
        assertEquals(withoutPackage, readmeBlock("## Java API"),
                "README.md's Java API example differs from " + SOURCE + " (edit both, or copy the file into the README)");
    }

    @Test
    void predictRunsOnTheSeedModel(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("lstm_16.vlstm");
        OnnxImporter.Imported m = OnnxImporter.importFile(Path.of("src/test/resources/fixtures/lstm16_s1_b150/model.onnx"));
        VlstmWriter.write(m.spec(), m.weights(), m.metadata(), model);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Predict.main(new String[]{model.toString()});
        } finally {
            System.setOut(out);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("prob: 1950 values, kernels "), printed);   // [150, 1, 13]
    }
}
