package dev.vlstm.cli;

import dev.vlstm.Model;
import dev.vlstm.RunArgs;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.onnx.Float64Evaluator;
import dev.vlstm.onnx.OnnxImporter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/** {@code convert --verify}: the written file, run by the runtime, against a float64 evaluation of the ONNX weights. */
public final class ConversionCheck {
    private ConversionCheck() {
    }

    static final int SEQ = 7, BATCH = 3;

    /** Max abs error over the model's sequence, last-step or layer-Y output for a random input (seed 1). */
    static double maxError(OnnxImporter.Imported m, Path vlstm) throws IOException {
        try (Model model = Model.load(vlstm)) {
            return maxError(m, model, SEQ, BATCH, 1);
        }
    }

    /** Max abs error of {@code model} against the float64 evaluation of {@code m}'s weights at one random input. */
    public static double maxError(OnnxImporter.Imported m, Model model, int SEQ, int BATCH, long seed) {
        ModelSpec spec = m.spec();
        Random rnd = new Random(seed);
        float[] timeMajor = new float[SEQ * BATCH * spec.inputSize()];
        for (int i = 0; i < timeMajor.length; i++) timeMajor[i] = rnd.nextFloat() * 2 - 1;
        int[] ids = null;           // a token-ids model: random ids, and the reference reads their table rows
        if (spec.takesTokenIds()) {
            ids = new int[SEQ * BATCH];
            int width = spec.inputSize();
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i == 0 ? spec.vocabulary() - 1 : rnd.nextInt(spec.vocabulary());
                System.arraycopy(m.weights().embedding(), ids[i] * width, timeMajor, i * width, width);
            }
        }
        boolean finalState = spec.output(IoSpec.Role.FINAL_STATE_OUTPUT) != null || spec.pools();
        double[] ref = spec.pools() ? Float64Evaluator.runPooled(spec, m.weights(), timeMajor, SEQ, BATCH)
                : finalState ? Float64Evaluator.runFinalState(spec, m.weights(), timeMajor, SEQ, BATCH)
                : Float64Evaluator.run(spec, m.weights(), timeMajor, SEQ, BATCH);
        int f = ref.length / (finalState ? BATCH : SEQ * BATCH);
        boolean batchFirst = spec.layout() == SequenceLayout.BATCH_SEQ;
        float[] x = batchFirst ? swap(timeMajor, SEQ, BATCH, spec.inputSize()) : timeMajor;
        IoSpec.Role role = spec.output(IoSpec.Role.SEQUENCE_OUTPUT) != null ? IoSpec.Role.SEQUENCE_OUTPUT
                : spec.output(IoSpec.Role.LAST_STEP_OUTPUT) != null ? IoSpec.Role.LAST_STEP_OUTPUT
                : spec.output(IoSpec.Role.LAYER_Y) != null ? IoSpec.Role.LAYER_Y
                : spec.pools() ? IoSpec.Role.POOLED_OUTPUT : finalState ? IoSpec.Role.FINAL_STATE_OUTPUT : null;
        if (role == null)
            throw new IllegalArgumentException(model.source() + ": --verify compares the sequence output, and this model returns only states");
        float[] y = new float[role == IoSpec.Role.LAST_STEP_OUTPUT || finalState ? BATCH * f : SEQ * BATCH * f];
        RunArgs args = ids == null ? new RunArgs().input(x, SEQ, BATCH)
                : new RunArgs().tokens(batchFirst ? swap(ids, SEQ, BATCH) : ids, SEQ, BATCH);
        model.newSession().run(args.output(y));
        double err = 0;
        int dirs = spec.layers().getLast().direction().count, h = f / dirs;
        for (int t = 0; t < SEQ; t++)
            for (int b = 0; b < BATCH; b++)
                for (int j = 0; j < f; j++) {
                    int at = switch (role) {
                        case LAST_STEP_OUTPUT -> t == SEQ - 1 ? b * f + j : -1;
                        case FINAL_STATE_OUTPUT, POOLED_OUTPUT -> t == 0 ? b * f + j : -1;
                        case LAYER_Y -> batchFirst ? (b * SEQ + t) * f + j : ((t * dirs + j / h) * BATCH + b) * h + j % h;
                        default -> batchFirst ? (b * SEQ + t) * f + j : (t * BATCH + b) * f + j;
                    };
                    if (at < 0) continue;
                    double d = Math.abs(y[at] - ref[finalState ? at : (t * BATCH + b) * f + j]);
                    err = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(err, d);
                }
        return err;
    }

    private static int[] swap(int[] src, int a, int b) {
        int[] dst = new int[src.length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++) dst[j * a + i] = src[i * b + j];
        return dst;
    }

    private static float[] swap(float[] src, int a, int b, int w) {
        float[] dst = new float[src.length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++) System.arraycopy(src, (i * b + j) * w, dst, (j * a + i) * w, w);
        return dst;
    }
}
