package dev.vlstm.spark;

import org.apache.spark.sql.Column;

import static org.apache.spark.sql.functions.expr;

/**
 * Test sequences that Spark generates from a row id and this JVM regenerates bit for bit: integer arithmetic, one
 * exact double division and a cast to float, the same in Spark SQL and in Java. Feature i of sequence id is
 * {@code (pmod(id * 7919 + i * 104729, 2001) - 1000) / 1000}; the sequence has {@code 1 + pmod(id * 31, maxLength)}
 * timesteps.
 */
final class TestSequences {
    private TestSequences() {
    }

    static int length(long id, int maxLength) {
        return 1 + (int) Math.floorMod(id * 31, (long) maxLength);
    }

    static float feature(long id, long i) {
        return (float) ((double) (Math.floorMod(id * 7919 + i * 104729, 2001L) - 1000) / 1000.0);
    }

    /** Sequence id's features, timestep after timestep. */
    static float[] sequence(long id, int length, int inputSize) {
        float[] x = new float[length * inputSize];
        for (int i = 0; i < x.length; i++) x[i] = feature(id, i);
        return x;
    }

    /** The length column, from the id column {@code id}. */
    static Column lengthColumn(int maxLength) {
        return expr("1 + pmod(id * 31, " + maxLength + ")");
    }

    /** A whole sequence's features as array<float>, from the columns {@code id} and {@code len}. */
    static Column sequenceColumn(int inputSize) {
        return expr("transform(sequence(0, len * " + inputSize + " - 1), i -> " + featureSql("i") + ")");
    }

    /** One timestep's features as array<float>, from the columns {@code id} and {@code t}. */
    static Column stepColumn(int inputSize) {
        return expr("transform(sequence(0, " + (inputSize - 1) + "), k -> " + featureSql("t * " + inputSize + " + k") + ")");
    }

    private static String featureSql(String i) {
        return "cast((pmod(id * 7919 + cast(" + i + " as bigint) * 104729, 2001) - 1000) / 1000D as float)";
    }
}
