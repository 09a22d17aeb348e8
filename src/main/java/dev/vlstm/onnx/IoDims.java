package dev.vlstm.onnx;

import dev.vlstm.format.IoSpec;
import dev.vlstm.format.StateLayout;
import dev.vlstm.onnx.proto.OnnxDim;
import dev.vlstm.onnx.proto.OnnxValueInfo;

import java.util.List;

/**
 * Builds the IO records' shapes: seq and batch as the sequence input declares them (fixed when the export baked them,
 * free with their dim_param otherwise), everything else fixed to what the graph computes.
 */
final class IoDims {
    private final IoSpec.Dim seq;
    private final IoSpec.Dim batch;
    private final boolean batchFirst;

    IoDims(OnnxValueInfo x, boolean batchFirst) {
        this.batchFirst = batchFirst;
        this.seq = dim(x.dims().get(batchFirst ? 1 : 0));
        this.batch = dim(x.dims().get(batchFirst ? 0 : 1));
    }

    private static IoSpec.Dim dim(OnnxDim d) {
        return d.isFixed() && d.value() >= 1 ? IoSpec.Dim.fixed(d.value()) : IoSpec.Dim.free(d.param());
    }

    IoSpec.Dim batch() {
        return batch;
    }

    List<IoSpec.Dim> sequence(int features) {
        return batchFirst ? List.of(batch, seq, IoSpec.Dim.fixed(features)) : List.of(seq, batch, IoSpec.Dim.fixed(features));
    }

    /** A token-ids input: {@code [seq, batch]} or, batch-first, {@code [batch, seq]}. */
    List<IoSpec.Dim> ids() {
        return batchFirst ? List.of(batch, seq) : List.of(seq, batch);
    }

    List<IoSpec.Dim> state(int slots, int hidden, StateLayout layout) {
        return layout == StateLayout.LAYER_MAJOR ? List.of(IoSpec.Dim.fixed(slots), batch, IoSpec.Dim.fixed(hidden))
                : List.of(batch, IoSpec.Dim.fixed(slots), IoSpec.Dim.fixed(hidden));
    }

    List<IoSpec.Dim> layerY(long dirs, int hidden) {
        return batchFirst ? List.of(batch, seq, IoSpec.Dim.fixed(dirs), IoSpec.Dim.fixed(hidden))
                : List.of(seq, IoSpec.Dim.fixed(dirs), batch, IoSpec.Dim.fixed(hidden));
    }
}
