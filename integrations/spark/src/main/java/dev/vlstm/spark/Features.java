package dev.vlstm.spark;

import org.apache.spark.sql.catalyst.util.ArrayData;

/** Copies Spark's internal {@code array<float>} values into arrays. */
final class Features {
    private Features() {
    }

    /**
     * The array's values; a null element is an error naming {@code where}. {@code mayHoldNulls}: the column's type
     * allows null elements, so each is checked (a bitmap lookup); else none can be there.
     */
    static float[] of(ArrayData values, boolean mayHoldNulls, String where) {
        if (mayHoldNulls)
            for (int i = 0; i < values.numElements(); i++)
                if (values.isNullAt(i)) throw new IllegalArgumentException(where + " holds a null at index " + i);
        return values.toFloatArray();
    }
}
