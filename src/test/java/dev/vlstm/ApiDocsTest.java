package dev.vlstm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public type of the packages module-info.java exports shows a short example in its class comment (javadoc's
 * doclint, run by mvn package with warnings failing the build, checks that everything is documented).
 */
class ApiDocsTest {
    static final Path SOURCES = Path.of("src/main/java");
    private static final Pattern EXPORTS = Pattern.compile("(?m)^\\s*exports\\s+([\\w.]+)\\s*;");
    private static final Pattern TOP_LEVEL = Pattern.compile("(?m)^public (?:final |abstract |sealed )*(?:class|record|enum|interface) ");

    static List<String> exportedPackages() throws IOException {
        Matcher m = EXPORTS.matcher(Files.readString(SOURCES.resolve("module-info.java")));
        List<String> packages = new ArrayList<>();
        while (m.find()) packages.add(m.group(1));
        return packages;
    }

    @Test
    void theModuleExportsTheRuntimeApi() throws IOException {
        assertEquals(List.of("dev.vlstm", "dev.vlstm.format"), exportedPackages());
    }

    @Test
    void everyPublicTypeOfTheApiHasAnExample() throws IOException {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (String pkg : exportedPackages()) {
            try (Stream<Path> files = Files.list(SOURCES.resolve(pkg.replace('.', '/')))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                    String src = Files.readString(f);
                    Matcher type = TOP_LEVEL.matcher(src);
                    if (!type.find()) continue;
                    checked++;
                    int doc = src.lastIndexOf("/**", type.start());
                    if (doc < 0 || !src.substring(doc, type.start()).contains("<pre>{@code")) missing.add(pkg + "." + f.getFileName());
                }
            }
        }
        assertTrue(checked >= 20, "found only " + checked + " public types");
        assertEquals(List.of(), missing, "public types without an example in their class comment");
    }
}
