package dev.vlstm.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Input shape (a): one sequence per row, its timesteps' features one after the other in an {@code array<float>}
 * column, with an optional length column. Each row comes out with the model's output appended (null for a null
 * input). Rows are read a window at a time, scored in batches ({@link SequenceBatches}) and given back in their order.
 */
final class ArrayScoring implements MapPartitionsFunction<Row, Row> {
    private final ModelSource source;
    private final String inputCol, lengthCol;
    private final int inputIndex, lengthIndex;      // lengthIndex -1: no length column
    private final int batchSize;

    ArrayScoring(ModelSource source, String inputCol, int inputIndex, String lengthCol, int lengthIndex, int batchSize) {
        this.source = source;
        this.inputCol = inputCol;
        this.inputIndex = inputIndex;
        this.lengthCol = lengthCol;
        this.lengthIndex = lengthIndex;
        this.batchSize = batchSize;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        SharedModel shared = source.model();
        BatchShape shape = BatchShape.of(shared.model());
        SequenceBatches batches = new SequenceBatches(shape, batchSize);
        int window = batchSize * 4;
        int partition = TaskContext.get() == null ? -1 : TaskContext.getPartitionId();
        return new Iterator<>() {
            private final List<Row> pending = new ArrayList<>(window);
            private float[][] outputs;
            private int next;
            private long rowNumber;

            @Override
            public boolean hasNext() {
                if (next < pending.size()) return true;
                if (!rows.hasNext()) return false;
                fill();
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                Row row = pending.get(next);
                Object[] values = new Object[row.size() + 1];
                for (int c = 0; c < row.size(); c++) values[c] = row.get(c);
                values[row.size()] = outputs[next++];
                return RowFactory.create(values);
            }

            /** Reads the next window of rows and scores its non-null sequences. */
            private void fill() {
                pending.clear();
                next = 0;
                float[][] xs = new float[window][];
                int[] lengths = new int[window];
                int[] slot = new int[window];       // row r's place among the scored sequences, -1 for a null input
                int n = 0;
                while (pending.size() < window && rows.hasNext()) {
                    Row row = rows.next();
                    String where = "column '" + inputCol + "', row " + rowNumber++ + " of partition " + partition;
                    int r = pending.size();
                    pending.add(row);
                    slot[r] = -1;
                    if (row.isNullAt(inputIndex)) continue;
                    List<?> values = row.getList(inputIndex);
                    int length = length(row, values.size(), shape.inputSize(), where);
                    float[] x = new float[values.size()];
                    Features.copy(values, x, 0, where);
                    xs[n] = x;
                    lengths[n] = length;
                    slot[r] = n++;
                }
                float[][] scored = batches.score(shared.session(), xs, lengths, n);
                outputs = new float[pending.size()][];
                for (int r = 0; r < pending.size(); r++) outputs[r] = slot[r] < 0 ? null : scored[slot[r]];
            }

            /** The row's timesteps: its length column, checked against the array, or the array's size / inputSize. */
            private int length(Row row, int values, int inputSize, String where) {
                if (lengthIndex < 0) {
                    if (values == 0 || values % inputSize != 0)
                        throw new IllegalArgumentException(where + ": " + values + " values, expected a positive multiple"
                                + " of the model's input size " + inputSize + " (timesteps x features)");
                    return values / inputSize;
                }
                if (row.isNullAt(lengthIndex))
                    throw new IllegalArgumentException(where + ": length column '" + lengthCol + "' is null");
                long length = ((Number) row.get(lengthIndex)).longValue();
                if (length < 1 || length * inputSize != values)
                    throw new IllegalArgumentException(where + ": " + values + " values, but length column '" + lengthCol
                            + "' says " + length + " timesteps, which take " + length * inputSize + " values ("
                            + inputSize + " features each)");
                return (int) length;
            }
        };
    }
}
