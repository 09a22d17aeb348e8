package dev.vlstm.kernel;

/**
 * Runs every Vector API kernel on small made-up layers until C2 has reason to compile each one, once, when the
 * kernels are created ({@link Kernels}).
 *
 * <p>Why: C2 compiles a method as a whole only after about 600 calls with long loops (5 000 with short ones); before
 * that it runs as C1 code, where the Vector API is not intrinsified and every vector operation allocates, and a long
 * loop in it runs as an OSR compilation entered from the C1 code, whose vectors are boxed at the entry. A kernel that
 * a model calls once per call (the head, the state check) would stay there for hundreds of calls: a W3-sized model
 * (35 ms a call) allocated 140 KB per call after 6 s of warm-up (Ice Lake, 2026-12-06, f587ae1, and Zen 5 at
 * 14a294f). Called here a few thousand times each, on shapes that take every branch of every kernel (batch 1 and
 * blocks of rows, zero and carried states, partial slices and column vectors, bias or none, a split by panels), each
 * kernel is compiled before the first model runs, and no branch a model takes later is one C2 never saw.
 *
 * <p>Cost: {@value #ROUNDS} rounds, 10-60 ms once compiled but 1.1-1.4 s of one core from cold (most of it in the
 * uncompiled code the warm-up exists to leave behind; Zen 5, 2026-12-06); with the head's exp-based operations in
 * each round, 1.6-1.9 s from cold against 1.0-1.1 s without them, and 55-120 ms once compiled (Zen 3, 2026-12-07,
 * {@code KernelWarmUp.run} called in a loop). So it runs on a daemon thread of its own,
 * started when the kernels are created, and a model's first calls, which are correct either way, need not wait.
 */
final class KernelWarmUp {

    /** Enough for about 1 000 calls of the kernels called once per round (600 with long loops make C2 compile). */
    static final int ROUNDS = 1_000;
    private static final int P = LstmKernels.PANEL;

    private KernelWarmUp() {}

