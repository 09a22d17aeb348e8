package dev.vlstm.reference;

/**
 * Which alpha and beta an LSTM activation gets when {@code activation_alpha} / {@code activation_beta} run out
 * before reaching it. The two policies agree for LeakyRelu (alpha 0.01), HardSigmoid (0.2, 0.5) and Elu (1.0),
 * and differ for the three others that take a parameter:
 *
 * <table>
 * <caption>Defaults per policy</caption>
 * <tr><th>activation</th><th>ONNX_SPEC</th><th>ONNX_RUNTIME</th></tr>
 * <tr><td>ThresholdedRelu alpha</td><td>1.0 (ThresholdedRelu operator)</td><td>0.0</td></tr>
 * <tr><td>Affine alpha, beta</td><td>1.0, 0.0 (experimental Affine operator, opset 1)</td><td>0.0, 0.0</td></tr>
 * <tr><td>ScaledTanh alpha, beta</td><td>none: the experimental ScaledTanh operator gave no defaults, so the
 * reference refuses a ScaledTanh left without values</td><td>0.0, 0.0</td></tr>
 * </table>
 */
public enum ActivationDefaults {
    /** "Default values are the same as of corresponding ONNX operators" (LSTM, attribute activation_alpha). */
    ONNX_SPEC,
    /**
     * What ONNX Runtime's CPU kernel does (rnn_helpers.cc, NameToArgDefaultsMap: only leakyrelu, hardsigmoid and
     * elu have entries; every other missing value is 0).
     */
    ONNX_RUNTIME
}
