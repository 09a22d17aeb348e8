package dev.vlstm;

import dev.vlstm.format.HeadOp;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.VlstmFile;
import dev.vlstm.kernel.LstmKernels;

import static dev.vlstm.kernel.LstmKernels.PANEL;

/**
 * A model's head as a plan: its operations in order, each with its weights, built once when the model loads and
 * walked by every run and step of every session (format-spec.md, "Head operations"). A dense layer is the panel
 * product of the layers' input projections; every other operation is one kernel call ({@link LstmKernels#activate},
 * {@link LstmKernels#softmax}, {@link LstmKernels#layerNorm}): vectorised on the vector kernels (Elu, Softplus, the
 * GELUs, softmax and log-softmax within 2e-7 of float64, layer norm within 4e-7, all on an exp of their own), in
 * float64 rounded once on the scalar ones. Allocates nothing: the rows between operations live in the session's {@link Work}.
 */
final class Head {
    private final HeadOp[] ops;
    private final float[][] weight, bias;   // per operation: dense panels and bias, or layer norm scale and bias
    final int inputSize, outputSize;
    /** The first operation {@link #run} applies: 1 when the head starts by pooling over time, which the session does. */
    private final int first;
    /** The widest row between two operations (0 for one operation): what each of the two work buffers holds per row. */
    final int workWidth;

    private Head(ModelSpec spec, VlstmFile file) {
        int n = spec.head().size();
        ops = spec.head().toArray(new HeadOp[0]);
        weight = new float[n][];
        bias = new float[n][];
        int widest = 0;
        for (int i = 0; i < n; i++) {
            String prefix = spec.headTensorPrefix(i);
            switch (ops[i].kind()) {
                case DENSE -> {     // a head matrix is one gate line per panel: the file's order is the kernels' order
                    weight[i] = file.tensorFloats(prefix + "w");
                    bias[i] = file.tensorFloats(prefix + "b");
                }
                case LAYER_NORM -> {
                    weight[i] = file.tensorFloats(prefix + "scale");
                    bias[i] = file.tensorFloats(prefix + "bias");
                }
                default -> {
                }
            }
            if (i < n - 1) widest = Math.max(widest, ops[i].outputSize());
        }
        inputSize = ops[0].inputSize();
        first = ops[0].kind().pools() ? 1 : 0;
        outputSize = ops[n - 1].outputSize();
        workWidth = widest;
    }

    /** The model's head, or null when it has none. */
    static Head of(ModelSpec spec, VlstmFile file) {
        return spec.hasHead() ? new Head(spec, file) : null;
    }

    /**
     * A session's rows between head operations: two buffers of rows × {@link #workWidth}, grown by the session, and
     * the job that splits a dense operation's rows across its threads.
     */
    static final class Work {
        float[] a = new float[0], b = new float[0];
        private final DenseSplit dense = new DenseSplit();

        void reserve(long floats) {
            if (a.length < floats) {
                a = new float[(int) floats];
                b = new float[(int) floats];
            }
        }

        void release() {
            a = b = new float[0];
        }
    }

    /** Dense operation {@code op} on rows {@code 0 .. rows-1} split by rows ({@link Rows#start}); set before each use. */
    private static final class DenseSplit implements Team.Job {
        private Head head;
        private LstmKernels k;
        private int op, srcOffset, rows;
        private float[] src, dst;

        @Override
        public void run(int part, int parts) {
            int r0 = Rows.start(rows, part, parts), r1 = Rows.start(rows, part + 1, parts), in = head.ops[op].inputSize();
            head.dense(k, op, src, srcOffset + r0 * in, in, r1 - r0, dst, r0 * head.ops[op].outputSize());
        }
    }

