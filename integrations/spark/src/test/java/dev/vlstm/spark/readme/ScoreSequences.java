package dev.vlstm.spark.readme;

import dev.vlstm.spark.VlstmScorer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.apache.spark.sql.functions.col;

/** Scores a Parquet table of sequences: spark-submit --class ScoreSequences app.jar model.vlstm in/ out/ */
public final class ScoreSequences {
    public static void main(String[] args) throws Exception {
        SparkSession spark = SparkSession.builder().appName("score-sequences").getOrCreate();
        Path model = Path.of(args[0]);                            // read on the driver, broadcast to the executors
        Dataset<Row> sequences = spark.read().parquet(args[1])    // id, len, x: len x inputSize features
                .withColumn("x", col("x").cast("array<float>"));

        Dataset<Row> scored = VlstmScorer.forModelBytes(Files.readAllBytes(model), model.toString())
                .inputCol("x")                                    // array<float>, timestep after timestep
                .lengthCol("len")                                 // timesteps of each row
                .outputCol("y")                                   // len x outputSize outputs (or one row)
                .batchSize(16)                                    // sequences per Session.run call
                .transform(sequences);

        scored.select("id", "y").write().mode("overwrite").parquet(args[2]);
        spark.stop();
    }
}
