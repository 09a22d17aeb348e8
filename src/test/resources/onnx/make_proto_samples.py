#!/usr/bin/python3
"""Generate the ONNX samples that dev.vlstm.onnx.proto's tests read (ProtoSampleTest).

Run from the repository root with Debian's onnx (1.12):

    /usr/bin/python3 src/test/resources/onnx/make_proto_samples.py

Writes, next to this script:
  proto_sample.onnx       LSTM (W as raw_data, R as float_data, B as raw_data, an empty optional input),
                          a Constant with an int64 tensor (int64_data, negative value), Reshape, Transpose
                          (INTS attribute), dim_param dims, doc strings (unknown fields to skip).
  proto_if_subgraph.onnx  an If node whose then/else branches are GRAPH attributes (skipped by our reader).
  external/model.onnx     proto_sample with every tensor moved to external/weights.bin by onnx.save
  external/weights.bin    (location/offset/length entries written by onnx itself).

Values are exact binary fractions, so the Java test can compare them with ==.
Deterministic: rerunning reproduces identical files.
"""

import os
import sys

sys.dont_write_bytecode = True

import numpy as np
import onnx
from onnx import TensorProto, checker, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def values(n, start):
    # i/16 - start: exact in float32
    return (np.arange(n, dtype=np.float32) / 16.0 - start).astype(np.float32)


def sample_model():
    w = values(48, 1.5).reshape(1, 16, 3)
    r = values(64, 2.0).reshape(1, 16, 4)
    b = values(32, 1.0).reshape(1, 32)
    w_init = numpy_helper.from_array(w, "W")  # raw_data
    r_init = helper.make_tensor("R", TensorProto.FLOAT, [1, 16, 4], r.flatten().tolist(), raw=False)  # float_data
    b_init = numpy_helper.from_array(b, "B")  # raw_data
    assert w_init.HasField("raw_data") and not r_init.HasField("raw_data") and len(r_init.float_data) == 64

    lstm = helper.make_node(
        "LSTM", ["X", "W", "R", "B", "", "h0"], ["Y", "Y_h"], name="lstm",
        hidden_size=4, direction="forward", activations=["Sigmoid", "Tanh", "Tanh"], clip=50.0)
    lstm.doc_string = "unknown field to skip"
    shape_value = helper.make_tensor("shape_value", TensorProto.INT64, [2], [-1, 4])  # int64_data
    const = helper.make_node("Constant", [], ["shape"], name="shape_const", value=shape_value)
    reshape = helper.make_node("Reshape", ["Y_h", "shape"], ["H"], name="reshape")
    transpose = helper.make_node("Transpose", ["Y"], ["Y_t"], name="transpose", perm=[2, 0, 1, 3])

    graph = helper.make_graph(
        [lstm, const, reshape, transpose], "proto_sample",
        inputs=[
            helper.make_tensor_value_info("X", TensorProto.FLOAT, ["seq", "batch", 3]),
            helper.make_tensor_value_info("h0", TensorProto.FLOAT, [1, "batch", 4]),
        ],
        outputs=[
            helper.make_tensor_value_info("Y_t", TensorProto.FLOAT, ["batch", "seq", 1, 4]),
            helper.make_tensor_value_info("H", TensorProto.FLOAT, ["batch", 4]),
        ],
        initializer=[w_init, r_init, b_init],
        value_info=[
            helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["seq", 1, "batch", 4]),
            helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, "batch", None]),  # None: no value/param
            helper.make_tensor_value_info("shape", TensorProto.INT64, [2]),
            helper.make_tensor_value_info("unshaped", TensorProto.FLOAT, None),  # no shape at all
        ],
        doc_string="graph doc")
    # Only fields before the graph besides opset_import: a file cut between top-level fields must stay invalid
    # (our reader requires ir_version, graph and opset_import), see OnnxReaderMalformedTest.
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="make_proto_samples",
        producer_version="1.0", doc_string="model doc", model_version=3)
    model.ir_version = 7
    checker.check_model(model, full_check=True)
    return model


def if_model():
    then_g = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["out_then"])], "then",
        [], [helper.make_tensor_value_info("out_then", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["a"], ["out_else"])], "else",
        [], [helper.make_tensor_value_info("out_else", TensorProto.FLOAT, [2])])
    node = helper.make_node("If", ["cond"], ["out"], name="if", then_branch=then_g, else_branch=else_g)
    graph = helper.make_graph(
        [node], "if_graph",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
         helper.make_tensor_value_info("a", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="make_proto_samples")
    model.ir_version = 7
    checker.check_model(model)
    return model


def main():
    onnx.save(sample_model(), os.path.join(HERE, "proto_sample.onnx"))
    onnx.save(if_model(), os.path.join(HERE, "proto_if_subgraph.onnx"))
    ext_dir = os.path.join(HERE, "external")
    os.makedirs(ext_dir, exist_ok=True)
    if os.path.exists(os.path.join(ext_dir, "weights.bin")):
        os.remove(os.path.join(ext_dir, "weights.bin"))  # onnx.save appends to an existing file
    onnx.save(sample_model(), os.path.join(ext_dir, "model.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    checker.check_model(os.path.join(ext_dir, "model.onnx"))
    print("wrote", HERE)


if __name__ == "__main__":
    main()
