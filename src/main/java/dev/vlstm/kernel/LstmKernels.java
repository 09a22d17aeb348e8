package dev.vlstm.kernel;

/**
 * The math an LSTM session needs, over weights in vlstm's packed panel layout (format-spec.md, "Packed weights").
 *
 * <p>A panel covers {@link #PANEL} consecutive output units. Panel matrices are float arrays laid out
 * {@code [panels][gates][k][PANEL]}: element {@code (q, g, k, j)} is the weight from input {@code k} to output unit
 * {@code q*PANEL + j} of gate {@code g}; units past the real width are zero. Each gate line of a panel is one block of
 * k rows of 16 floats. The model copies a layer's W and R from the file's {@code [panels][k][4][PANEL]} into this order
 * with {@link GateLines} (why: there); a head's matrix ({@code gates = 1}) is the same in both. For an LSTM the gates are i, o, f, c
 * ({@code gates = 4}); for a linear head {@code gates = 1}. Bias arrays are {@code [panels][gates][PANEL]}.
 *
 * <p>Two implementations give the same results within float rounding: {@code ScalarKernels} (plain Java, always
 * available) and {@code VectorKernels} (Vector API). {@link Kernels#get()} picks one. Implementations are stateless
 * and thread-safe; they allocate nothing.
 */
public interface LstmKernels {

    /** Output units per panel: one 512-bit vector, or two 256-bit ones. Fixed by the file format. */
    int PANEL = 16;

    /** Float lanes of one vector: the column-vector width {@link ReducedMatrix} interleaves bf16 for (16 for scalar). */
    default int lanes() {
        return PANEL;
    }

    /** Human-readable name of the implementation, for logs and tests ("vector (16 lanes)", "scalar"). */
    String name();

    /**
     * Dense projection of {@code rows} input rows through a panel matrix, plus bias:
     * {@code out[outOffset + r*outStride + (q*gates + g)*PANEL + j] = bias[q][g][j] + sum_k x[xOffset + r*xStride + k] * w[q][g][k][j]}
     * for every row {@code r < rows}, panel {@code q < panels}, gate {@code g < gates}, lane {@code j < PANEL}, writing only
     * the elements whose column {@code (q*gates + g)*PANEL + j} is below {@code outColumns}. With {@code gates = 4} and
     * {@code outColumns = panels*4*PANEL} this fills the pre-activation buffer of a layer; with {@code gates = 1} and
     * {@code outColumns = units} it writes a dense, unpadded head output.
     *
     * <p>Rows of {@code out} must not overlap {@code x}. With {@code gates = 4} and {@code k} the layer input size, {@code w}
     * and {@code bias} are a layer's {@code W} and {@code b} tensors; for a head they are {@code head.w} and
     * {@code head.b} with {@code panels = ceil(units / 16)}.
     *
     * @param bias may be {@code null} for no bias
     */
    default void project(float[] x, int xOffset, int xStride, int rows, int k,
                         float[] w, float[] bias, int panels, int gates,
                         float[] out, int outOffset, int outStride, int outColumns) {
        project(x, xOffset, xStride, rows, k, w, bias, 0, panels, gates, false, out, outOffset, outStride, outColumns);
    }

    /**
     * {@link #project} for the panels {@code firstPanel .. firstPanel + panels - 1} only: the same weights, bias and
     * column numbering (columns are those of the whole matrix), writing only those panels' columns. Threads split a
     * layer's gate columns with it.
     *
     * @param skipForget with {@code gates = 4}: gate f's columns need not be written (an implementation may still
     *                   write them). For the first step from a zero state, which never reads them ({@link #lstmStep});
     *                   it saves a quarter of the product.
     */
    void project(float[] x, int xOffset, int xStride, int rows, int k,
                 float[] w, float[] bias, int firstPanel, int panels, int gates, boolean skipForget,
                 float[] out, int outOffset, int outStride, int outColumns);

    /**
     * Whether every value of {@code rows} rows of {@code width} floats, {@code stride} apart from {@code a[offset]},
     * has {@code |v| <= limit}; NaN has not. A session asks it whether a state is all zeros ({@code limit} 0) and
     * whether a first step's input is small enough for its forget gate to be left out ({@link #lstmStep}).
     */
    boolean allAbsAtMost(float[] a, int offset, int stride, int rows, int width, float limit);

