package dev.vlstm.reference;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a standalone serialized TensorProto (the input_N.pb / output_N.pb files of ONNX's node tests), for FLOAT,
 * INT32 and INT64 tensors, from raw_data or the typed fields. dev.vlstm.onnx.proto reads tensors only inside a
 * model (its OnnxTensorReader is package-private), hence this small reader. Fields: dims = 1, data_type = 2,
 * float_data = 4, int32_data = 5, int64_data = 7, name = 8, raw_data = 9; others are skipped.
 */
final class TensorProtoFile {
    private TensorProtoFile() {}

    static final int FLOAT = 1;
    static final int INT32 = 6;
    static final int INT64 = 7;

    /** A decoded tensor: {@code floats} for FLOAT, {@code longs} for the integer types (the other is null). */
    record Tensor(String name, int dataType, long[] dims, float[] floats, long[] longs) {
        int[] ints() {
            int[] out = new int[longs.length];
            for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(longs[i]);
            return out;
        }

        int[] intDims() {
            int[] out = new int[dims.length];
            for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(dims[i]);
            return out;
        }
    }

    static Tensor read(Path file) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(Files.readAllBytes(file));
        List<Long> dims = new ArrayList<>();
        List<Float> floatData = new ArrayList<>();
        List<Long> intData = new ArrayList<>();
        int dataType = 0;
        String name = "";
        byte[] raw = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            boolean packed = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            switch (field) {
                case 1 -> readRepeated(in, packed, () -> dims.add(in.readInt64()));
                case 2 -> dataType = in.readInt32();
                case 4 -> readRepeated(in, packed, () -> floatData.add(in.readFloat()));
                case 5 -> readRepeated(in, packed, () -> intData.add((long) in.readInt32()));
                case 7 -> readRepeated(in, packed, () -> intData.add(in.readInt64()));
                case 8 -> name = in.readString();
                case 9 -> raw = in.readByteArray();
                default -> in.skipField(tag);
            }
        }
        long[] dimArray = dims.stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : dimArray) count *= d;
        ByteBuffer rawBuffer = raw == null ? null : ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = null;
        long[] longs = null;
        switch (dataType) {
            case FLOAT -> {
                floats = new float[(int) count];
                for (int i = 0; i < count; i++) floats[i] = rawBuffer != null ? rawBuffer.getFloat() : floatData.get(i);
            }
            case INT32, INT64 -> {
                longs = new long[(int) count];
                for (int i = 0; i < count; i++)
                    longs[i] = rawBuffer == null ? intData.get(i)
                            : dataType == INT32 ? rawBuffer.getInt() : rawBuffer.getLong();
            }
            default -> throw new IOException(file + ": data_type " + dataType + " is not FLOAT, INT32 or INT64");
        }
        if (rawBuffer != null && rawBuffer.hasRemaining())
            throw new IOException(file + ": raw_data is longer than dims " + dims + " need");
        return new Tensor(name, dataType, dimArray, floats, longs);
    }

    private interface Reader {
        void readOne() throws IOException;
    }

    private static void readRepeated(CodedInputStream in, boolean packed, Reader one) throws IOException {
        if (!packed) {
            one.readOne();
            return;
        }
        int limit = in.pushLimit(in.readRawVarint32());
        while (!in.isAtEnd()) one.readOne();
        in.popLimit(limit);
    }
}
