/**
 * A small, hardened ONNX protobuf reader and writer over plain records, without generated code.
 *
 * <p>{@link dev.vlstm.onnx.proto.OnnxReader} turns untrusted .onnx bytes into {@link dev.vlstm.onnx.proto.OnnxModel}
 * or throws {@link dev.vlstm.onnx.proto.OnnxFormatException} naming the file and field path;
 * {@link dev.vlstm.onnx.proto.TensorData} materialises tensor payloads with size checks;
 * {@link dev.vlstm.onnx.proto.OnnxTensor#resolve} loads external data confined to the model's folder;
 * {@link dev.vlstm.onnx.proto.OnnxWriter} and {@link dev.vlstm.onnx.proto.OnnxBuilders} build models for tests.
 */
package dev.vlstm.onnx.proto;
