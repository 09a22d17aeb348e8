package dev.vlstm.spark;

import java.util.List;

/** Copies Spark's {@code array<float>} values (a list of boxed floats, as a {@code Row} gives them) into arrays. */
final class Features {
    private Features() {
    }

    /** {@code values} into {@code into} from {@code offset}; a null element is an error naming {@code where}. */
    static void copy(List<?> values, float[] into, int offset, String where) {
        int i = offset;
        for (Object v : values) {
            if (v == null) throw new IllegalArgumentException(where + " holds a null at index " + (i - offset));
            into[i++] = (Float) v;
        }
    }
}
