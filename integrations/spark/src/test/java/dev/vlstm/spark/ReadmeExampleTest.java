package dev.vlstm.spark;

import dev.vlstm.spark.readme.ScoreSequences;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's job is this module's {@link ScoreSequences}, word for word, and it scores a Parquet table correctly. */
class ReadmeExampleTest {
    static final Path MODULE = Path.of(System.getProperty("user.dir"));

    /** This module's README and the project's ("On Apache Spark") both show the job. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"README.md", "../../README.md"})
    void theReadmesJobIsScoreSequencesWordForWord(String readmePath) throws Exception {
        String readme = Files.readString(MODULE.resolve(readmePath));
        int start = readme.indexOf("```java\nimport dev.vlstm.spark.VlstmScorer;");
        assertTrue(start >= 0, readmePath + " has no java block starting with the VlstmScorer import");
        String block = readme.substring(start + "```java\n".length(), readme.indexOf("```\n", start + 8));
        String source = Files.readString(MODULE.resolve("src/test/java/dev/vlstm/spark/readme/ScoreSequences.java"));
        assertEquals(source.substring(source.indexOf("import ")), block, readmePath);
    }

    @Test
    void theReadmesJobScoresAParquetTableAsRunsAlone(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("lstm16.vlstm");
        Files.write(model, TestModels.seed());
        SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
        spark.range(0, 300, 1, 3).withColumn("len", TestSequences.lengthColumn(8))
                .withColumn("x", TestSequences.sequenceColumn(100)).write().parquet(dir.resolve("in").toString());
        // main takes the running session (getOrCreate) and stops it when done
        ScoreSequences.main(new String[]{model.toString(), dir.resolve("in").toString(), dir.resolve("out").toString()});
        SparkSession reader = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> rows = reader.read().parquet(dir.resolve("out").toString()).collectAsList();
            assertEquals(300, rows.size());
            VlstmScorerTest.assertEqualsRunAlone(rows, TestModels.seed(), 8, "id", "y");
        } finally {
            reader.stop();
        }
    }
}
