package dev.vlstm.onnx.proto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Materialises tensor payloads as Java arrays, checking that the payload holds exactly product(dims) elements.
 * Only the types an LSTM importer needs: float weights, and int64/int32 shape constants.
 */
public final class TensorData {
    private TensorData() {}

    /** Product of the dims (1 for a scalar), refusing negative dims and overflow. */
    public static long elementCount(OnnxTensor t) {
        long n = 1;
        for (long d : t.dimsRef()) {
            if (d < 0) throw new OnnxFormatException(describe(t) + " has negative dimension " + d);
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new OnnxFormatException(describe(t) + " has more elements than a long can count");
            }
        }
        return n;
    }

    /** The values of a FLOAT tensor, from raw_data (little-endian) or float_data. */
    public static float[] toFloats(OnnxTensor t) {
        if (t.dataType() != OnnxDataType.FLOAT) throw wrongType(t, "float");
        int n = arrayCount(t);
        byte[] raw = t.rawDataRef();
        if (raw != null) {
            checkRawSize(t, raw, n, 4);
            float[] out = new float[n];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        checkTypedSize(t, "float_data", t.floatDataRef().length, n);
        return t.floatDataRef().clone();
    }

    /** The values of an INT64 or INT32 tensor (e.g. a shape or axes constant), widened to long. */
    public static long[] toLongs(OnnxTensor t) {
        int type = t.dataType();
        if (type != OnnxDataType.INT64 && type != OnnxDataType.INT32) throw wrongType(t, "int64 or int32");
        int n = arrayCount(t);
        byte[] raw = t.rawDataRef();
        // Check the payload before allocating: dims alone may claim a billion elements (fuzzer finding crash-41e8a091).
        if (raw != null) checkRawSize(t, raw, n, type == OnnxDataType.INT64 ? 8 : 4);
        else if (type == OnnxDataType.INT64) checkTypedSize(t, "int64_data", t.int64DataRef().length, n);
        else checkTypedSize(t, "int32_data", t.int32DataRef().length, n);
        long[] out = new long[n];
        ByteBuffer le = raw == null ? null : ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (type == OnnxDataType.INT64) {
            if (le != null) le.asLongBuffer().get(out);
            else System.arraycopy(t.int64DataRef(), 0, out, 0, n);
        } else if (le != null) {
            for (int k = 0; k < n; k++) out[k] = le.getInt(4 * k);
        } else {
            int[] src = t.int32DataRef();
            for (int k = 0; k < n; k++) out[k] = src[k];
        }
        return out;
    }

    /** "tensor 'W'" or, for unnamed attribute tensors, "unnamed tensor". */
    static String describe(OnnxTensor t) {
        return t.name().isEmpty() ? "unnamed tensor" : "tensor '" + t.name() + "'";
    }

    private static int arrayCount(OnnxTensor t) {
        if (t.isExternal())
            throw new OnnxFormatException(describe(t) + " keeps its data in external file '"
                    + t.externalData().location() + "'; resolve it against the model's folder first");
        long n = elementCount(t);
        if (n > GrowableArrays.MAX_ARRAY)
            throw new OnnxFormatException(describe(t) + " has " + n + " elements, more than a Java array holds");
        return (int) n;
    }

    private static void checkRawSize(OnnxTensor t, byte[] raw, int n, int elementSize) {
        if (raw.length != (long) n * elementSize)
            throw new OnnxFormatException(describe(t) + ": raw_data has " + raw.length + " bytes, but "
                    + n + " " + OnnxDataType.name(t.dataType()) + " elements need " + (long) n * elementSize);
    }

    private static void checkTypedSize(OnnxTensor t, String field, int have, int n) {
        if (have != n)
            throw new OnnxFormatException(describe(t) + ": " + field + " has " + have + " values, but dims "
                    + java.util.Arrays.toString(t.dimsRef()) + " need " + n);
    }

    private static OnnxFormatException wrongType(OnnxTensor t, String wanted) {
        return new OnnxFormatException(describe(t) + " has data type " + OnnxDataType.name(t.dataType())
                + ", expected " + wanted);
    }
}