    /**
     * One LSTM timestep for {@code batch} independent rows, fused: recurrent product, activations, cell update.
     * For row {@code b} and unit {@code u < hidden} (panel {@code q = u / PANEL}, lane {@code j = u % PANEL}):
     * <pre>
     *   a_g = pre[preOffset + b*preStride + (q*4 + g)*PANEL + j] + sum_{k < hidden} hPrev[hPrevOffset + b*hPrevStride + k] * r[q][g][k][j]
     *   i = sigmoid(a_0); o = sigmoid(a_1); f = sigmoid(a_2); c~ = tanh(a_3)
     *   c[cOffset + b*cStride + u] = f * c[...] + i * c~
     *   hOut[hOutOffset + b*hOutStride + u] = o * tanh(c[...])
     * </pre>
     * {@code pre} already holds {@code x·W + Wb + Rb} (as written by {@link #project} with {@code gates = 4}), one row of
     * {@code panels*4*PANEL} floats per batch row. <b>It is scratch</b>: on return the contents of those rows are
     * unspecified (the kernels keep the gate sums and activations there), so each timestep's rows of {@code pre} serve
     * one call; nothing else in {@code pre} is touched. {@code c} is updated in place and {@code hOut} written, both
     * only for {@code u < hidden}, so their rows may be dense ({@code hidden} floats, e.g. {@code cStride = hidden}).
     * The regions read and written for {@code pre}, {@code hPrev}, {@code c} and {@code hOut} must not overlap; one
     * array may hold several of them, e.g. the previous and the next step's {@code h} rows of a sequence output.
     * {@code hPrev} may be null, meaning the state is zero, h and c all zeros (a sequence's first step with no initial
     * state): the recurrent product and the forget gate are skipped (f × 0 adds nothing), so {@code c} is written but
     * not read, and gate f's columns of {@code pre} are not read either ({@link #project}'s {@code skipForget}). The
     * results are bit for bit those of an explicit zero state whenever that state's gates are not NaN, so pass null
     * only when R is finite (with an Inf in R, 0 × Inf would have made a gate NaN) and no forget pre-activation is NaN
     * (NaN × 0 would have made the cell NaN): the session checks the weights once and the step's input against
     * {@code forgetInputLimit} ({@code Model.DirectionWeights}).
     *
     * <p>Example, batch 1, one layer over a sequence whose pre-activations {@code pre[t]} come from one {@link #project}
     * call over all timesteps:
     * <pre>{@code
     * for (int t = 0; t < steps; t++) {
     *     kernels.lstmStep(1, hidden, r, pre, t * preWidth, preWidth, h, 0, hidden, c, 0, hidden, hNext, 0, hidden);
     *     float[] swap = h; h = hNext; hNext = swap;
     * }
     * }</pre>
     */
    default void lstmStep(int batch, int hidden, float[] r,
                          float[] pre, int preOffset, int preStride,
                          float[] hPrev, int hPrevOffset, int hPrevStride,
                          float[] c, int cOffset, int cStride,
                          float[] hOut, int hOutOffset, int hOutStride) {
        lstmStep(batch, hidden, 0, (hidden + PANEL - 1) / PANEL, r, pre, preOffset, preStride, hPrev, hPrevOffset,
                hPrevStride, c, cOffset, cStride, hOut, hOutOffset, hOutStride);
    }

    /**
     * {@link #lstmStep} for the units of panels {@code firstPanel .. firstPanel + panels - 1} only: it reads all of
     * {@code hPrev}, and touches only those units' columns of {@code pre}, entries of {@code c} and of {@code hOut}
     * (offsets still point at unit 0 of each row). Threads split a batch-1 step by panels with it, each core streaming
     * its own part of R.
     */
    void lstmStep(int batch, int hidden, int firstPanel, int panels, float[] r,
                  float[] pre, int preOffset, int preStride,
                  float[] hPrev, int hPrevOffset, int hPrevStride,
                  float[] c, int cOffset, int cStride,
                  float[] hOut, int hOutOffset, int hOutStride);

    /**
     * {@link #lstmStep} with R reduced ({@link ReducedMatrix}), any batch; {@code hPrev} null is a zero state, as
     * there. One row reads the bf16 weights (widened by a 16-bit shift) or the int8 ones (converted to float, each
     * column's sum scaled once) straight from R, accumulating in float: at batch 1 a step streams all of R, so this is
     * what half or a quarter of its bytes buys; bf16 gives lstmStep's result on the widened weights, int8 differs from
     * it only by the rounding of the scale's place. Several rows widen R a panel at a time into {@code scratch}
     * ({@link ReducedMatrix#scratchFloats} floats) and give each row bit for bit what that row alone gives, whatever
     * the batch. {@code scratch} is the caller's, one per thread; its contents on return are unspecified.
     */
    void lstmStep(int batch, int hidden, int firstPanel, int panels, ReducedMatrix r, float[] scratch,
                  float[] pre, int preOffset, int preStride,
                  float[] hPrev, int hPrevOffset, int hPrevStride,
                  float[] c, int cOffset, int cStride,
                  float[] hOut, int hOutOffset, int hOutStride);

