package dev.vlstm.onnx.proto;

import java.util.Arrays;

/**
 * Append-only primitive arrays for repeated scalar fields, which may arrive packed, unpacked, or split across
 * several occurrences (protobuf concatenates them). Growth is capped below the JVM array limit so an absurd count
 * becomes an error message instead of an OutOfMemoryError.
 */
final class GrowableArrays {
    private GrowableArrays() {}

    /** Largest array length the JVM reliably allocates. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

    /** New capacity for holding {@code needed} elements, or -1 if that exceeds {@link #MAX_ARRAY}. */
    static int grow(int capacity, long needed) {
        if (needed > MAX_ARRAY) return -1;
        long c = Math.max(needed, Math.min((long) capacity * 2, MAX_ARRAY));
        return (int) Math.max(c, 8);
    }

    static final class Longs {
        private long[] a = new long[0];
        private int n;

        /** False when the array would exceed the limit; the caller reports the field. */
        boolean reserve(long more) {
            if (n + more <= a.length) return true;
            int c = grow(a.length, n + more);
            if (c < 0) return false;
            a = Arrays.copyOf(a, c);
            return true;
        }

        void addUnchecked(long v) {
            a[n++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }

        int[] toIntArray() {
            int[] out = new int[n];
            for (int k = 0; k < n; k++) out[k] = (int) a[k]; // int32 on the wire: low 32 bits, as protobuf does
            return out;
        }
    }

    static final class Floats {
        private float[] a = new float[0];
        private int n;

        boolean reserve(long more) {
            if (n + more <= a.length) return true;
            int c = grow(a.length, n + more);
            if (c < 0) return false;
            a = Arrays.copyOf(a, c);
            return true;
        }

        void addUnchecked(float v) {
            a[n++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    static final class Doubles {
        private double[] a = new double[0];
        private int n;

        boolean reserve(long more) {
            if (n + more <= a.length) return true;
            int c = grow(a.length, n + more);
            if (c < 0) return false;
            a = Arrays.copyOf(a, c);
            return true;
        }

        void addUnchecked(double v) {
            a[n++] = v;
        }

        double[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
