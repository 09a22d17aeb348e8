package dev.vlstm.spark;

import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;

import java.util.function.Supplier;

/** Copies Spark's internal {@code array<float>} values into arrays. */
final class Features {
    private Features() {
    }

    /**
     * The array's values; a null element is an error naming {@code where} (asked for only then: a row's or step's
     * description is text built from its key and time, not worth building for every row). {@code mayHoldNulls}: the
     * column's type allows null elements, so the array is checked for them; else none can be there.
     */
    static float[] of(ArrayData values, boolean mayHoldNulls, Supplier<String> where) {
        if (mayHoldNulls && hasNull(values)) {
            for (int i = 0; i < values.numElements(); i++)
                if (values.isNullAt(i)) throw new IllegalArgumentException(where.get() + " holds a null at index " + i);
        }
        return values.toFloatArray();
    }

    /**
     * Whether any element is null. An {@code UnsafeArrayData} (what rows from a scan or a shuffle hold) is
     * {@code [numElements: 8 bytes][null bits, in 8-byte words][values]}, so its null bits are read a word at a
     * time: one test per 64 values instead of a call per value (which took a tenth of a README-model run).
     */
    private static boolean hasNull(ArrayData values) {
        int n = values.numElements();
        if (values instanceof UnsafeArrayData u) {
            long bits = u.getBaseOffset() + 8, end = bits + ((n + 63) / 64) * 8L;
            for (long p = bits; p < end; p += 8) if (Platform.getLong(u.getBaseObject(), p) != 0) return true;
            return false;
        }
        for (int i = 0; i < n; i++) if (values.isNullAt(i)) return true;
        return false;
    }
}