    /**
     * {@code out[outOffset + column] += sum_k x[xOffset + k] * W(k, column)} for one row over the columns of panels
     * {@code firstPanel .. firstPanel + panels - 1} of a reduced matrix ({@code k} its {@link ReducedMatrix} k): the
     * one-row product of {@link #lstmStep} with a ReducedMatrix, without the cell update. A step's input projection
     * (one row, x·W, after {@code out} holds the bias): like R, W is streamed whole for each such row.
     */
    void accumulateRow(float[] x, int xOffset, ReducedMatrix w, int firstPanel, int panels, float[] out, int outOffset);

    /**
     * {@link #project} with {@code gates = 4} over a reduced matrix ({@code k} its {@link ReducedMatrix} k), panels
     * {@code firstPanel .. firstPanel + panels - 1}: {@code out[row][column] = bias[column] + sum_k x[row][k] · W(k,
     * column)} ({@code bias} null: from 0), each row bit for bit what {@link #accumulateRow} gives it from the bias
     * (bf16: also project over the widened weights), widening a panel at a time into {@code scratch}
     * ({@link ReducedMatrix#scratchFloats} floats; its contents on return are unspecified). A layer's input
     * projection of many rows, and with no bias the general cell path's h·R. With {@code skipForget} gate f's columns
     * may be left unwritten or hold anything.
     */
    void project(float[] x, int xOffset, int xStride, int rows, ReducedMatrix w, float[] bias, int firstPanel,
                 int panels, boolean skipForget, float[] scratch, float[] out, int outOffset, int outStride);

    /** The elementwise functions {@link #activate} applies: a head's activations (format-spec.md, "Head operations"). */
    enum Pointwise { SIGMOID, TANH, LEAKY_RELU, ELU, SOFTPLUS, GELU, GELU_TANH }

    /**
     * Applies {@code f} in place to {@code count} floats from {@code a[offset]}: sigmoid, tanh, LeakyRelu
     * ({@code x >= 0 ? x : alpha * x}; Relu is alpha 0), Elu ({@code x >= 0 ? x : alpha * (e^x - 1)}), Softplus
     * ({@code log(1 + e^x)}, x itself past 30), GELU ({@code x/2 * (1 + erf(x / sqrt 2))}) or GELU with tanh
     * ({@code x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))}). A head's activations between and after its dense
     * layers. NaN stays NaN, and ±Inf gives what float64 gives (GELU of -Inf is NaN, -Inf times 0, as in PyTorch).
     * The scalar kernels compute in float64 and round once; the vector kernels use the gates' sigmoid and tanh
     * (within 4e-7 of exact, see {@code VectorKernels}) and for the rest {@code VectorHeadMath}'s exp-based kernels,
     * within 2e-7 of float64 (absolute where the result is at most 1, relative above; measured 1.0e-7 to 1.3e-7
     * except Elu's 5e-8, table there).
     *
     * @param alpha LeakyRelu's and Elu's alpha; ignored by the others
     */
    void activate(Pointwise f, float alpha, float[] a, int offset, int count);

    /**
     * Softmax, or with {@code log} log-softmax, of each of {@code rows} dense rows of {@code width} floats from
     * {@code a[offset]}, in place: {@code e^(x_j - m) / sum_k e^(x_k - m)} or {@code x_j - m - log sum_k e^(x_k - m)},
     * m the row's maximum. A NaN or +Inf in a row makes the whole row NaN, and so does a row of only -Inf (0 / 0); a
     * -Inf among finite values gives 0 (log-softmax: -Inf). Vector kernels: within 2e-7 of float64 (absolute for the
     * probabilities, measured 8.6e-8; log-softmax relative past 1, measured 1.2e-7), rows narrower than a vector in
     * float64.
     */
    void softmax(float[] a, int offset, int rows, int width, boolean log);

    /**
     * LayerNormalization of each of {@code rows} dense rows of {@code width} floats from {@code a[offset]}, in place:
     * {@code (x_j - mean) / sqrt(var + epsilon) * scale[j] + bias[j]}, var the row's biased variance (divided by
     * width), {@code scale} and {@code bias} {@code width} floats from index 0. A NaN or ±Inf in a row makes the row
     * NaN. Vector kernels: within 4e-7 of float64 (absolute where the result is at most 1, relative above; measured
     * 1.9e-7 and 2.2e-7), mean and variance by two passes (the variance about the mean's own rounding error).
     */
    void layerNorm(float[] a, int offset, int rows, int width, float[] scale, float[] bias, float epsilon);
}
