package dev.vlstm.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluates the small constant subgraphs newer exporters leave around weights (Transpose, Reshape, Squeeze, Unsqueeze,
 * Concat, Slice of initializers) at conversion time. Each returns a new {@link Val.Const}; problems are
 * {@link IllegalArgumentException}s that the interpreter reports with the node's name.
 */
final class ConstFolding {
    private ConstFolding() {
    }

    /** Largest constant folded, in elements: weights of big models are far smaller than this, shape vectors tiny. */
    private static final long MAX_ELEMENTS = 1L << 28;

    static long count(long[] dims) {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        if (n > MAX_ELEMENTS) throw new IllegalArgumentException("constant of " + n + " elements is too large to fold");
        return n;
    }

    private static long[] strides(long[] dims) {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /**
     * Source indices of a strided view: element {@code idx} of an {@code out}-shaped result reads flat index
     * {@code base + sum_k idx[k] * step[k]} of the input (Transpose and Slice are both such views).
     */
    private static int[] strided(long[] out, long base, long[] step) {
        int n = (int) count(out);
        int[] src = new int[n];
        long[] idx = new long[out.length];
        for (int i = 0; i < n; i++) {
            long s = base;
            for (int k = 0; k < out.length; k++) s += idx[k] * step[k];
            src[i] = (int) s;
            for (int k = out.length - 1; k >= 0 && ++idx[k] == out[k]; k--) idx[k] = 0;
        }
        return src;
    }

    /** Builds a constant of {@code dims} whose element i is element {@code source[i]} of {@code c}. */
    private static Val.Const gather(Val.Const c, long[] dims, int[] source) {
        if (c.isFloat()) {
            float[] f = new float[source.length];
            for (int i = 0; i < f.length; i++) f[i] = c.floats()[source[i]];
            return new Val.Const(dims, f, null);
        }
        long[] v = new long[source.length];
        for (int i = 0; i < v.length; i++) v[i] = c.ints()[source[i]];
        return new Val.Const(dims, null, v);
    }

    static Val.Const transpose(Val.Const c, long[] perm) {
        int rank = c.dims().length;
        if (perm == null) {
            perm = new long[rank];
            for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        }
        if (perm.length != rank) throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " for rank " + rank);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            if (perm[i] < 0 || perm[i] >= rank) throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " is out of range");
            out[i] = c.dims()[(int) perm[i]];
        }
        long[] inStrides = strides(c.dims()), step = new long[rank];
        for (int k = 0; k < rank; k++) step[k] = inStrides[(int) perm[k]];
        return gather(c, out, strided(out, 0, step));
    }

    /** ONNX Reshape: 0 copies the input dimension (unless allowZero), one -1 is inferred. */
    static Val.Const reshape(Val.Const c, long[] target, boolean allowZero) {
        long[] out = target.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0 && !allowZero) {
                if (i >= c.dims().length) throw new IllegalArgumentException("0 at axis " + i + " past the input's rank");
                out[i] = c.dims()[i];
            }
            if (out[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("more than one -1 in " + Arrays.toString(target));
                infer = i;
            } else if (out[i] < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(target));
            } else {
                known = Math.multiplyExact(known, out[i]);
            }
        }
        long total = count(c.dims());
        if (infer >= 0) {
            if (known == 0 || total % known != 0) throw new IllegalArgumentException("cannot infer -1 in " + Arrays.toString(target));
            out[infer] = total / known;
        } else if (known != total) {
            throw new IllegalArgumentException(Arrays.toString(c.dims()) + " cannot be reshaped to " + Arrays.toString(target));
        }
        return new Val.Const(out, c.floats(), c.ints());
    }

    static Val.Const squeeze(Val.Const c, long[] axes) {
        List<Long> out = new ArrayList<>();
        int rank = c.dims().length;
        boolean[] drop = new boolean[rank];
        if (axes == null) {
            for (int i = 0; i < rank; i++) drop[i] = c.dims()[i] == 1;
        } else {
            for (long a : axes) {
                int k = (int) (a < 0 ? a + rank : a);
                if (k < 0 || k >= rank || c.dims()[k] != 1) throw new IllegalArgumentException("axis " + a + " is not of size 1");
                drop[k] = true;
            }
        }
        for (int i = 0; i < rank; i++) if (!drop[i]) out.add(c.dims()[i]);
        return new Val.Const(out.stream().mapToLong(Long::longValue).toArray(), c.floats(), c.ints());
    }

    static Val.Const unsqueeze(Val.Const c, long[] axes) {
        int rank = c.dims().length + axes.length;
        boolean[] one = new boolean[rank];
        for (long a : axes) {
            int k = (int) (a < 0 ? a + rank : a);
            if (k < 0 || k >= rank || one[k]) throw new IllegalArgumentException("axes " + Arrays.toString(axes) + " are invalid");
            one[k] = true;
        }
        long[] out = new long[rank];
        for (int i = 0, j = 0; i < rank; i++) out[i] = one[i] ? 1 : c.dims()[j++];
        return new Val.Const(out, c.floats(), c.ints());
    }

    static Val.Const concat(List<Val.Const> parts, long axis) {
        Val.Const first = parts.getFirst();
        int rank = first.dims().length;
        int a = (int) (axis < 0 ? axis + rank : axis);
        if (a < 0 || a >= rank) throw new IllegalArgumentException("axis " + axis + " for rank " + rank);
        long[] out = first.dims().clone();
        out[a] = 0;
        for (Val.Const p : parts) {
            if (p.isFloat() != first.isFloat() || p.dims().length != rank)
                throw new IllegalArgumentException("inputs differ in type or rank");
            for (int i = 0; i < rank; i++)
                if (i != a && p.dims()[i] != first.dims()[i]) throw new IllegalArgumentException("inputs differ at axis " + i);
            out[a] += p.dims()[a];
        }
        long outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= out[i];
        for (int i = a + 1; i < rank; i++) inner *= out[i];
        int n = (int) count(out);
        float[] f = first.isFloat() ? new float[n] : null;
        long[] v = first.isFloat() ? null : new long[n];
        int pos = 0;
        for (long o = 0; o < outer; o++)
            for (Val.Const p : parts) {
                int len = (int) (p.dims()[a] * inner), from = (int) (o * len);
                if (f != null) System.arraycopy(p.floats(), from, f, pos, len);
                else System.arraycopy(p.ints(), from, v, pos, len);
                pos += len;
            }
        return new Val.Const(out, f, v);
    }

    /** ONNX Slice with ONNX's clamping of starts and ends; steps may be negative. */
    static Val.Const slice(Val.Const c, long[] starts, long[] ends, long[] axes, long[] steps) {
        int rank = c.dims().length;
        long[] lo = new long[rank], step = new long[rank], out = c.dims().clone();
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            int a = (int) (axes == null ? i : axes[i] < 0 ? axes[i] + rank : axes[i]);
            if (a < 0 || a >= rank) throw new IllegalArgumentException("axis out of range");
            long dim = c.dims()[a], st = steps == null ? 1 : steps[i];
            if (st == 0) throw new IllegalArgumentException("step 0");
            long s = starts[i] < 0 ? starts[i] + dim : starts[i], e = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (st > 0) {
                s = Math.clamp(s, 0, dim);
                e = Math.clamp(e, 0, dim);
                out[a] = Math.max(0, (e - s + st - 1) / st);
            } else {
                s = Math.clamp(s, -1, dim - 1);
                e = Math.clamp(e, -1, dim - 1);
                out[a] = Math.max(0, (s - e - st - 1) / -st);
            }
            lo[a] = s;
            step[a] = st;
        }
        long[] inStrides = strides(c.dims());
        long base = 0;
        for (int k = 0; k < rank; k++) {
            base += lo[k] * inStrides[k];
            step[k] *= inStrides[k];
        }
        int[] src = strided(out, base, step);
        return gather(c, out, src);
    }
}
