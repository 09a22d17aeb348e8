package dev.vlstm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runtime core (dev.vlstm minus onnx and cli) may reference only java.*, jdk.incubator.vector and itself. Checked on
 * the compiled classes' constant pools (class references and type descriptors), with the JDK's own class-file API.
 */
class CoreDependencyTest {
    private static final Path CLASSES = Path.of("target/classes/dev/vlstm");
    private static final Pattern DESCRIPTOR_TYPE = Pattern.compile("(?<![A-Za-z0-9_$])L([A-Za-z0-9_$]+(?:/[A-Za-z0-9_$]+)+)[;<]");

    static boolean allowed(String internalName) {
        String n = internalName.replaceFirst("^\\[+L?", "").replaceFirst(";$", "");
        if (n.length() <= 1) return true; // primitive array such as [F
        if (n.startsWith("dev/vlstm/onnx/") || n.startsWith("dev/vlstm/cli/")) return false;
        return n.startsWith("java/") || n.startsWith("jdk/incubator/vector/") || n.startsWith("dev/vlstm/");
    }

    @Test
    void coreReferencesOnlyJavaAndTheVectorModule() throws IOException {
        List<Path> core = new ArrayList<>();
        try (Stream<Path> s = Files.walk(CLASSES)) {
            s.filter(p -> p.toString().endsWith(".class"))
                    .filter(p -> !p.startsWith(CLASSES.resolve("onnx")) && !p.startsWith(CLASSES.resolve("cli")))
                    .forEach(core::add);
        }
        assertTrue(core.size() > 10, "expected the core's classes under " + CLASSES + ", found " + core.size());
        TreeSet<String> violations = new TreeSet<>();
        for (Path p : core) {
            ClassModel cm = ClassFile.of().parse(Files.readAllBytes(p));
            for (PoolEntry e : cm.constantPool()) {
                if (e instanceof ClassEntry c && !allowed(c.asInternalName())) violations.add(p.getFileName() + " -> " + c.asInternalName());
                if (e instanceof Utf8Entry u) {
                    Matcher m = DESCRIPTOR_TYPE.matcher(u.stringValue());
                    while (m.find()) if (!allowed(m.group(1))) violations.add(p.getFileName() + " -> " + m.group(1));
                }
            }
        }
        assertEquals(new TreeSet<>(), violations, "the runtime core must depend only on java.* and jdk.incubator.vector");
    }

    @Test
    void theCheckRecognisesForbiddenReferences() {
        assertTrue(allowed("java/lang/String"));
        assertTrue(allowed("jdk/incubator/vector/FloatVector"));
        assertTrue(allowed("[Ljava/lang/Object;"));
        assertTrue(!allowed("com/google/protobuf/CodedInputStream"));
        assertTrue(!allowed("dev/vlstm/onnx/OnnxImporter"));
        assertTrue(!allowed("sun/misc/Unsafe"));
        Matcher m = DESCRIPTOR_TYPE.matcher("(Lcom/google/protobuf/ByteString;)V layers;stateLayout;head");
        assertTrue(m.find() && m.group(1).equals("com/google/protobuf/ByteString") && !m.find(),
                "descriptor types are found, record component lists are not");
    }
}
