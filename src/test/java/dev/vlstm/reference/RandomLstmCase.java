package dev.vlstm.reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One random LSTM node and its inputs, drawn entirely from {@code new Random(seed)}, so the seed alone rebuilds it.
 * Weights are uniform in ±1/√H (PyTorch's initialization), X and initial states uniform in ±1.
 */
public record RandomLstmCase(long seed, int opset, LstmInputs inputs, LstmAttributes attributes) {

    private static final String[] DIRECTIONS = {"forward", "reverse", "bidirectional"};

    public static RandomLstmCase draw(long seed) {
        Random rnd = new Random(seed);
        int input = 1 + rnd.nextInt(40);
        int hidden = 1 + rnd.nextInt(40);
        int seq = 1 + rnd.nextInt(12);
        int batch = 1 + rnd.nextInt(5);
        String direction = DIRECTIONS[rnd.nextInt(3)];
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        // forward is also the default: sometimes leave the attribute out
        String directionAttr = direction.equals("forward") && rnd.nextBoolean() ? null : direction;

        List<String> activations = new ArrayList<>();
        if (rnd.nextInt(4) != 0)
            for (int i = 0; i < 3 * dirs; i++)
                activations.add(LstmActivation.NAMES.get(rnd.nextInt(LstmActivation.NAMES.size())));
        int alphaSlots = 0;
        int betaSlots = 0;
        for (String a : activations) {
            if (LstmActivation.takesAlpha(a)) alphaSlots++;
            if (LstmActivation.takesBeta(a)) betaSlots++;
        }
        float[] alpha = parameterList(rnd, alphaSlots, -1.0f, 1.5f);
        float[] beta = parameterList(rnd, betaSlots, -1.0f, 1.0f);
        Float clip = rnd.nextInt(5) < 2 ? 0.5f + 4.5f * rnd.nextFloat() : null;
        int inputForget = rnd.nextInt(10) < 3 ? 1 : 0;
        int layout = rnd.nextInt(4) == 0 ? 1 : 0;
        int[] opsets = layout == 1 ? new int[] {14, 22} : new int[] {7, 14, 22};
        int opset = opsets[rnd.nextInt(opsets.length)];
        LstmAttributes attributes = new LstmAttributes(hidden, directionAttr, activations, alpha, beta, clip,
                inputForget, layout);

        float scale = (float) (1.0 / Math.sqrt(hidden));
        int[] xShape = layout == 1 ? new int[] {batch, seq, input} : new int[] {seq, batch, input};
        float[] x = uniform(rnd, seq * batch * input, 1.0f);
        float[] w = uniform(rnd, dirs * 4 * hidden * input, scale);
        float[] r = uniform(rnd, dirs * 4 * hidden * hidden, scale);
        float[] b = rnd.nextInt(5) != 0 ? uniform(rnd, dirs * 8 * hidden, scale) : null;
        float[] p = rnd.nextBoolean() ? uniform(rnd, dirs * 3 * hidden, scale) : null;
        int[] lens = null;
        if (rnd.nextBoolean()) {
            lens = new int[batch];
            for (int i = 0; i < batch; i++) lens[i] = 1 + rnd.nextInt(seq);
        }
        float[] h0 = rnd.nextBoolean() ? uniform(rnd, dirs * batch * hidden, 1.0f) : null;
        float[] c0 = rnd.nextBoolean() ? uniform(rnd, dirs * batch * hidden, 1.0f) : null;
        return new RandomLstmCase(seed, opset, new LstmInputs(x, xShape, w, r, b, lens, h0, c0, p), attributes);
    }

    /** Everything needed to rebuild and understand the case. */
    public String describe() {
        return "seed=" + seed + "L opset=" + opset + " " + inputs.describe() + " " + attributes;
    }

    /** Absent (1 in 3), exactly one value per activation taking it (1 in 3), or a random count from 0 to slots+1. */
    private static float[] parameterList(Random rnd, int slots, float low, float high) {
        int kind = rnd.nextInt(3);
        if (kind == 0) return null;
        int n = kind == 1 ? slots : rnd.nextInt(slots + 2);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = low + (high - low) * rnd.nextFloat();
        return out;
    }

    private static float[] uniform(Random rnd, int n, float bound) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = bound * (2 * rnd.nextFloat() - 1);
        return out;
    }

    @Override
    public String toString() {
        return describe() + " X[0..]=" + Arrays.toString(Arrays.copyOf(inputs.x(), Math.min(4, inputs.x().length)));
    }
}
