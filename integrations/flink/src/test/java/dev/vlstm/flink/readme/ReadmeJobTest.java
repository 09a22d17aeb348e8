package dev.vlstm.flink.readme;

import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;
import dev.vlstm.flink.readme.SensorScoring.Reading;
import dev.vlstm.flink.readme.SensorScoring.Score;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The README's job is this package's {@link SensorScoring}, word for word, and it runs. */
class ReadmeJobTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @TempDir
    Path dir;

    /** This module's README and the project's ("On Apache Flink") both show the job. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"README.md", "../../README.md"})
    void theReadmesJobIsSensorScoringWithoutItsPackageLine(String readmePath) throws Exception {
        String readme = Files.readString(Path.of(readmePath));
        String start = "```java\nimport dev.vlstm.flink.LstmStepFunction;";
        int from = readme.indexOf(start);
        assertEquals(true, from >= 0, readmePath + " has no java block starting with the job's first import");
        String block = readme.substring(from + "```java\n".length(), readme.indexOf("```", from + 7));
        String source = Files.readString(Path.of("src/test/java/dev/vlstm/flink/readme/SensorScoring.java"));
        assertEquals(source.substring(source.indexOf('\n', source.indexOf("package ")) + 2), block, readmePath);
    }

    @Test
    void theReadmesJobScoresEachReadingWithItsDevicesState() throws Exception {
        Path model = dir.resolve("seed.vlstm");
        try (InputStream in = ReadmeJobTest.class.getResourceAsStream("/models/seed-lstm16.onnx")) {
            Files.copy(in, dir.resolve("seed.onnx"));
        }
        var imported = dev.vlstm.onnx.OnnxImporter.importFile(dir.resolve("seed.onnx"));
        dev.vlstm.format.VlstmWriter.write(imported.spec(), imported.weights(), imported.metadata(), model);
        float[] a = new float[100], b = new float[100];
        java.util.Arrays.fill(a, 0.5f);
        java.util.Arrays.fill(b, -0.25f);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        List<Score> scores = SensorScoring.score(env.fromData(new Reading("pump-1", 0, a), new Reading("pump-1", 1, b)),
                model.toString()).executeAndCollect(2);

        try (Model m = Model.load(model); Session session = m.newSession()) {
            LstmState state = m.newState();
            float[] y0 = new float[m.outputSize()], y1 = new float[m.outputSize()];
            session.step(state, a, y0);
            session.step(state, b, y1);
            Score first = scores.get(0).time() == 0 ? scores.get(0) : scores.get(1);
            Score second = first == scores.get(0) ? scores.get(1) : scores.get(0);
            assertArrayEquals(y0, first.y());
            assertArrayEquals(y1, second.y());
        }
    }
}
