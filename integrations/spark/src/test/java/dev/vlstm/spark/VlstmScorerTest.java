package dev.vlstm.spark;

import dev.vlstm.Model;
import dev.vlstm.RunArgs;
import dev.vlstm.format.IoSpec;
import dev.vlstm.Session;
import dev.vlstm.format.Direction;
import dev.vlstm.format.WeightType;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.vlstm.spark.TestSequences.lengthColumn;
import static dev.vlstm.spark.TestSequences.sequenceColumn;
import static dev.vlstm.spark.TestSequences.stepColumn;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Scoring on {@code local[2]}: every output equals running the sequence alone through a {@code Session} in this JVM,
 * bit for bit, for both input shapes; bad columns and bad rows are refused with messages naming them.
 */
class VlstmScorerTest {
    static final int SEQUENCES = 10_000, MAX_LENGTH = 12, INPUT = 100;

    static SparkSession spark;
    @TempDir
    static Path dir;
    static Path seedFile;

    @BeforeAll
    static void startSpark() throws IOException {
        spark = SparkSession.builder().master("local[2]").appName("vlstm-spark-test")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        seedFile = dir.resolve("lstm16.vlstm");
        Files.write(seedFile, TestModels.seed());
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    /** 10 000 ids with their lengths and sequences, in 8 partitions. */
    static Dataset<Row> sequences(int count, int maxLength, int inputSize) {
        return spark.range(0, count, 1, 8).withColumn("len", lengthColumn(maxLength))
                .withColumn("x", sequenceColumn(inputSize));
    }

    /**
     * Asserts each row's (id, y) equals the sequence of that id run alone, bit for bit (a model that takes sequence
     * lengths is given the sequence's own); returns the rows checked.
     */
    static int assertEqualsRunAlone(List<Row> rows, byte[] modelBytes, int maxLength, String idCol, String yCol) {
        try (Model model = Model.load(modelBytes, "reference"); Session session = model.newSession()) {
            boolean takesLengths = model.spec().input(IoSpec.Role.SEQUENCE_LENS) != null;
            int mismatches = 0, nonZero = 0;
            String first = null;
            for (Row r : rows) {
                long id = r.getAs(idCol);
                int length = TestSequences.length(id, maxLength);
                float[] x = TestSequences.sequence(id, length, model.inputSize());
                float[] expected = new float[Math.toIntExact(session.mainOutputSize(length, 1))];
                session.run(new RunArgs().input(x, length, 1).output(expected)
                        .sequenceLengths(takesLengths ? new int[]{length} : null));
                for (float v : expected) if (v != 0) nonZero++;
                List<Float> actual = r.getList(r.fieldIndex(yCol));
                boolean same = actual.size() == expected.length;
                for (int i = 0; same && i < expected.length; i++)
                    same = Float.floatToRawIntBits(actual.get(i)) == Float.floatToRawIntBits(expected[i]);
                if (!same && mismatches++ == 0) first = "id " + id + " (length " + length + "): expected "
                        + java.util.Arrays.toString(java.util.Arrays.copyOf(expected, 4)) + "..., got "
                        + actual.subList(0, Math.min(4, actual.size())) + "...";
            }
            assertTrue(nonZero > 0, "the reference outputs are all zero: the comparison would prove nothing");
            assertEquals(0, mismatches, mismatches + " of " + rows.size() + " outputs differ from a run alone; first: " + first);
            return rows.size();
        }
    }

    @Test
    void everySequenceOfAnArrayColumnEqualsItsRunAloneBitForBit() {
        List<Row> rows = VlstmScorer.forModel(seedFile).inputCol("x").lengthCol("len").outputCol("y")
                .transform(sequences(SEQUENCES, MAX_LENGTH, INPUT)).select("id", "len", "y").collectAsList();
        assertEquals(SEQUENCES, rows.size());
        assertEquals(SEQUENCES, assertEqualsRunAlone(rows, TestModels.seed(), MAX_LENGTH, "id", "y"));
        Row r = rows.stream().filter(row -> row.<Long>getAs("id") == 7).findFirst().orElseThrow();
        assertEquals(TestSequences.length(7, MAX_LENGTH), r.<Long>getAs("len").intValue(), "the input's columns stay");
        assertEquals(TestSequences.length(7, MAX_LENGTH) * 13, r.getList(2).size(), "13 outputs per timestep");
    }

    @Test
    void withoutALengthColumnTheLengthIsTheArraysSizeOverTheInputSize() {
        List<Row> rows = VlstmScorer.forModel(seedFile).inputCol("x").outputCol("y").batchSize(5)
                .transform(sequences(500, MAX_LENGTH, INPUT)).select("id", "y").collectAsList();
        assertEquals(500, assertEqualsRunAlone(rows, TestModels.seed(), MAX_LENGTH, "id", "y"));
    }

    @Test
    void everyKeysTimestepsGroupedAndOrderedByTimeEqualTheSequenceRunAlone() {
        // One row per (id, t); shuffled across partitions so the rows of a key arrive out of time order.
        Dataset<Row> events = spark.range(0, SEQUENCES, 1, 8).withColumn("len", lengthColumn(MAX_LENGTH))
                .withColumn("t", explode(expr("sequence(0, len - 1)"))).withColumn("features", stepColumn(INPUT))
                .drop("len").repartition(5, col("t"));
        List<Row> rows = VlstmScorer.forModelBytes(TestModels.seed(), "lstm16.vlstm").inputCol("features")
                .groupedBy("id", "t").outputCol("y").transform(events).collectAsList();
        assertEquals(SEQUENCES, rows.size(), "one row per key");
        assertEquals(SEQUENCES, assertEqualsRunAlone(rows, TestModels.seed(), MAX_LENGTH, "id", "y"));
    }

    @Test
    void aBidirectionalModelBatchesOnlySequencesOfEqualLengthAndStillEqualsRunsAlone() {
        // Padding would change a reverse direction's outputs, so this checks the equal-length batches.
        byte[] bidir = TestModels.stacked(7, 5, 24, 3, Direction.BIDIRECTIONAL);
        List<Row> rows = VlstmScorer.forModelBytes(bidir, "bidir.vlstm").inputCol("x").lengthCol("len").outputCol("y")
                .transform(sequences(2_000, 9, 5)).select("id", "y").collectAsList();
        assertEquals(2_000, assertEqualsRunAlone(rows, bidir, 9, "id", "y"));
    }

    /**
     * A model converted with {@code --weights bf16} or {@code int8}: sequences scored in batches equal their runs alone
     * bit for bit, as in fp32 (the reduced kernels give a row the same bits whatever the batch).
     */
    @Test
    void bf16AndInt8ModelsScoreEverySequenceAsItsRunAloneBitForBit() {
        for (WeightType type : List.of(WeightType.BF16, WeightType.INT8)) {
            byte[] w2 = TestModels.w2(type);
            List<Row> rows = VlstmScorer.forModelBytes(w2, "w2-" + type.label + ".vlstm").inputCol("x").lengthCol("len")
                    .outputCol("y").batchSize(16).transform(sequences(600, 6, 64)).select("id", "y").collectAsList();
            assertEquals(600, assertEqualsRunAlone(rows, w2, 6, "id", "y"), type.label);
        }
    }

    @Test
    void aModelWithASequenceLengthsInputPadsWithinABatchAndStillEqualsRunsAlone() {
        // Bidirectional, but it takes sequence lengths, so sequences of different lengths share a batch.
        byte[] withLengths = TestModels.stacked(8, 5, 24, 3, Direction.BIDIRECTIONAL, true);
        List<Row> rows = VlstmScorer.forModelBytes(withLengths, "lens.vlstm").inputCol("x").lengthCol("len").outputCol("y")
                .transform(sequences(2_000, 9, 5)).select("id", "y").collectAsList();
        assertEquals(2_000, assertEqualsRunAlone(rows, withLengths, 9, "id", "y"));
    }

    @Test
    void theModelIsLoadedOncePerJvmNotOncePerTask() {
        int before = ExecutorModels.loadCount();
        byte[] unique = TestModels.stacked(99, INPUT, 16, 13, Direction.FORWARD);     // no other test loads it
        VlstmScorer scorer = VlstmScorer.forModelBytes(unique, "once.vlstm").inputCol("x").outputCol("y");
        long n = scorer.transform(sequences(400, 3, INPUT)).count() + scorer.transform(sequences(400, 3, INPUT)).count();
        assertEquals(800, n);
        assertEquals(before + 1, ExecutorModels.loadCount(), "two jobs of 8 tasks each on one JVM load the model once");
    }

    @Test
    void theTasksRunTheVectorKernels() {
        // A build that silently fell back to the scalar kernels would still pass every equality test, 10-20x slower.
        byte[] seed = TestModels.seed();
        List<String> kernels = spark.range(0, 2, 1, 2).map((org.apache.spark.api.java.function.MapFunction<Long, String>)
                i -> Model.load(seed, "k").newSession().kernels(), org.apache.spark.sql.Encoders.STRING()).collectAsList();
        for (String k : kernels) assertTrue(k.startsWith("vector"), "a task ran the " + k + " kernels");
    }

    @Test
    void nullSequencesGiveNullOutputs() {
        Dataset<Row> data = sequences(50, 4, INPUT).withColumn("x", expr("if(id % 10 = 3, null, x)"));
        List<Row> rows = VlstmScorer.forModel(seedFile).inputCol("x").lengthCol("len").outputCol("y")
                .transform(data).select("id", "y").collectAsList();
        for (Row r : rows) assertEquals(r.<Long>getAs("id") % 10 == 3, r.isNullAt(1), "row " + r.getAs("id"));
    }

    // ---- bad input ----

    @Test
    void aNullFeatureFailsNamingTheRowAndIndex() {
        Dataset<Row> data = sequences(10, 3, INPUT).coalesce(1)
                .withColumn("x", expr("if(id = 4, transform(x, (v, i) -> if(i = 170, null, v)), x)"));
        Exception e = assertThrows(Exception.class,
                () -> VlstmScorer.forModel(seedFile).inputCol("x").outputCol("y").transform(data).collect());
        assertMessage(e, "column 'x', row 4 of partition 0 holds a null at index 170");
    }

    @Test
    void anArrayWhoseSizeIsNotAMultipleOfTheInputSizeFailsNamingTheColumnAndRow() {
        Dataset<Row> data = spark.range(0, 20, 1, 1).withColumn("x", expr("if(id = 13, array_repeat(cast(0.5 as float), 150),"
                + " array_repeat(cast(0.5 as float), 200))"));
        Exception e = assertThrows(Exception.class,
                () -> VlstmScorer.forModel(seedFile).inputCol("x").outputCol("y").transform(data).collect());
        assertMessage(e, "column 'x', row 13 of partition 0: 150 values, expected a positive multiple of the model's input size 100");
    }

    @Test
    void anArrayThatDisagreesWithTheLengthColumnFailsNamingBoth() {
        Dataset<Row> data = sequences(20, 4, INPUT).coalesce(1).withColumn("len", expr("if(id = 6, len + 1, len)"));
        Exception e = assertThrows(Exception.class,
                () -> VlstmScorer.forModel(seedFile).inputCol("x").lengthCol("len").outputCol("y").transform(data).collect());
        int len = TestSequences.length(6, 4);
        assertMessage(e, "column 'x', row 6 of partition 0: " + len * 100 + " values, but length column 'len' says "
                + (len + 1) + " timesteps");
    }

    @Test
    void aTimestepWithTheWrongNumberOfFeaturesFailsNamingTheKeyAndTime() {
        Dataset<Row> events = spark.range(0, 30, 1, 2).withColumn("t", expr("id % 3")).withColumn("key", expr("id div 3"))
                .withColumn("features", expr("array_repeat(cast(0.5 as float), if(id = 17, 99, 100))"));
        Exception e = assertThrows(Exception.class, () -> VlstmScorer.forModel(seedFile).inputCol("features")
                .groupedBy("key", "t").outputCol("y").transform(events).collect());
        assertMessage(e, "key key = 5, t = 2: column 'features' has 99 values, expected the model's input size 100");
    }

    @Test
    void twoTimestepsOfAKeyAtTheSameTimeFail() {
        Dataset<Row> events = spark.range(0, 6, 1, 1).withColumn("t", expr("if(id = 4, 3, id)")).withColumn("key", expr("1"))
                .withColumn("features", expr("array_repeat(cast(0.5 as float), 100)"));
        Exception e = assertThrows(Exception.class, () -> VlstmScorer.forModel(seedFile).inputCol("features")
                .groupedBy("key", "t").outputCol("y").transform(events).collect());
        assertMessage(e, "key key = 1, t = 3: two rows at the same time");
    }

    @Test
    void aColumnOfTheWrongTypeIsRefusedBeforeAnyTaskRuns() {
        Dataset<Row> data = sequences(5, 2, INPUT).withColumn("x", expr("cast(x as array<double>)"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VlstmScorer.forModel(seedFile).inputCol("x").outputCol("y").transform(data));
        assertEquals("input column 'x' is array<double>, expected array<float> (e.g. col(\"x\").cast(\"array<float>\"))",
                e.getMessage());
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                () -> VlstmScorer.forModel(seedFile).inputCol("x").lengthCol("id").outputCol("y")
                        .transform(sequences(5, 2, INPUT).withColumn("id", expr("cast(id as string)"))));
        assertEquals("length column 'id' is string, expected int or bigint", len.getMessage());
    }

    @Test
    void aMissingColumnIsRefusedListingTheColumns() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VlstmScorer.forModel(seedFile).inputCol("features").outputCol("y").transform(sequences(5, 2, INPUT)));
        assertEquals("input column 'features' not found; the Dataset has [id, len, x]", e.getMessage());
    }

    @Test
    void aMissingModelFileIsRefusedNamingIt() {
        Path missing = dir.resolve("nope.vlstm");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VlstmScorer.forModel(missing));
        assertTrue(e.getMessage().startsWith("vlstm model file '" + missing + "' not found"), e.getMessage());
    }

    @Test
    void bytesThatAreNotAModelAreRefusedOnTheDriver() {
        Exception e = assertThrows(Exception.class, () -> VlstmScorer.forModelBytes(new byte[64], "junk.vlstm")
                .inputCol("x").outputCol("y").transform(sequences(5, 2, INPUT)));
        assertMessage(e, "junk.vlstm");
    }

    /** The message of {@code e} or of one of its causes (Spark wraps a task's exception) contains {@code text}. */
    static void assertMessage(Throwable e, String text) {
        for (Throwable t = e; t != null; t = t.getCause())
            if (t.getMessage() != null && t.getMessage().contains(text)) return;
        fail("no message in the chain contains \"" + text + "\"; got: " + e);
    }
}
