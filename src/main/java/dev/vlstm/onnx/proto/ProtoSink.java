package dev.vlstm.onnx.proto;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds one protobuf message with {@link CodedOutputStream}. Sub-messages are built in their own sink and embedded
 * as bytes: simpler than a sizing pass, and the extra copies are harmless for the test-sized models we write.
 */
final class ProtoSink {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

    /** int32, int64 and enum fields: negatives are sign-extended to 10 bytes, as protobuf does for both widths. */
    ProtoSink varint(int field, long v) {
        try {
            out.writeInt64(field, v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ProtoSink fixedFloat(int field, float v) {
        try {
            out.writeFloat(field, v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ProtoSink string(int field, String s) {
        try {
            out.writeString(field, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ProtoSink bytes(int field, byte[] b) {
        try {
            out.writeByteArray(field, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ProtoSink message(int field, ProtoSink child) {
        return bytes(field, child.toByteArray());
    }

    /** One tag per value: the form proto2 uses for repeated fields not declared packed (dims, ints, floats). */
    ProtoSink unpackedVarints(int field, long[] values) {
        for (long v : values) varint(field, v);
        return this;
    }

    ProtoSink unpackedFloats(int field, float[] values) {
        for (float v : values) fixedFloat(field, v);
        return this;
    }

    /** Packed forms, for the TensorProto fields onnx.proto declares [packed = true]; nothing for empty arrays. */
    ProtoSink packedFloats(int field, float[] values) {
        if (values.length == 0) return this;
        try {
            packedHeader(field, 4L * values.length);
            for (float v : values) out.writeFloatNoTag(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ProtoSink packedDoubles(int field, double[] values) {
        if (values.length == 0) return this;
        try {
            packedHeader(field, 8L * values.length);
            for (double v : values) out.writeDoubleNoTag(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ProtoSink packedVarints(int field, long[] values) {
        if (values.length == 0) return this;
        try {
            long size = 0;
            for (long v : values) size += CodedOutputStream.computeInt64SizeNoTag(v);
            packedHeader(field, size);
            for (long v : values) out.writeInt64NoTag(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ProtoSink packedInt32s(int field, int[] values) {
        long[] wide = new long[values.length];
        for (int k = 0; k < values.length; k++) wide[k] = values[k];
        return packedVarints(field, wide); // int32 negatives are sign-extended on the wire exactly like int64
    }

    private void packedHeader(int field, long size) throws IOException {
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("packed field over 2 GB");
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag((int) size);
    }

    byte[] toByteArray() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
