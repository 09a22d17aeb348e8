package dev.vlstm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The plain forms that skip picocli print, write and fail exactly as picocli's path does; other forms go to picocli. */
class PlainArgsTest {
    private static final String ONNX = CliTest.FIXTURE.resolve("model.onnx").toString();

    private static CliTest.Result picocli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.withPicocli(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliTest.Result(code, out.toString(), err.toString());
    }

    private static void sameBothWays(String... args) {
        assertNotNull(PlainArgs.command(args, null, null), "a plain form: " + List.of(args));
        CliTest.Result plain = CliTest.cli(args), full = picocli(args);
        assertEquals(full, plain, "plain path vs picocli for " + List.of(args));
    }

    @Test
    void inspectAndConvertPrintTheSameAsThroughPicocli(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("m.vlstm");
        sameBothWays("convert", ONNX, model.toString());
        byte[] viaPicocli = Files.readAllBytes(model);
        CliTest.cli("convert", ONNX, model.toString());
        assertEquals(viaPicocli.length, Files.readAllBytes(model).length, "the same file both ways (only the time differs)");
        sameBothWays("inspect", ONNX);
        sameBothWays("inspect", model.toString());
        sameBothWays("inspect", model.toString(), "--json");
        sameBothWays("inspect", "--json", ONNX);
    }

    @Test
    void errorsAreTheSameToo(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.onnx");
        Files.write(bad, new byte[]{8, 7, 0x3a, 5, 1});
        sameBothWays("inspect", dir.resolve("missing.onnx").toString());
        sameBothWays("convert", bad.toString(), dir.resolve("m.vlstm").toString());
        assertEquals(1, CliTest.cli("inspect", bad.toString()).code());
    }

    @Test
    void everyOtherFormGoesToPicocli() {
        for (String[] args : List.of(new String[]{"inspect"}, new String[]{"inspect", "a", "b"},
                new String[]{"inspect", "--json", "--json"}, new String[]{"inspect", "a", "--help"},
                new String[]{"inspect", "@args.txt"}, new String[]{"convert", "--verify", "a", "b"},
                new String[]{"convert", "a"}, new String[]{"convert", "a", "--json"}, new String[]{"convert", "a", ""},
                new String[]{"run", "m.vlstm", "x"}, new String[]{"convert", "a\0", "b"}, new String[]{"--version"}))
            assertNull(PlainArgs.command(args, null, null), List.of(args).toString());
    }
}
