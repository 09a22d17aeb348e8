package dev.vlstm.spark;

import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Input shape (b), after grouping: one row per key, {@code (key, steps)} with {@code steps} the key's
 * {@code struct<t, features>} rows sorted by t. Each key's features become one sequence in time order; each key comes
 * out as {@code (key, output)}. Windows and batches as in {@link ArrayScoring}.
 */
final class StepScoring implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private final ModelSource source;
    private final String keyCol, timeCol, featuresCol;
    private final DataType keyType, timeType;
    private final boolean featuresMayHoldNulls;
    private final int batchSize;

    StepScoring(ModelSource source, String keyCol, DataType keyType, String timeCol, DataType timeType, String featuresCol,
                boolean featuresMayHoldNulls, int batchSize) {
        this.source = source;
        this.keyCol = keyCol;
        this.keyType = keyType;
        this.timeCol = timeCol;
        this.timeType = timeType;
        this.featuresCol = featuresCol;
        this.featuresMayHoldNulls = featuresMayHoldNulls;
        this.batchSize = batchSize;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
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
            public InternalRow next() {
                if (!hasNext()) throw new NoSuchElementException();
                Object key = keys.get(next);
                return new GenericInternalRow(new Object[]{key, UnsafeArrayData.fromPrimitiveArray(outputs[next++])});
            }

            private void fill() {
                keys.clear();
                next = 0;
                float[][] xs = new float[window][];
                int[] lengths = new int[window];
                while (keys.size() < window && rows.hasNext()) {
                    InternalRow row = rows.next().copy();       // the key may point into the row: keep a copy
                    Object key = row.get(0, keyType);
                    ArrayData steps = row.getArray(1);
                    xs[keys.size()] = sequence(key, steps, shape.inputSize());
                    lengths[keys.size()] = steps.numElements();
                    keys.add(key);
                }
                outputs = batches.score(shared.session(), xs, lengths, keys.size());
            }
        };
    }

    /** A key's steps, sorted by t, as one sequence; each step must have inputSize features and its own t. */
    private float[] sequence(Object key, ArrayData steps, int inputSize) {
        float[] x = new float[steps.numElements() * inputSize];
        Object previousT = null;
        for (int s = 0; s < steps.numElements(); s++) {
            InternalRow step = steps.getStruct(s, 2);
            Object t = step.isNullAt(0) ? null : step.get(0, timeType);
            if (t == null) throw new IllegalArgumentException("key " + keyCol + " = " + key + ": a row has a null " + timeCol);
            if (t.equals(previousT))
                throw new IllegalArgumentException(at(key, t) + ": two rows at the same time; each timestep must be one row");
            previousT = t;
            if (step.isNullAt(1)) throw new IllegalArgumentException(at(key, t) + ": column '" + featuresCol + "' is null");
            ArrayData features = step.getArray(1);
            if (features.numElements() != inputSize)
                throw new IllegalArgumentException(at(key, t) + ": column '" + featuresCol + "' has "
                        + features.numElements() + " values, expected the model's input size " + inputSize);
            Object stepT = t;
            float[] f = Features.of(features, featuresMayHoldNulls, () -> at(key, stepT) + ", column '" + featuresCol + "'");
            System.arraycopy(f, 0, x, s * inputSize, inputSize);
        }
        return x;
    }

    /** A step's description in an error: built only when one is thrown, not for every timestep. */
    private String at(Object key, Object t) {
        return "key " + keyCol + " = " + key + ", " + timeCol + " = " + t;
    }
}
