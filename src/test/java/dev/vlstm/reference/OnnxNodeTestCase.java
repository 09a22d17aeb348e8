package dev.vlstm.reference;

import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxModel;
import dev.vlstm.onnx.proto.OnnxNode;
import dev.vlstm.onnx.proto.OnnxReader;
import dev.vlstm.onnx.proto.OnnxValueInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of ONNX's LSTM node tests (a folder with model.onnx and test_data_set_0/input_N.pb, output_N.pb, as Debian's
 * libonnx-testdata installs them): the node's attributes and inputs, and the expected outputs by node output name
 * ("Y", "Y_h" or "Y_c").
 */
record OnnxNodeTestCase(String name, Path modelFile, long opset, LstmAttributes attributes, LstmInputs inputs,
        Map<String, TensorProtoFile.Tensor> expected) {

    private static final List<String> INPUT_SLOTS =
            List.of("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P");
    private static final List<String> OUTPUT_SLOTS = List.of("Y", "Y_h", "Y_c");

    static OnnxNodeTestCase load(Path dir) throws IOException {
        Path modelFile = dir.resolve("model.onnx");
        OnnxModel model = OnnxReader.read(modelFile);
        OnnxGraph g = model.graph();
        List<OnnxNode> lstms = g.nodes().stream().filter(n -> n.opType().equals("LSTM")).toList();
        if (g.nodes().size() != 1 || lstms.size() != 1)
            throw new IOException(modelFile + ": expected a graph of exactly one LSTM node");
        OnnxNode node = lstms.get(0);
        Path data = dir.resolve("test_data_set_0");

        Map<String, TensorProtoFile.Tensor> byValueName = new HashMap<>();
        for (int i = 0; i < g.inputs().size(); i++) {
            byValueName.put(g.inputs().get(i).name(), TensorProtoFile.read(data.resolve("input_" + i + ".pb")));
        }
        Map<String, TensorProtoFile.Tensor> slot = new HashMap<>();
        for (int k = 0; k < INPUT_SLOTS.size(); k++) {
            String value = node.input(k);
            if (value.isEmpty()) continue;
            TensorProtoFile.Tensor t = byValueName.get(value);
            if (t == null) throw new IOException(modelFile + ": input '" + value + "' is neither a graph input with "
                    + "test data nor supported (initializers are not read here)");
            slot.put(INPUT_SLOTS.get(k), t);
        }
        TensorProtoFile.Tensor x = slot.get("X");
        LstmInputs inputs = new LstmInputs(x.floats(), x.intDims(), floats(slot, "W"), floats(slot, "R"),
                floats(slot, "B"), slot.containsKey("sequence_lens") ? slot.get("sequence_lens").ints() : null,
                floats(slot, "initial_h"), floats(slot, "initial_c"), floats(slot, "P"));

        Map<String, TensorProtoFile.Tensor> expected = new LinkedHashMap<>();
        for (int j = 0; j < g.outputs().size(); j++) {
            OnnxValueInfo out = g.outputs().get(j);
            int k = node.outputs().indexOf(out.name());
            if (k < 0) throw new IOException(modelFile + ": graph output '" + out.name() + "' is not the node's");
            Path file = data.resolve("output_" + j + ".pb");
            if (Files.exists(file)) expected.put(OUTPUT_SLOTS.get(k), TensorProtoFile.read(file));
        }
        return new OnnxNodeTestCase(dir.getFileName().toString(), modelFile, model.defaultOpset(),
                LstmNodeAttributes.of(node), inputs, expected);
    }

    private static float[] floats(Map<String, TensorProtoFile.Tensor> slot, String name) {
        TensorProtoFile.Tensor t = slot.get(name);
        return t == null ? null : t.floats();
    }
}