    /** Starts {@link #run} on a daemon thread, "vlstm-kernel-warm-up". */
    static void start(LstmKernels kernels) {
        Thread t = new Thread(() -> run(kernels), "vlstm-kernel-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /** Runs the warm-up on {@code kernels} on this thread; returns the nanoseconds it took. */
    static long run(LstmKernels kernels) {
        long start = System.nanoTime();
        // Hidden sizes: one AVX2 panel (16, the one-row step's 8-vector path), two AVX-512 panels (32, the same path
        // there), a partial slice (37) and several panels (100). Heads: a partial column vector (10) and whole ones.
        int lanes = kernels.lanes();
        Layer[] layers = {new Layer(8, 16, 10, lanes), new Layer(8, 32, 16, lanes), new Layer(5, 37, 10, lanes),
                new Layer(12, 100, 80, lanes)};
        int[] batches = {1, 5, 7, 13};
        for (int round = 0; round < ROUNDS; round++) {
            Layer l = layers[round % layers.length];
            int batch = batches[round / layers.length % batches.length];
            l.forward(kernels, batch, round % 3 == 0);
            l.reduced(kernels, batch, round % 2 == 0 ? l.bf16R : l.int8R);
        }
        return System.nanoTime() - start;
    }

    /** Made-up weights and buffers for one layer with a head: values only need to be finite. */
    private static final class Layer {
        private static final int MAX_BATCH = 13, STEPS = 2;
        final int input, hidden, units, panels, preWidth;
        final float[] w, b, r, headW, headB, x, pre, h, c, out, scratch;
        final ReducedMatrix bf16R, int8R;

        Layer(int input, int hidden, int units, int lanes) {
            this.input = input;
            this.hidden = hidden;
            this.units = units;
            panels = (hidden + P - 1) / P;
            preWidth = panels * 4 * P;
            w = filled(panels * 4 * P * input, 0.05f);
            b = filled(preWidth, 0.01f);
            r = filled(panels * 4 * P * hidden, 0.02f);
            int headPanels = (units + P - 1) / P;
            headW = filled(headPanels * P * hidden, 0.03f);
            headB = filled(headPanels * P, 0.01f);
            x = filled(STEPS * MAX_BATCH * input, 0.5f);
            pre = new float[STEPS * MAX_BATCH * preWidth];
            h = new float[(STEPS + 1) * MAX_BATCH * hidden];
            c = new float[MAX_BATCH * hidden];
            out = new float[STEPS * MAX_BATCH * units];
            float[] bf16 = r.clone();
            for (int i = 0; i < bf16.length; i++) bf16[i] = Float.intBitsToFloat(Float.floatToRawIntBits(bf16[i]) & 0xFFFF0000);
            bf16R = ReducedMatrix.bf16(bf16, hidden, lanes);
            byte[] q = new byte[r.length];
            for (int i = 0; i < q.length; i++) q[i] = (byte) (i * 37 % 255 - 127);
            float[] scales = filled(preWidth, 0.001f);
            for (int i = 0; i < scales.length; i++) scales[i] = Math.abs(scales[i]) + 1e-4f;
            int8R = ReducedMatrix.int8(q, scales, hidden, lanes);
            scratch = new float[int8R.scratchFloats(MAX_BATCH)];
        }

        /**
         * A step over a reduced R from the carried state forward left (one row streams it, several widen it a panel at
         * a time), and the general path's product over it.
         */
        void reduced(LstmKernels k, int batch, ReducedMatrix red) {
            k.lstmStep(batch, hidden, 0, panels, red, scratch, pre, 0, preWidth, h, hidden * batch, hidden, c, 0, hidden,
                    h, 2 * hidden * batch, hidden);
            k.project(h, 2 * hidden * batch, hidden, batch, red, null, 0, panels, false, scratch, pre, 0, preWidth);
            k.project(h, 2 * hidden * batch, hidden, batch, red, b, 0, panels, batch > 7, scratch, pre, 0, preWidth);
        }

        /**
         * Projection, a first step from zero, a carried step (whole, or split in two by panels), the head: its product
         * and its other operations.
         */
        void forward(LstmKernels k, int batch, boolean split) {
            int rows = STEPS * batch;
            boolean oneStep = batch > 7;      // a single timestep's projection leaves out gate f
            k.project(x, 0, input, rows, input, w, b, 0, panels, 4, oneStep, pre, 0, preWidth, preWidth);
            k.lstmStep(batch, hidden, 0, panels, r, pre, 0, preWidth, null, 0, hidden, c, 0, hidden, h, hidden * batch,
                    hidden);
            int at = batch * preWidth;
            if (split && panels > 1) {
                k.lstmStep(batch, hidden, 0, 1, r, pre, at, preWidth, h, hidden * batch, hidden, c, 0, hidden, h,
                        2 * hidden * batch, hidden);
                k.lstmStep(batch, hidden, 1, panels - 1, r, pre, at, preWidth, h, hidden * batch, hidden, c, 0, hidden,
                        h, 2 * hidden * batch, hidden);
            } else {
                k.lstmStep(batch, hidden, r, pre, at, preWidth, h, hidden * batch, hidden, c, 0, hidden, h,
                        2 * hidden * batch, hidden);
            }
            k.project(h, hidden * batch, hidden, rows, hidden, headW, split ? null : headB, (units + P - 1) / P, 1,
                    out, 0, units, units);
            headOperations(k, rows, split);
            k.allAbsAtMost(c, 0, hidden, batch, hidden, 0f);                          // false: c is not zero
            k.allAbsAtMost(x, 0, input, rows, input, 1e30f);                          // dense rows: true
            k.allAbsAtMost(pre, 0, preWidth, batch, hidden, Float.POSITIVE_INFINITY); // strided rows
            k.allAbsAtMost(h, 0, hidden, batch, hidden, 0f);                          // h[0] rows: zero, true
        }

        /**
         * The head's row operations on the head's output rows ({@code units} wide: narrower than a vector, with a
         * tail, or whole vectors), all but the last two on values of both signs (the dense product's, and what GELU,
         * Elu and layer norm leave), so that the plain-Java tails see both branches; the next round's product
         * rewrites the rows.
         */
        private void headOperations(LstmKernels k, int rows, boolean log) {
            int n = rows * units;
            k.activate(LstmKernels.Pointwise.GELU_TANH, 0f, out, 0, n);
            k.activate(LstmKernels.Pointwise.GELU, 0f, out, 0, n);
            k.activate(LstmKernels.Pointwise.ELU, 1f, out, 0, n);
            k.layerNorm(out, 0, rows, units, headB, headB, 1e-5f);
            k.activate(LstmKernels.Pointwise.SOFTPLUS, 0f, out, 0, n);
            k.softmax(out, 0, rows, units, log);
        }

        private static float[] filled(int n, float scale) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = scale * ((i * 37 % 101) / 50f - 1f);
            return a;
        }
    }
}
