package dev.vlstm.fuzz;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The committed inputs of one fuzz target: every file in {@code src/test/resources/fuzz/<target>/} (seeds and the
 * crash inputs of past findings), as {@code byte[]} arguments named by file. A fuzz test lists them with
 * {@code @MethodSource} before {@code @FuzzTest}: in regression mode (every {@code mvn verify}) each runs as one test
 * case; in fuzzing mode ({@code tools/fuzz}) Jazzer uses them as the seed corpus.
 */
final class FuzzCorpus {
    private FuzzCorpus() {
    }

    static Stream<Arguments> of(String target) {
        Path dir = directory(target);
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> !isTooling(f.getFileName().toString()))
                    .sorted()
                    .map(f -> Arguments.of(Named.of(f.getFileName().toString(), read(f))))
                    .toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list the corpus", e);
        }
    }

    /** The corpus folder on the test class path (target/test-classes/fuzz/<target>). */
    static Path directory(String target) {
        URL url = FuzzCorpus.class.getResource("/fuzz/" + target);
        if (url == null) throw new IllegalStateException("no corpus folder /fuzz/" + target + " on the test class path");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(url + ": not a folder", e);
        }
    }

    /** Scripts and notes that live beside the inputs. */
    private static boolean isTooling(String name) {
        return name.endsWith(".py") || name.endsWith(".md");
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException(f + ": cannot read", e);
        }
    }
}
