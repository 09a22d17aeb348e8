package dev.vlstm.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.ShortType;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/**
 * Input shape (a): one sequence per row, its timesteps' features one after the other in an {@code array<float>}
 * column, with an optional length column. Each row comes out with the model's output appended (null for a null
 * input). Rows are read a window at a time, scored in batches ({@link SequenceBatches}) and given back in their order.
 */
final class ArrayScoring implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private final ModelSource source;
    private final String inputCol, lengthCol;
    private final int inputIndex, lengthIndex;      // lengthIndex -1: no length column
    private final DataType lengthType;
    private final boolean inputMayHoldNulls;
    private final int batchSize;

    ArrayScoring(ModelSource source, String inputCol, int inputIndex, boolean inputMayHoldNulls, String lengthCol,
                 int lengthIndex, DataType lengthType, int batchSize) {
        this.source = source;
        this.inputCol = inputCol;
        this.inputIndex = inputIndex;
        this.inputMayHoldNulls = inputMayHoldNulls;
        this.lengthCol = lengthCol;
        this.lengthIndex = lengthIndex;
        this.lengthType = lengthType;
        this.batchSize = batchSize;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
        SharedModel shared = source.model();
        BatchShape shape = BatchShape.of(shared.model());
        SequenceBatches batches = new SequenceBatches(shape, batchSize);
        int window = batchSize * 4;
        int partition = TaskContext.get() == null ? -1 : TaskContext.getPartitionId();
        return new Iterator<>() {
            private final List<InternalRow> pending = new ArrayList<>(window);   // copies: Spark reuses its rows
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
            public InternalRow next() {
                if (!hasNext()) throw new NoSuchElementException();
                float[] y = outputs[next];
                Object out = y == null ? null : UnsafeArrayData.fromPrimitiveArray(y);
                return new JoinedRow(pending.get(next++), new GenericInternalRow(new Object[]{out}));
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
                    InternalRow row = rows.next().copy();
                    long number = rowNumber++;
                    Supplier<String> where = () -> "column '" + inputCol + "', row " + number + " of partition " + partition;
                    int r = pending.size();
                    pending.add(row);
                    slot[r] = -1;
                    if (row.isNullAt(inputIndex)) continue;
                    ArrayData values = row.getArray(inputIndex);
                    lengths[n] = length(row, values.numElements(), shape.inputSize(), where);
                    xs[n] = Features.of(values, inputMayHoldNulls, where);
                    slot[r] = n++;
                }
                float[][] scored = batches.score(shared.session(), xs, lengths, n);
                outputs = new float[pending.size()][];
                for (int r = 0; r < pending.size(); r++) outputs[r] = slot[r] < 0 ? null : scored[slot[r]];
            }

            /** The row's timesteps: its length column, checked against the array, or the array's size / inputSize. */
            private int length(InternalRow row, int values, int inputSize, Supplier<String> where) {
                if (lengthIndex < 0) {
                    if (values == 0 || values % inputSize != 0)
                        throw new IllegalArgumentException(where.get() + ": " + values + " values, expected a positive multiple"
                                + " of the model's input size " + inputSize + " (timesteps x features)");
                    return values / inputSize;
                }
                if (row.isNullAt(lengthIndex))
                    throw new IllegalArgumentException(where.get() + ": length column '" + lengthCol + "' is null");
                long length = wholeNumber(row, lengthIndex, lengthType);
                if (length < 1 || length * inputSize != values)
                    throw new IllegalArgumentException(where.get() + ": " + values + " values, but length column '" + lengthCol
                            + "' says " + length + " timesteps, which take " + length * inputSize + " values ("
                            + inputSize + " features each)");
                return (int) length;
            }
        };
    }

    /** A byte, short, int or bigint field (ColumnChecks.integral) as a long: an internal row reads each at its width. */
    static long wholeNumber(InternalRow row, int i, DataType type) {
        if (type instanceof IntegerType) return row.getInt(i);
        if (type instanceof ShortType) return row.getShort(i);
        if (type instanceof ByteType) return row.getByte(i);
        return row.getLong(i);
    }
}
