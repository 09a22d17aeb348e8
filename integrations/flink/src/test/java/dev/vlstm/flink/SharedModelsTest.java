package dev.vlstm.flink;

import dev.vlstm.format.WeightType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-JVM model cache: one load per model file's content, shared, closed by the last subtask to let go. */
class SharedModelsTest {
    @TempDir
    Path dir;

    @Test
    void subtasksOfOneModelFileShareOneLoadAndTheLastToLeaveClosesIt() throws IOException {
        String location = TestModels.seed(dir).toString();
        SharedModels.Lease first = SharedModels.acquire(location), second = SharedModels.acquire(location);
        assertSame(first.model(), second.model());
        assertEquals(2, SharedModels.users(location));
        first.close();
        first.close();                              // a second close of one lease releases nothing more
        assertTrue(second.model().isOpen());
        assertEquals(1, SharedModels.users(location));
        second.close();
        assertFalse(second.model().isOpen());
        assertEquals(0, SharedModels.users(location));
    }

    @Test
    void aFileReplacedBetweenTwoOpensIsAnotherModel() throws IOException {
        Path file = TestModels.seed(dir);
        String location = file.toString();
        try (SharedModels.Lease before = SharedModels.acquire(location)) {
            Path other = TestModels.stacked(dir, "other-h16", 7, 100, 16, 13, WeightType.FP32);
            Files.copy(other, file, StandardCopyOption.REPLACE_EXISTING);
            try (SharedModels.Lease after = SharedModels.acquire(location)) {
                assertNotSame(before.model(), after.model());
                assertTrue(before.model().isOpen(), "the subtask still running the old file keeps its model");
            }
        }
        assertEquals(0, SharedModels.users(location));
    }

    @Test
    void aFileThatIsNotAModelIsRefusedNamingIt() throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.vlstm"), "not a model");
        IOException e = assertThrows(IOException.class, () -> SharedModels.acquire(junk.toString()));
        assertTrue(e.getMessage().startsWith("vlstm model " + junk + " cannot be loaded: "), e.getMessage());
    }

    @Test
    void aMissingFileIsRefusedNamingIt() {
        Path missing = dir.resolve("missing.vlstm");
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> SharedModels.acquire(missing.toString()));
        assertTrue(e.getMessage().startsWith("vlstm model " + missing + " not found on this TaskManager"), e.getMessage());
    }
}
