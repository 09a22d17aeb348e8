package dev.vlstm.it;

import dev.vlstm.Version;
import dev.vlstm.cli.Npy;
import dev.vlstm.cli.NpyArray;
import dev.vlstm.format.VlstmWriter;
import dev.vlstm.onnx.OnnxImporter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The runtime jar that {@code mvn package} built, as a modular application uses it: an application module that
 * {@code requires dev.vlstm}, compiled and started on the module path with nothing else on it (no converter
 * dependencies) and no {@code --add-modules}, loads the seed model and runs it to PyTorch's output. Also measures the
 * alternative the descriptor was chosen over: the same jar as an automatic module.
 */
class ModulePathIT {
    static final Path JAR = Path.of("target/vlstm-" + Version.VERSION + ".jar");
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/lstm16_s1_b150");
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    static final String APP_MODULE = """
            module vlstm.example.app {
                requires dev.vlstm;
            }
            """;
    /** Runs a model on raw little-endian float32 input and writes its main output the same way. */
    static final String APP = """
            package app;

            import dev.vlstm.Model;
            import dev.vlstm.Session;

            import java.nio.ByteBuffer;
            import java.nio.ByteOrder;
            import java.nio.file.Files;
            import java.nio.file.Path;

            public class Score {
                public static void main(String[] args) throws Exception {
                    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(Path.of(args[1]))).order(ByteOrder.LITTLE_ENDIAN);
                    float[] x = new float[in.remaining() / 4];
                    in.asFloatBuffer().get(x);
                    try (Model model = Model.load(Path.of(args[0]))) {
                        Session session = model.newSession();
                        float[] y = session.run(x, 1, x.length / model.inputSize());
                        ByteBuffer out = ByteBuffer.allocate(4 * y.length).order(ByteOrder.LITTLE_ENDIAN);
                        out.asFloatBuffer().put(y);
                        Files.write(Path.of(args[2]), out.array());
                        System.out.println("module " + Model.class.getModule().getName() + ", kernels " + session.kernels());
                    }
                }
            }
            """;

    static Path model;

    @BeforeAll
    static void convertTheSeedModel(@TempDir Path dir) throws IOException {
        assertTrue(Files.isRegularFile(JAR), JAR + " missing: the integration tests run after mvn package");
        model = dir.resolve("lstm16.vlstm");
        OnnxImporter.Imported m = OnnxImporter.importFile(FIXTURE.resolve("model.onnx"));
        VlstmWriter.write(m.spec(), m.weights(), m.metadata(), model);
    }

    record Run(int code, String out, String err) {
    }

