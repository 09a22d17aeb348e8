package dev.vlstm.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vlstm.cli.Npy;
import dev.vlstm.cli.NpyArray;
import dev.vlstm.cli.NpyException;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Untrusted bytes as a .npy file through {@link Npy#read}: the only acceptable outcomes are an array whose shape
 * matches its data, or an {@link NpyException} naming the file. Anything else is a finding.
 *
 * <p>Corpus: {@code src/test/resources/fuzz/npy/}. Fuzz with {@code tools/fuzz npy SECONDS}.
 */
class NpyReadFuzzTest {
    /** One file per JVM, rewritten for every input (the reader takes a path, not bytes). */
    private static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path dir = Files.createTempDirectory("vlstm-npy-fuzz");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve("fuzz.npy");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static Stream<Arguments> corpus() {
        return FuzzCorpus.of("npy");
    }

    @MethodSource("corpus")
    @FuzzTest
    void npyBytes(byte[] data) throws Throwable {
        FuzzChecks.run(() -> read(data));
    }

    private static void read(byte[] data) throws IOException {
        Files.write(FILE, data);
        NpyArray a;
        try {
            a = Npy.read(FILE);
        } catch (NpyException e) {
            FuzzChecks.namesSource(e, FILE.toString());
            return;
        }
        long count = 1;
        for (long d : a.shape()) count *= d;
        if (count != a.data().length)
            throw new AssertionError("shape " + java.util.Arrays.toString(a.shape()) + " but " + a.data().length + " floats");
    }
}
