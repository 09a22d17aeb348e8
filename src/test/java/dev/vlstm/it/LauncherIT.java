package dev.vlstm.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * tools/vlstm and the AOT cache {@code mvn package} trains: the build's cache is fresh and used; and in a copy of the
 * layout, a missing, stale or damaged cache leaves every command's output and exit code as without any cache, with
 * nothing added to stdout.
 */
class LauncherIT {
    static final Path SEED = Path.of("src/test/resources/fixtures/lstm16_s1_b150");

    /** A copy of the layout the launcher expects: tools/vlstm, target/convert.jar, the seed model. */
    static Path root;
    static Path onnx;

    @BeforeAll
    static void copyTheLayout(@TempDir Path dir) throws Exception {
        assumeTrue(!System.getProperty("os.name").startsWith("Windows"), "the launcher is a bash script");
        assertTrue(Files.isRegularFile(Path.of("target/convert.jar")), "the integration tests run after mvn package");
        root = dir;
        Files.createDirectories(root.resolve("tools"));
        Files.createDirectories(root.resolve("target"));
        Files.copy(Path.of("tools/vlstm"), root.resolve("tools/vlstm"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(Path.of("target/convert.jar"), root.resolve("target/convert.jar"));
        Path seed = Files.createDirectories(root.resolve(SEED));
        Files.copy(SEED.resolve("model.onnx"), seed.resolve("model.onnx"));
        onnx = seed.resolve("model.onnx");
        train();
    }

    record Run(int code, String out, String err, String aotLog) {
        boolean usedCache() {
            return aotLog.contains("Opened AOT cache") && !aotLog.contains("[error");
        }
    }

    /** Runs {@code <root>/tools/vlstm args}, with the JVM's AOT log written to a file (not to stdout). */
    static Run vlstm(Path root, Map<String, String> env, String... args) throws Exception {
        Path log = Files.createTempFile(LauncherIT.root, "aot", ".log");
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("tools/vlstm").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.environment().put("VLSTM_JAVA_OPTIONS", "-Xlog:aot=info:file=" + log);
        Path out = LauncherIT.root.resolve("out.txt"), err = LauncherIT.root.resolve("err.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        int code = pb.start().waitFor();
        return new Run(code, Files.readString(out), Files.readString(err), Files.exists(log) ? Files.readString(log) : "");
    }

    static Run vlstm(String... args) throws Exception {
        return vlstm(root, Map.of(), args);
    }

    /** inspect and convert of the seed model: each run's output and exit code against a run without any cache. */
    static void sameAsWithoutCache(String state) throws Exception {
        Path out = root.resolve("target/seed.vlstm");
        String[][] commands = {{"inspect", onnx.toString()}, {"convert", onnx.toString(), out.toString()},
                {"inspect", root.resolve("missing.onnx").toString()}};
        for (String[] args : commands) {
            Run want = vlstm(root, Map.of("VLSTM_AOT", "off"), args), got = vlstm(args);
            assertFalse(want.usedCache(), "VLSTM_AOT=off runs without the cache");
            assertEquals(want.code(), got.code(), state + ": exit code of " + String.join(" ", args) + "; " + got.err());
            assertEquals(want.out(), got.out(), state + ": stdout of " + String.join(" ", args));
            assertEquals(want.err(), got.err(), state + ": stderr of " + String.join(" ", args));
            if (got.code() == 0) assertEquals("", got.err(), "inspect and convert run without the incubator module's notice");
        }
    }

    static Path cache, jar, saved;
    static FileTime cacheTime, jarTime;

    /** Trains the copy's cache once; each test starts from it. */
    static void train() throws Exception {
        Run t = vlstm("--build-aot-cache");
        assertEquals(0, t.code(), t.err());
        cache = root.resolve("target/convert.aot");
        jar = root.resolve("target/convert.jar");
        assertTrue(Files.size(cache) > 1 << 20, "a cache of some MB");
        saved = Files.copy(cache, root.resolve("saved.aot"));
        cacheTime = Files.getLastModifiedTime(cache);
        jarTime = Files.getLastModifiedTime(jar);
    }

    @org.junit.jupiter.api.BeforeEach
    void restoreTheFreshCache() throws IOException {
        Files.copy(saved, cache, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(cache, cacheTime);
        Files.setLastModifiedTime(jar, jarTime);
    }

    @Test
    void theBuildsCacheIsFreshAndUsed() throws Exception {
        Run r = vlstm(Path.of("").toAbsolutePath(), Map.of(), "inspect", SEED.resolve("model.onnx").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.usedCache(), "mvn package leaves a cache tools/vlstm uses; the JVM's log:\n" + r.aotLog());
    }

    @Test
    void aFreshCacheIsUsedAndChangesNoOutput() throws Exception {
        assertTrue(vlstm("inspect", onnx.toString()).usedCache());
        sameAsWithoutCache("fresh cache");
    }

    @Test
    void aMissingCacheOnlySlowsTheCommand() throws Exception {
        Files.delete(cache);
        assertFalse(vlstm("inspect", onnx.toString()).usedCache());
        sameAsWithoutCache("missing cache");
    }

    @Test
    void aRebuiltJarMakesTheCacheStale() throws Exception {
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5000));
        assertFalse(vlstm("inspect", onnx.toString()).usedCache(), "the stamp no longer matches the jar");
        sameAsWithoutCache("stale cache");
    }

    @Test
    void aDamagedCacheIsNotUsedEvenWhenItsStampStillMatches() throws Exception {
        FileTime mtime = Files.getLastModifiedTime(cache);
        // Same size and mtime, so the launcher's stamp still matches: the JVM itself must refuse it and go on.
        byte[] garbage = new byte[(int) Files.size(cache)];
        new java.util.Random(7).nextBytes(garbage);
        Files.write(cache, garbage);
        Files.setLastModifiedTime(cache, mtime);
        Run r = vlstm("inspect", onnx.toString());
        assertFalse(r.usedCache(), "a cache with a bad header is refused by the JVM");
        assertTrue(r.aotLog().contains("bad magic number"), "the launcher passed it, the JVM refused it:\n" + r.aotLog());
        sameAsWithoutCache("damaged cache, stamp matching");
        // Truncated: the stamp no longer matches, the launcher does not even pass it.
        Files.write(cache, new byte[4096]);
        assertFalse(vlstm("inspect", onnx.toString()).aotLog().contains("AOT cache"));
        sameAsWithoutCache("truncated cache");
    }
}
