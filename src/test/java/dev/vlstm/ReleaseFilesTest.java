package dev.vlstm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a release needs beside the code: one version everywhere, the licence, and a changelog entry for it. */
class ReleaseFilesTest {
    static String pomVersion() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>vlstm</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(m.find(), "pom.xml names the project's version");
        return m.group(1);
    }

    @Test
    void thePomAndTheCodeNameTheSameVersion() throws IOException {
        assertEquals(pomVersion(), Version.VERSION, "pom.xml vs dev.vlstm.Version");
    }

    @Test
    void theChangelogHasAnEntryForThisVersionWithItsDate() throws IOException {
        String log = Files.readString(Path.of("CHANGELOG.md"));
        assertTrue(Pattern.compile("(?m)^## " + Pattern.quote(Version.VERSION) + " — \\d{4}-\\d{2}-\\d{2}$").matcher(log).find(),
                "CHANGELOG.md needs a heading '## " + Version.VERSION + " — YYYY-MM-DD'");
    }

    @Test
    void theReadmeTellsUsersThisVersion() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains("<version>" + Version.VERSION + "</version>"), "README's Maven snippet");
        assertTrue(readme.contains("dev.vlstm:vlstm:" + Version.VERSION), "README's Gradle snippet");
    }

    @Test
    void theLicenceIsApache2() throws IOException {
        String licence = Files.readString(Path.of("LICENSE"));
        assertTrue(licence.contains("Apache License") && licence.contains("Version 2.0, January 2004")
                && licence.contains("END OF TERMS AND CONDITIONS"), "LICENSE holds the Apache License 2.0 text");
        assertTrue(Files.readString(Path.of("pom.xml")).contains("<name>Apache-2.0</name>"));
    }
}
