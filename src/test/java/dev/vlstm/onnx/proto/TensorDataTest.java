package dev.vlstm.onnx.proto;

import static dev.vlstm.onnx.proto.OnnxBuilders.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TensorDataTest {

    private static OnnxTensor raw(String name, int type, long[] dims, int bytes) {
        return new OnnxTensor(name, type, dims, new byte[bytes], null, null, null, null, null);
    }

    private static String fails(Runnable r) {
        return assertThrows(OnnxFormatException.class, r::run).getMessage();
    }

    @Test
    void floatsFromRawDataAndFloatData() {
        float[] v = {1.5f, -2f, Float.NaN, Float.NEGATIVE_INFINITY, -0f, 3e-40f};
        assertArrayEquals(v, floatTensor("a", new long[] {2, 3}, v).toFloats());
        assertArrayEquals(v, floatTensorData("a", new long[] {2, 3}, v).toFloats());
        // raw_data is little-endian: 1.0f = 0x3F800000
        OnnxTensor one = new OnnxTensor("one", OnnxDataType.FLOAT, new long[0], new byte[] {0, 0, (byte) 0x80, 0x3F},
                null, null, null, null, null);
        assertArrayEquals(new float[] {1f}, one.toFloats());
    }

    @Test
    void longsFromInt64AndInt32() {
        assertArrayEquals(new long[] {-1, 4, Long.MAX_VALUE},
                int64Tensor("s", new long[] {3}, new long[] {-1, 4, Long.MAX_VALUE}).toLongs());
        assertArrayEquals(new long[] {5}, int64TensorData("s", new long[] {1}, new long[] {5}).toLongs());
        OnnxTensor i32raw = new OnnxTensor("i", OnnxDataType.INT32, new long[] {2},
                new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 2, 0, 0, 0}, null, null, null, null,
                null);
        assertArrayEquals(new long[] {-1, 2}, i32raw.toLongs());
        OnnxTensor i32 = new OnnxTensor("i", OnnxDataType.INT32, new long[] {2}, null, null, new int[] {-3, 7},
                null, null, null);
        assertArrayEquals(new long[] {-3, 7}, i32.toLongs());
    }

    @Test
    void otherDataTypesAreRefusedByName() {
        assertEquals("tensor 'h' has data type float16, expected float",
                fails(() -> raw("h", OnnxDataType.FLOAT16, new long[] {2}, 4).toFloats()));
        assertEquals("tensor 'd' has data type double, expected float",
                fails(() -> raw("d", OnnxDataType.DOUBLE, new long[] {2}, 16).toFloats()));
        assertEquals("tensor 's' has data type int64, expected float",
                fails(() -> int64Tensor("s", new long[] {1}, new long[] {1}).toFloats()));
        assertEquals("tensor 'w' has data type float, expected int64 or int32",
                fails(() -> floatTensor("w", new long[] {1}, new float[] {1}).toLongs()));
        assertEquals("unnamed tensor has data type bfloat16, expected float",
                fails(() -> raw("", OnnxDataType.BFLOAT16, new long[] {1}, 2).toFloats()));
        assertEquals("tensor 'x' has data type dtype(99), expected float",
                fails(() -> raw("x", 99, new long[] {1}, 4).toFloats()));
    }

    @Test
    void payloadSizeMustMatchDims() {
        assertEquals("tensor 'w': raw_data has 12 bytes, but 4 float elements need 16",
                fails(() -> raw("w", OnnxDataType.FLOAT, new long[] {2, 2}, 12).toFloats()));
        OnnxTensor shortData = new OnnxTensor("w", OnnxDataType.FLOAT, new long[] {2, 2}, null, new float[3], null,
                null, null, null);
        assertEquals("tensor 'w': float_data has 3 values, but dims [2, 2] need 4", fails(shortData::toFloats));
        OnnxTensor noData = new OnnxTensor("w", OnnxDataType.FLOAT, new long[] {2}, null, null, null, null, null,
                null);
        assertEquals("tensor 'w': float_data has 0 values, but dims [2] need 2", fails(noData::toFloats));
        assertEquals("tensor 's': raw_data has 7 bytes, but 1 int64 elements need 8",
                fails(() -> raw("s", OnnxDataType.INT64, new long[] {1}, 7).toLongs()));
        OnnxTensor empty = new OnnxTensor("e", OnnxDataType.FLOAT, new long[] {3, 0}, null, null, null, null, null,
                null);
        assertArrayEquals(new float[0], empty.toFloats());
    }

    @Test
    void elementCountIsOverflowSafe() {
        OnnxTensor huge = raw("big", OnnxDataType.FLOAT, new long[] {1L << 40, 1L << 40}, 4);
        assertEquals("tensor 'big' has more elements than a long can count", fails(huge::elementCount));
        assertEquals("tensor 'big' has more elements than a long can count", fails(huge::toFloats));
        OnnxTensor wide = raw("wide", OnnxDataType.FLOAT, new long[] {1L << 20, 1L << 20}, 4);
        assertEquals(1L << 40, wide.elementCount());
        assertEquals("tensor 'wide' has 1099511627776 elements, more than a Java array holds", fails(wide::toFloats));
        OnnxTensor neg = raw("n", OnnxDataType.FLOAT, new long[] {2, -1}, 4);
        assertEquals("tensor 'n' has negative dimension -1", fails(neg::toFloats));
        assertEquals(1, raw("s", OnnxDataType.FLOAT, new long[0], 4).elementCount());
    }

    @Test
    void externalTensorsMustBeResolvedFirst() {
        OnnxTensor ext = externalTensor("w", OnnxDataType.FLOAT, new long[] {2}, "w.bin", 0, 8);
        assertEquals("tensor 'w' keeps its data in external file 'w.bin'; resolve it against the model's folder "
                + "first", fails(ext::toFloats));
    }
}
