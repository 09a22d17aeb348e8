package dev.vlstm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The provider picks the Vector API when it can, says so loudly when it cannot, and can be forced either way. Some
 * tests start a second JVM, because the choice is made once per JVM and depends on its command line.
 */
class KernelsProviderTest {

    private static final Supplier<LstmKernels> UNAVAILABLE = () -> {
        throw new IllegalStateException("the Vector API module jdk.incubator.vector is not in the boot layer; "
                + "to fix this, " + Kernels.HOW_TO_FIX);
    };

    /** Surefire starts this JVM with --add-modules jdk.incubator.vector: a silent scalar fallback must fail the build. */
    @Test
    void thisTestJvmUsesTheVectorKernels() {
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "test JVM lacks the vector module");
        assertEquals(VectorKernels.class, Kernels.get().getClass(), "Kernels.get() is " + Kernels.active());
        assertEquals("vector (" + PanelSpecies.LANES + " lanes)", Kernels.active());
        assertSame(Kernels.get(), Kernels.get(), "chosen once");
        System.out.println("Kernels.active() = " + Kernels.active());
    }

    @Test
    void forcingScalarUsesPlainJavaWithoutWarning() {
        List<String> warnings = new ArrayList<>();
        LstmKernels k = Kernels.select("scalar", () -> {
            throw new AssertionError("scalar mode must not load the vector kernels");
        }, warnings::add);
        assertSame(Kernels.scalar(), k);
        assertEquals("scalar", k.name());
        assertEquals(List.of(), warnings);
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "AUTO", ""})
    void autoFallsBackToScalarWithOneWarningThatSaysHowToFixIt(String mode) {
        List<String> warnings = new ArrayList<>();
        assertSame(Kernels.scalar(), Kernels.select(mode, UNAVAILABLE, warnings::add));
        assertEquals(1, warnings.size(), warnings.toString());
        String w = warnings.get(0);
        assertTrue(w.contains("5-20x slower") && w.contains("--add-modules jdk.incubator.vector")
                && w.contains("JDK_JAVA_OPTIONS"), w);
    }

    @Test
    void autoUsesTheVectorKernelsWhenTheyLoad() {
        List<String> warnings = new ArrayList<>();
        assertSame(Kernels.vector(), Kernels.select(null, Kernels::vector, warnings::add));
        assertEquals(List.of(), warnings);
    }

    @Test
    void forcingVectorWithoutTheModuleFailsWithTheFix() {
        var e = assertThrows(IllegalStateException.class, () -> Kernels.select("vector", UNAVAILABLE, w -> {}));
        assertTrue(e.getMessage().contains("vlstm.kernels") && e.getMessage().contains("--add-modules jdk.incubator.vector"),
                e.getMessage());
    }

    @Test
    void unknownModeIsRejected() {
        var e = assertThrows(IllegalStateException.class, () -> Kernels.select("gpu", UNAVAILABLE, w -> {}));
        assertTrue(e.getMessage().contains("'gpu'") && e.getMessage().contains("auto, vector or scalar"), e.getMessage());
    }

    // ---- in a fresh JVM -------------------------------------------------------------------------------------------

    @Test
    void withoutTheModuleTheDefaultIsScalarWithOneWarningAndNoVectorClassLoaded() throws Exception {
        Result r = runProbe(List.of("-Xlog:class+load=info"), "scalar-path");
        assertEquals(0, r.exit, r.toString());
        assertTrue(r.stdout.contains("active=scalar"), r.toString());
        assertTrue(r.stdout.contains("ok"), r.toString());
        assertFalse(r.stdout.contains("dev.vlstm.kernel.VectorKernels") || r.stdout.contains("dev.vlstm.kernel.PanelSpecies")
                || r.stdout.contains("jdk.incubator.vector."), "a vector class was loaded:\n" + r);
        int warnings = r.stderr.split("--add-modules jdk.incubator.vector", -1).length - 1;
        assertEquals(1, warnings, "expected exactly one warning:\n" + r);
    }

    @Test
    void withoutTheModuleForcingVectorFailsWithTheFix() throws Exception {
        Result r = runProbe(List.of("-Dvlstm.kernels=vector"), "active");
        assertTrue(r.exit != 0, r.toString());
        assertTrue(r.stderr.contains("IllegalStateException") && r.stderr.contains("--add-modules jdk.incubator.vector"),
                r.toString());
    }

    /**
     * Every vector shape (1, 2 or 4 vectors per panel) agrees with the reference, each in its own JVM since the species
     * is a per-JVM constant. A shape wider than the machine's runs in the Vector API's Java emulation: slow, but it
     * checks the 512-bit code paths on an AVX2 machine.
     */
    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void everyVectorShapeAgreesWithTheReference(int bits) throws Exception {
        Result r = runProbe(List.of("--add-modules", "jdk.incubator.vector", "-Dvlstm.vectorBits=" + bits), "agreement");
        assertEquals(0, r.exit, r.toString());
        assertTrue(r.stdout.contains("active=vector (" + bits / 32 + " lanes)"), r.toString());
        assertTrue(r.stdout.contains("ok"), r.toString());
        r.stdout.lines().filter(l -> l.contains("max abs error")).forEach(l -> System.out.println(bits + "-bit JVM: " + l));
    }

    @Test
    void aBadVectorSizeFallsBackToScalarAndSaysWhy() throws Exception {
        Result r = runProbe(List.of("--add-modules", "jdk.incubator.vector", "-Dvlstm.vectorBits=100"), "active");
        assertEquals(0, r.exit, r.toString());
        assertTrue(r.stdout.contains("active=scalar"), r.toString());
        assertTrue(r.stderr.contains("vlstm.vectorBits is '100'; expected 128, 256 or 512"), r.toString());
    }

    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    static Result runProbe(List<String> jvmArgs, String mode) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(KernelProbe.class.getName());
        command.add(mode);
        Path out = Files.createTempFile("vlstm-probe", ".out"), err = Files.createTempFile("vlstm-probe", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("probe " + mode + " timed out");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
