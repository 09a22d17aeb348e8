package dev.vlstm.onnx;

import dev.vlstm.format.HeadSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelWeights;

import java.util.ArrayList;
import java.util.List;

/** The model the importer has recognised so far: LSTM layers in order, then at most one linear head. */
final class Pipeline {
    final List<LayerSpec> layers = new ArrayList<>();
    final List<List<ModelWeights.DirectionWeights>> layerWeights = new ArrayList<>();
    HeadSpec head;
    float[] headWeight; // A[out][in]
    float[] headBias;   // b[out] or null
    /** Incremented by every pipeline step; a Data value from an older stage may no longer be used. */
    int stage;

    void addLayer(LayerSpec spec, ModelWeights.DirectionWeights weights) {
        layers.add(spec);
        layerWeights.add(List.of(weights));
        stage++;
    }

    void setHead(int in, int out, float[] weight, float[] bias) {
        head = new HeadSpec(in, out);
        headWeight = weight;
        headBias = bias;
        stage++;
    }

    void addHeadBias(float[] bias) {
        headBias = bias;
        stage++;
    }

    ModelWeights weights() {
        return new ModelWeights(layerWeights, headWeight, headBias);
    }
}
