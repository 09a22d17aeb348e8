package dev.vlstm.spark;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Input shape (b), after grouping: one row per key, {@code (key, steps)} with {@code steps} the key's
 * {@code struct<t, features>} rows sorted by t. Each key's features become one sequence in time order; each key comes
 * out as {@code (key, output)}. Windows and batches as in {@link ArrayScoring}.
 */
final class StepScoring implements MapPartitionsFunction<Row, Row> {
    private final ModelSource source;
    private final String keyCol, timeCol, featuresCol;
    private final int batchSize;

    StepScoring(ModelSource source, String keyCol, String timeCol, String featuresCol, int batchSize) {
        this.source = source;
        this.keyCol = keyCol;
        this.timeCol = timeCol;
        this.featuresCol = featuresCol;
        this.batchSize = batchSize;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        SharedModel shared = source.model();
        BatchShape shape = BatchShape.of(shared.model());
        SequenceBatches batches = new SequenceBatches(shape, batchSize);
        int window = batchSize * 4;
        return new Iterator<>() {
            private final List<Object> keys = new ArrayList<>(window);
            private float[][] outputs;
            private int next;

            @Override
            public boolean hasNext() {
                if (next < keys.size()) return true;
                if (!rows.hasNext()) return false;
                fill();
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                Object key = keys.get(next);
                return RowFactory.create(key, outputs[next++]);
            }

            private void fill() {
                keys.clear();
                next = 0;
                float[][] xs = new float[window][];
                int[] lengths = new int[window];
                while (keys.size() < window && rows.hasNext()) {
                    Row row = rows.next();
                    xs[keys.size()] = sequence(row.get(0), row.getList(1), shape.inputSize());
                    lengths[keys.size()] = row.getList(1).size();
                    keys.add(row.get(0));
                }
                outputs = batches.score(shared.session(), xs, lengths, keys.size());
            }
        };
    }

    /** A key's steps, sorted by t, as one sequence; each step must have inputSize features and its own t. */
    private float[] sequence(Object key, List<Row> steps, int inputSize) {
        float[] x = new float[steps.size() * inputSize];
        Object previousT = null;
        for (int s = 0; s < steps.size(); s++) {
            Row step = steps.get(s);
            Object t = step.get(0);
            String where = "key " + keyCol + " = " + key + ", " + timeCol + " = " + t;
            if (t == null) throw new IllegalArgumentException("key " + keyCol + " = " + key + ": a row has a null " + timeCol);
            if (t.equals(previousT))
                throw new IllegalArgumentException(where + ": two rows at the same time; each timestep must be one row");
            previousT = t;
            if (step.isNullAt(1)) throw new IllegalArgumentException(where + ": column '" + featuresCol + "' is null");
            List<?> features = step.getList(1);
            if (features.size() != inputSize)
                throw new IllegalArgumentException(where + ": column '" + featuresCol + "' has " + features.size()
                        + " values, expected the model's input size " + inputSize);
            Features.copy(features, x, s * inputSize, where + ", column '" + featuresCol + "'");
        }
        return x;
    }
}