    static Run run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        Thread drain = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        copy(p.getInputStream(), out);
        int code = p.waitFor();
        drain.join();
        return new Run(code, out.toString(), err.toString());
    }

    private static void copy(InputStream in, OutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Compiles the application module against {@code modulePath}; returns its classes' folder. */
    static Path compileApp(Path dir, Path modulePath) throws IOException {
        Path src = dir.resolve("src"), classes = dir.resolve("classes");
        Files.createDirectories(src.resolve("app"));
        Files.writeString(src.resolve("module-info.java"), APP_MODULE);
        Files.writeString(src.resolve("app/Score.java"), APP);
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diagnostics, diagnostics, "-Xlint:-incubating",
                "--module-path", modulePath.toString(), "-d", classes.toString(),
                src.resolve("module-info.java").toString(), src.resolve("app/Score.java").toString());
        assertEquals(0, rc, "the application module must compile against " + modulePath + " alone: " + diagnostics);
        return classes;
    }

    static Path rawFloats(Path file, float[] values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return Files.write(file, b.array());
    }

    static float[] readRawFloats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    /** Starts the application on {@code modulePath} (no --add-modules) and checks its output against PyTorch's. */
    static Run scoreAndCompare(Path dir, String modulePath) throws Exception {
        NpyArray x = Npy.read(FIXTURE.resolve("input.npy")), expected = Npy.read(FIXTURE.resolve("expected.npy"));
        Path in = rawFloats(dir.resolve("x.f32"), x.data()), out = dir.resolve("y.f32");
        Run r = run(List.of(JAVA, "--module-path", modulePath, "-m", "vlstm.example.app/app.Score",
                model.toString(), in.toString(), out.toString()));
        assertEquals(0, r.code(), "the application failed: " + r.err());
        float[] y = readRawFloats(out), want = expected.data();
        assertEquals(want.length, y.length);
        double err = 0;
        for (int i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - want[i]));
        assertTrue(err <= 1e-5, "on the module path vs PyTorch: max abs error " + err);
        return r;
    }

    @Test
    void theJarDeclaresTheModuleAndExportsOnlyTheApi() {
        ModuleDescriptor d = ModuleFinder.of(JAR).find("dev.vlstm").orElseThrow(
                () -> new AssertionError(JAR + " is not the module dev.vlstm")).descriptor();
        assertFalse(d.isAutomatic(), "a module descriptor, not an automatic module");
        assertEquals(Set.of("dev.vlstm", "dev.vlstm.format"),
                d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        TreeSet<String> required = new TreeSet<>(), optional = new TreeSet<>();
        for (ModuleDescriptor.Requires r : d.requires())
            (r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC) ? optional : required).add(r.name());
        assertEquals(new TreeSet<>(Set.of("java.base", "jdk.incubator.vector")), required);
        assertTrue(optional.containsAll(Set.of("com.google.protobuf", "com.fasterxml.jackson.databind", "info.picocli")),
                "the converter's dependencies are optional: " + optional);
    }

    @Test
    void anApplicationModuleRunsTheModelWithTheVectorKernelsAndNoFlags(@TempDir Path dir) throws Exception {
        Path classes = compileApp(dir, JAR);
        Run r = scoreAndCompare(dir, JAR + java.io.File.pathSeparator + classes);
        assertTrue(r.out().contains("module dev.vlstm, kernels vector"), "requires jdk.incubator.vector resolves the "
                + "Vector API without --add-modules: " + r.out());
        // The JVM names the incubator module on stderr; nothing else may appear (no fallback warning, no access errors).
        for (String line : r.err().lines().toList())
            assertTrue(line.startsWith("WARNING: Using incubator modules"), "unexpected stderr line: " + line);
    }

    @Test
    void asAnAutomaticModuleTheSameJarWouldNeedAddModulesForTheVectorKernels(@TempDir Path dir) throws Exception {
        // What Automatic-Module-Name instead of module-info would give: it runs, but the Vector API is not resolved
        // without --add-modules, so the scalar kernels run (and every package, kernels and CLI included, is exported).
        Path automatic = dir.resolve("vlstm-automatic.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Automatic-Module-Name", "dev.vlstm");
        try (JarFile in = new JarFile(JAR.toFile()); JarOutputStream out = new JarOutputStream(Files.newOutputStream(automatic), manifest)) {
            for (JarEntry e : in.stream().toList()) {
                if (e.getName().equals("module-info.class") || e.getName().equals("META-INF/MANIFEST.MF")) continue;
                out.putNextEntry(new JarEntry(e.getName()));
                try (InputStream s = in.getInputStream(e)) {
                    s.transferTo(out);
                }
                out.closeEntry();
            }
        }
        assertTrue(ModuleFinder.of(automatic).find("dev.vlstm").orElseThrow().descriptor().isAutomatic());
        Path classes = compileApp(dir, automatic);
        Run r = scoreAndCompare(dir, automatic + java.io.File.pathSeparator + classes);
        assertTrue(r.out().contains("module dev.vlstm, kernels scalar"), r.out());
        assertTrue(r.err().contains("--add-modules jdk.incubator.vector"), "the fallback warning names the flag: " + r.err());
    }
}