    /**
     * Rows {@code firstRow .. firstRow + rows - 1} through every operation: row r of the input at
     * {@code x[xOffset + r * xStride]}, {@link #inputSize} wide; into {@code out} at {@code (firstRow + r) * outputSize}.
     * Parts of a row split call it at once for their own rows: each touches only its rows of out and its own block
     * of the work buffers, rows {@code firstRow ..} at {@link #workWidth} per row whatever the operation's width
     * (an operation's rows lie densely at the block's start; placed at firstRow × width instead, a narrow operation
     * of one part would land in the rows of a wide one of the part before). With {@code team} (and firstRow 0) a
     * dense operation splits its rows across the session's threads.
     */
    void run(LstmKernels k, float[] x, int xOffset, int xStride, int firstRow, int rows, float[] out, Work work,
             Team team) {
        float[] src = x;
        int srcOffset = xOffset, srcStride = xStride;
        if (first == ops.length) Rows.copy(x, xOffset, xStride, out, firstRow * outputSize, outputSize, rows, outputSize);
        for (int i = first; i < ops.length; i++) {
            HeadOp op = ops[i];
            int width = op.outputSize();
            float[] dst = i == ops.length - 1 ? out : op.kind() != HeadOp.Kind.DENSE && src != x ? src : src == work.a ? work.b : work.a;
            int dstOffset = dst == out ? firstRow * width : firstRow * workWidth;
            if (op.kind() == HeadOp.Kind.DENSE) {
                if (team != null && firstRow == 0 && srcStride == op.inputSize() && rows >= 4 * team.parts()) {
                    DenseSplit split = work.dense;
                    split.head = this; split.k = k; split.op = i; split.src = src; split.srcOffset = srcOffset;
                    split.rows = rows; split.dst = dst;
                    try {
                        team.run(split);
                    } finally {
                        split.src = split.dst = null;
                    }
                } else {
                    dense(k, i, src, srcOffset, srcStride, rows, dst, dstOffset);
                }
            } else {
                if (dst != src) Rows.copy(src, srcOffset, srcStride, dst, dstOffset, width, rows, width);
                apply(k, i, dst, dstOffset, rows);
            }
            src = dst;
            srcOffset = dstOffset;
            srcStride = width;
        }
    }

    /** Dense operation i on {@code rows} rows of src (row r at {@code src[srcOffset + r * srcStride]}) to dense rows of dst. */
    private void dense(LstmKernels k, int i, float[] src, int srcOffset, int srcStride, int rows, float[] dst, int dstOffset) {
        int width = ops[i].outputSize();
        k.project(src, srcOffset, srcStride, rows, ops[i].inputSize(), weight[i], bias[i], (width + PANEL - 1) / PANEL, 1,
                dst, dstOffset, width, width);
    }

    /** Operation i (not dense) in place on {@code rows} dense rows from {@code a[at]}: one kernel call. */
    private void apply(LstmKernels k, int i, float[] a, int at, int rows) {
        HeadOp op = ops[i];
        int width = op.outputSize(), count = rows * width;
        float alpha = op.alpha();
        switch (op.kind()) {
            case RELU -> k.activate(LstmKernels.Pointwise.LEAKY_RELU, 0f, a, at, count);
            case LEAKY_RELU -> k.activate(LstmKernels.Pointwise.LEAKY_RELU, alpha, a, at, count);
            case SIGMOID -> k.activate(LstmKernels.Pointwise.SIGMOID, 0f, a, at, count);
            case TANH -> k.activate(LstmKernels.Pointwise.TANH, 0f, a, at, count);
            case ELU -> k.activate(LstmKernels.Pointwise.ELU, alpha, a, at, count);
            case SOFTPLUS -> k.activate(LstmKernels.Pointwise.SOFTPLUS, 0f, a, at, count);
            case GELU -> k.activate(LstmKernels.Pointwise.GELU, 0f, a, at, count);
            case GELU_TANH -> k.activate(LstmKernels.Pointwise.GELU_TANH, 0f, a, at, count);
            case SOFTMAX -> k.softmax(a, at, rows, width, false);
            case LOG_SOFTMAX -> k.softmax(a, at, rows, width, true);
            case LAYER_NORM -> k.layerNorm(a, at, rows, width, weight[i], bias[i], alpha);
            case DENSE, MEAN_OVER_TIME, MAX_OVER_TIME -> throw new AssertionError(op + " is not a row operation in place");
        }
    }
}
