package dev.vlstm.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import static org.apache.spark.sql.functions.lit;

/**
 * The benchmarks' two workloads, sequences of {@link TestSequences}' values: the README model (lstm16) at 150
 * timesteps of 100 features, as W1, {@value #SEED_SEQUENCES} of them (≈ 250 MB cached), and W2's model (hidden
 * 256 x 2) at 100 timesteps of 64, {@value #W2_SEQUENCES} of them; each set takes about a second on one core, so a
 * Spark job's fixed cost is a small part of it.
 */
public record BenchModels(String name, byte[] bytes, int length, int inputSize, int sequences) {
    public static final int SEED_SEQUENCES = 4096, W2_SEQUENCES = 512;

    public static BenchModels seed() {
        return new BenchModels("seed", TestModels.seed(), 150, 100, SEED_SEQUENCES);
    }

    public static BenchModels w2() {
        return new BenchModels("w2", TestModels.w2(), 100, 64, W2_SEQUENCES);
    }

    public static BenchModels of(String name) {
        return switch (name) {
            case "seed" -> seed();
            case "w2" -> w2();
            default -> throw new IllegalArgumentException("model '" + name + "', expected seed or w2");
        };
    }

    /** Sequence {@code id}'s features. */
    public float[] sequence(long id) {
        return TestSequences.sequence(id, length, inputSize);
    }

    /** The sequences as (id, len, x) in {@code partitions} partitions. */
    public Dataset<Row> dataset(SparkSession spark, int partitions) {
        return spark.range(0, sequences, 1, partitions).withColumn("len", lit(length))
                .withColumn("x", TestSequences.sequenceColumn(inputSize));
    }
}
