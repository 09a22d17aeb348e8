package dev.vlstm.onnx.proto;

/**
 * Field numbers of the onnx.proto messages we read and write, so reader and writer cannot disagree. Checked against
 * onnx/onnx.proto and onnx-ml.proto of the onnx 1.12 Python package (the numbers are frozen across ONNX versions).
 */
final class OnnxFields {
    private OnnxFields() {}

    // ModelProto
    static final int MODEL_IR_VERSION = 1;
    static final int MODEL_PRODUCER_NAME = 2;
    static final int MODEL_PRODUCER_VERSION = 3;
    static final int MODEL_GRAPH = 7;
    static final int MODEL_OPSET_IMPORT = 8;

    // OperatorSetIdProto
    static final int OPSET_DOMAIN = 1;
    static final int OPSET_VERSION = 2;

    // GraphProto
    static final int GRAPH_NODE = 1;
    static final int GRAPH_NAME = 2;
    static final int GRAPH_INITIALIZER = 5;
    static final int GRAPH_INPUT = 11;
    static final int GRAPH_OUTPUT = 12;
    static final int GRAPH_VALUE_INFO = 13;

    // NodeProto
    static final int NODE_INPUT = 1;
    static final int NODE_OUTPUT = 2;
    static final int NODE_NAME = 3;
    static final int NODE_OP_TYPE = 4;
    static final int NODE_ATTRIBUTE = 5;
    static final int NODE_DOMAIN = 7;

    // AttributeProto (g=6, tensors=10, graphs=11, tp=14, type_protos=15, sparse=22/23 are skipped on read)
    static final int ATTR_NAME = 1;
    static final int ATTR_F = 2;
    static final int ATTR_I = 3;
    static final int ATTR_S = 4;
    static final int ATTR_T = 5;
    static final int ATTR_G = 6;
    static final int ATTR_FLOATS = 7;
    static final int ATTR_INTS = 8;
    static final int ATTR_STRINGS = 9;
    static final int ATTR_TENSORS = 10;
    static final int ATTR_GRAPHS = 11;
    static final int ATTR_TP = 14;
    static final int ATTR_TYPE_PROTOS = 15;
    static final int ATTR_TYPE = 20;
    static final int ATTR_SPARSE_TENSOR = 22;
    static final int ATTR_SPARSE_TENSORS = 23;

    // TensorProto (segment=3, string_data=6, doc_string=12, uint64_data=11 are skipped on read)
    static final int TENSOR_DIMS = 1;
    static final int TENSOR_DATA_TYPE = 2;
    static final int TENSOR_FLOAT_DATA = 4;
    static final int TENSOR_INT32_DATA = 5;
    static final int TENSOR_INT64_DATA = 7;
    static final int TENSOR_NAME = 8;
    static final int TENSOR_RAW_DATA = 9;
    static final int TENSOR_DOUBLE_DATA = 10;
    static final int TENSOR_EXTERNAL_DATA = 13;
    static final int TENSOR_DATA_LOCATION = 14;

    // TensorProto.DataLocation
    static final int LOCATION_DEFAULT = 0;
    static final int LOCATION_EXTERNAL = 1;

    // StringStringEntryProto
    static final int ENTRY_KEY = 1;
    static final int ENTRY_VALUE = 2;

    // ValueInfoProto
    static final int VALUE_INFO_NAME = 1;
    static final int VALUE_INFO_TYPE = 2;

    // TypeProto (sequence=4, map=5, optional=9, sparse_tensor=8 are not tensors: elemType stays 0)
    static final int TYPE_TENSOR_TYPE = 1;

    // TypeProto.Tensor
    static final int TYPE_TENSOR_ELEM_TYPE = 1;
    static final int TYPE_TENSOR_SHAPE = 2;

    // TensorShapeProto
    static final int SHAPE_DIM = 1;

    // TensorShapeProto.Dimension
    static final int DIM_VALUE = 1;
    static final int DIM_PARAM = 2;
}
