package dev.vlstm.onnx.proto;

import static dev.vlstm.onnx.proto.OnnxFields.*;

/** Decodes a TensorProto (initializers and tensor attributes) for {@link OnnxReader}. */
final class OnnxTensorReader {
    private OnnxTensorReader() {}

    static OnnxTensor tensor(ProtoCursor c) {
        GrowableArrays.Longs dims = new GrowableArrays.Longs();
        int dataType = 0;
        String name = "";
        byte[] raw = null;
        GrowableArrays.Floats floats = new GrowableArrays.Floats();
        GrowableArrays.Longs int32s = new GrowableArrays.Longs();
        GrowableArrays.Longs int64s = new GrowableArrays.Longs();
        GrowableArrays.Doubles doubles = new GrowableArrays.Doubles();
        String location = null;
        String offset = null;
        String length = null;
        int dataLocation = LOCATION_DEFAULT;
        int entryIndex = 0;
        while (c.next()) {
            switch (c.field()) {
                case TENSOR_DIMS -> c.varints("dims", dims);
                case TENSOR_DATA_TYPE -> dataType = (int) c.varint("data_type");
                case TENSOR_FLOAT_DATA -> c.floats("float_data", floats);
                case TENSOR_INT32_DATA -> c.varints("int32_data", int32s);
                case TENSOR_INT64_DATA -> c.varints("int64_data", int64s);
                case TENSOR_NAME -> name = c.string("name");
                case TENSOR_RAW_DATA -> raw = c.bytes("raw_data");
                case TENSOR_DOUBLE_DATA -> c.doubles("double_data", doubles);
                case TENSOR_DATA_LOCATION -> dataLocation = (int) c.varint("data_location");
                case TENSOR_EXTERNAL_DATA -> {
                    ProtoCursor e = c.message("external_data", entryIndex++);
                    String[] kv = entry(e);
                    switch (kv[0]) {
                        case "location" -> location = kv[1];
                        case "offset" -> offset = kv[1];
                        case "length" -> length = kv[1];
                        default -> {} // e.g. "checksum": not needed to read the bytes
                    }
                }
                default -> c.skip();
            }
        }
        long[] shape = dims.toArray();
        for (long d : shape) if (d < 0) throw c.fail("dims", "negative dimension " + d);
        OnnxExternalData external = null;
        if (dataLocation == LOCATION_EXTERNAL) {
            if (location == null || location.isEmpty())
                throw c.fail("external_data", "data_location is EXTERNAL but no location is given");
            external = new OnnxExternalData(location, number(c, "offset", offset, 0),
                    number(c, "length", length, -1));
        } else if (dataLocation != LOCATION_DEFAULT) {
            throw c.fail("data_location", "unknown data_location " + dataLocation);
        }
        return new OnnxTensor(name, dataType, shape, raw, floats.toArray(), int32s.toIntArray(), int64s.toArray(),
                doubles.toArray(), external);
    }

    /** StringStringEntryProto as {key, value}. */
    private static String[] entry(ProtoCursor c) {
        String key = "";
        String value = "";
        while (c.next()) {
            switch (c.field()) {
                case ENTRY_KEY -> key = c.string("key");
                case ENTRY_VALUE -> value = c.string("value");
                default -> c.skip();
            }
        }
        return new String[] {key, value};
    }

    /** external_data keeps offset and length as decimal strings. */
    private static long number(ProtoCursor c, String key, String text, long absent) {
        if (text == null) return absent;
        try {
            long v = Long.parseLong(text.trim());
            if (v >= 0) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw c.fail("external_data", key + " '" + text + "' is not a non-negative integer");
    }
}
