package dev.vlstm.onnx;

import dev.vlstm.format.HeadOp;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelWeights;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The model the importer has recognised so far: LSTM layers in order, then the head's operations in order. */
final class Pipeline {
    final List<LayerSpec> layers = new ArrayList<>();
    final List<List<ModelWeights.DirectionWeights>> layerWeights = new ArrayList<>();
    final List<HeadOp> head = new ArrayList<>();
    final List<ModelWeights.HeadWeights> headWeights = new ArrayList<>();
    /** Incremented by every pipeline step; a Data value from an older stage may no longer be used. */
    int stage;
    /** State slots (layers × directions) used so far. */
    int slots;
    /** The LSTM nodes' layout attribute (all must agree), or -1 before the first. */
    int nodeLayout = -1;
    /** Graph inputs by role, as found: "initial_h", "initial_c", "sequence_lens" → graph input name. */
    final Map<String, String> stateInputs = new LinkedHashMap<>();
    /**
     * An affine map of the model input, x' = x * inputScale + inputShift per feature (standardisation written in the
     * model), to be folded into the first layer's W and bias; null when there is none.
     */
    double[] inputScale, inputShift;
    /** The LSTM nodes' constant sequence_lens (an initializer, by name), or null when none has one. */
    long[] constantLengths;
    String constantLengthsName;
    /** How many layers took their initial h / c from a state input, and the sequence lengths (input or constant). */
    int layersWithInitialH, layersWithInitialC, layersWithLengths;

    void addLayer(LayerSpec spec, List<ModelWeights.DirectionWeights> weights) {
        layers.add(spec);
        layerWeights.add(weights);
        slots += spec.direction().count;
        stage++;
    }

    /** Appends a head operation with its weights ({@link ModelWeights.HeadWeights#NONE} for none). */
    void addHead(HeadOp op, ModelWeights.HeadWeights weights) {
        head.add(op);
        headWeights.add(weights);
        stage++;
    }

    /** The last head operation, or null before the first. */
    HeadOp lastHead() {
        return head.isEmpty() ? null : head.getLast();
    }

    /** Gives the last head operation, a dense layer without one, its bias (the Add after a MatMul). */
    void addHeadBias(float[] bias) {
        headWeights.set(headWeights.size() - 1, new ModelWeights.HeadWeights(headWeights.getLast().weight(), bias));
        stage++;
    }

    ModelWeights weights() {
        int[] lengths = null;
        if (constantLengths != null) {
            lengths = new int[constantLengths.length];
            for (int i = 0; i < lengths.length; i++) lengths[i] = (int) constantLengths[i];
        }
        return new ModelWeights(layerWeights, headWeights, lengths);
    }
}
