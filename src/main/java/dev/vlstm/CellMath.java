package dev.vlstm;

import dev.vlstm.format.Activation;

/** The ONNX LSTM activation functions, in the form the general (non-default) cell path uses. */
final class CellMath {
    private CellMath() {
    }

    /** Applies {@code a} to {@code x}; formulas as in the ONNX operator spec. */
    static float apply(Activation a, float x) {
        float alpha = a.alpha(), beta = a.beta();
        return switch (a.kind()) {
            case SIGMOID -> (float) (1 / (1 + Math.exp(-x)));
            case TANH -> (float) Math.tanh(x);
            case RELU -> Math.max(0f, x);
            case AFFINE -> alpha * x + beta;
            case LEAKY_RELU -> x >= 0 ? x : alpha * x;
            case THRESHOLDED_RELU -> x >= alpha ? x : 0f;
            case SCALED_TANH -> (float) (alpha * Math.tanh(beta * x));
            case HARD_SIGMOID -> Math.min(Math.max(alpha * x + beta, 0f), 1f);
            case ELU -> x >= 0 ? x : (float) (alpha * Math.expm1(x));
            case SOFTSIGN -> x / (1 + Math.abs(x));
            // log(1 + e^x) without overflow: for large x it is x (to float precision past 20)
            case SOFTPLUS -> x > 20 ? x : (float) Math.log1p(Math.exp(x));
        };
    }

    /** ONNX {@code clip}: bounds a gate pre-activation to [-clip, clip]; +Infinity means none. NaN stays NaN. */
    static float clip(float x, float clip) {
        return x > clip ? clip : x < -clip ? -clip : x;
    }
}
