package dev.vlstm.onnx;

import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxFormatException;
import dev.vlstm.onnx.proto.OnnxTensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Turns ONNX tensors (inline or in external data files) into {@link Val.Const} values. */
final class ConstReader {
    private final String file;
    private final Path modelDir;

    /** @param modelDir where external data may be read from; null to refuse external data */
    ConstReader(String file, Path modelDir) {
        this.file = file;
        this.modelDir = modelDir;
    }

    /** Reads a float32, int64 or int32 tensor; any other dtype is refused, naming {@code what}. */
    Val.Const read(OnnxTensor t, String what) {
        Val v = readLazily(t, what);
        if (v instanceof Val.Unusable u) throw new ImportException(file + ": " + u.why());
        return (Val.Const) v;
    }

    /** Like {@link #read}, but a tensor of another dtype becomes an error only if something uses it. */
    Val readLazily(OnnxTensor t, String what) {
        try {
            if (t.isExternal()) {
                if (modelDir == null) throw new ImportException(file + ": " + what + " uses external data, which needs the model's folder");
                t = t.resolve(modelDir);
            }
            return switch (t.dataType()) {
                case OnnxDataType.FLOAT -> new Val.Const(t.dims(), t.toFloats(), null);
                case OnnxDataType.INT64, OnnxDataType.INT32 -> new Val.Const(t.dims(), null, t.toLongs());
                default -> new Val.Unusable(what + " has dtype " + OnnxDataType.name(t.dataType())
                        + "; vlstm reads float32 weights (and int64 shape constants)");
            };
        } catch (OnnxFormatException e) {
            throw new ImportException(file + ": " + what + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + what + ": " + e.getMessage(), e);
        }
    }
}
