package dev.vlstm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vlstm.format.VlstmFile;
import dev.vlstm.onnx.OnnxImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code inspect FILE [--json]}: explains a .onnx or .vlstm model layer by layer. */
@Command(name = "inspect", description = "Explain a .onnx or .vlstm model layer by layer.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        return inspect(file, json, spec.commandLine().getOut());
    }

    /** The command itself; {@link PlainArgs} calls it without picocli. */
    static int inspect(Path file, boolean json, PrintWriter out) throws IOException {
        Map<String, Object> d;
        if (isVlstm(file)) {
            try (VlstmFile f = VlstmFile.map(file)) {
                d = ModelDescription.ofVlstm(f, Files.size(file));
            }
        } else {
            OnnxImporter.Imported m = OnnxImporter.importFile(file);
            d = ModelDescription.ofOnnx(m, Files.size(file));
        }
        if (json) out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(d));
        else out.print(ModelDescription.text(d));
        out.flush();
        return 0;
    }

    /** By content, not by name: a .vlstm file starts with its magic bytes. */
    private static boolean isVlstm(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(6);
            return head.length == 6 && (head[0] & 0xFF) == 0x89 && new String(head, 1, 5).equals("VLSTM");
        }
    }
}
