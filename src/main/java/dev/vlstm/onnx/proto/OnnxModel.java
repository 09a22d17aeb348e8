package dev.vlstm.onnx.proto;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A ModelProto, reduced to what an importer needs.
 *
 * @param irVersion       ONNX IR version
 * @param producerName    e.g. "pytorch" ("" when absent)
 * @param producerVersion e.g. "2.5.0" ("" when absent)
 * @param opsets          imported operator sets: domain ("" for ai.onnx) to version, in file order
 * @param graph           the main graph
 */
public record OnnxModel(long irVersion, String producerName, String producerVersion, Map<String, Long> opsets,
        OnnxGraph graph) {

    public OnnxModel {
        if (producerName == null) producerName = "";
        if (producerVersion == null) producerVersion = "";
        if (opsets == null) opsets = Map.of();
        for (Map.Entry<String, Long> e : opsets.entrySet())
            if (e.getKey() == null || e.getValue() == null) throw new NullPointerException("null in opsets");
        opsets = Collections.unmodifiableMap(new LinkedHashMap<>(opsets));
        Objects.requireNonNull(graph, "graph");
    }

    /** The ai.onnx opset version, or -1 when the model does not import the default domain. */
    public long defaultOpset() {
        Long v = opsets.get("");
        if (v == null) v = opsets.get("ai.onnx");
        return v == null ? -1 : v;
    }

    /**
     * This model with every external tensor (initializers and tensor attributes) loaded from files inside
     * {@code modelDir}, with the checks of {@link OnnxTensor#resolve}.
     */
    public OnnxModel resolveExternalData(Path modelDir) throws IOException {
        return ExternalData.resolveAll(this, modelDir);
    }
}
