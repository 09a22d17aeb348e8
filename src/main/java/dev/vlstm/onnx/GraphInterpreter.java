package dev.vlstm.onnx;

import dev.vlstm.format.Activation;
import dev.vlstm.format.Direction;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.onnx.proto.OnnxAttribute;
import dev.vlstm.onnx.proto.OnnxNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks an ONNX graph's nodes in order and recognises the model they compute: LSTM layers fed by the sequence input,
 * zero initial states however PyTorch builds them, shape arithmetic on the data's dimensions, and a linear head.
 * Each value is tracked as a {@link Val}; any node the importer cannot prove it understands for every sequence length
 * and batch size is refused with its name, op type and what was expected. Never a wrong model.
 */
final class GraphInterpreter {
    private final String file;
    private final ConstReader constants;
    private final Map<String, Val> values = new HashMap<>();
    final Pipeline pipeline = new Pipeline();
    /** The sequence length and batch size the graph was traced at, when its input shape fixes them; else -1. */
    private final long tracedSeq;
    private final long tracedBatch;

    private OnnxNode node;
    private String where;

    GraphInterpreter(String file, ConstReader constants, long tracedSeq, long tracedBatch) {
        this.file = file;
        this.constants = constants;
        this.tracedSeq = tracedSeq;
        this.tracedBatch = tracedBatch;
    }

    void define(String name, Val v) {
        values.put(name, v);
    }

    Val value(String name) {
        return values.get(name);
    }

    void run(List<OnnxNode> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            node = nodes.get(i);
            where = file + ": node '" + (node.name().isEmpty() ? "#" + i : node.name()) + "' (" + node.opType() + ")";
            if (!node.domain().isEmpty() && !node.domain().equals("ai.onnx"))
                throw fail("domain '" + node.domain() + "' is not supported; expected the default ONNX domain");
            Val[] out;
            try {
                out = interpret();
            } catch (dev.vlstm.onnx.proto.OnnxFormatException | ArithmeticException e) {
                throw fail(e.getMessage());
            }
            for (int o = 0; o < node.outputs().size(); o++) {
                String name = node.outputs().get(o);
                if (name.isEmpty()) continue;
                if (values.containsKey(name)) throw fail("output '" + name + "' is already defined by an earlier node or initializer");
                values.put(name, o < out.length ? out[o] : new Val.Unusable("output " + o + " of " + where + " is not supported"));
            }
        }
    }

    private Val[] interpret() {
        return switch (node.opType()) {
            case "Constant" -> one(constantNode());
            case "Identity" -> one(input(0));
            case "Shape" -> one(shape());
            case "Gather" -> one(gather());
            case "Unsqueeze" -> one(unsqueeze());
            case "Squeeze" -> one(squeeze());
            case "Concat" -> one(concat());
            case "Mul" -> one(mul());
            case "Cast" -> one(cast());
            case "ConstantOfShape" -> one(constantOfShape());
            case "Expand", "Slice" -> one(zerosPassThrough());
            case "LSTM" -> lstm();
            case "Reshape" -> one(reshape());
            case "Gemm" -> one(gemm());
            case "MatMul" -> one(matMul());
            case "Add" -> one(add());
            default -> throw fail("op type " + node.opType() + " is not supported; vlstm 0.1 converts stacked LSTM layers "
                    + "with an optional linear head (Gemm, or MatMul + Add) and the Shape/Gather/Unsqueeze/Concat/Mul/"
                    + "Constant/ConstantOfShape/Expand/Slice/Squeeze/Reshape nodes PyTorch writes around them");
        };
    }

    private static Val[] one(Val v) {
        return new Val[]{v};
    }

    // ---- inputs and attributes -------------------------------------------------------------------------------

    /** Input {@code i}, or null when absent (missing or an empty name, ONNX's "optional input not given"). */
    private Val optionalInput(int i) {
        if (i >= node.inputs().size() || node.inputs().get(i).isEmpty()) return null;
        String name = node.inputs().get(i);
        Val v = values.get(name);
        if (v == null)
            throw fail("input " + i + " '" + name + "' is not produced by any earlier node, initializer or graph input "
                    + "(a dangling input, a cycle, or nodes not in topological order)");
        if (v instanceof Val.Unusable u) throw fail("input " + i + " '" + name + "': " + u.why());
        return v;
    }

    private Val input(int i) {
        Val v = optionalInput(i);
        if (v == null) throw fail("input " + i + " is missing");
        return v;
    }

    private OnnxAttribute attr(String name) {
        return node.attributes().get(name);
    }

    private long intAttr(String name, long otherwise) {
        OnnxAttribute a = attr(name);
        return a == null ? otherwise : a.asInt();
    }

    private float floatAttr(String name, float otherwise) {
        OnnxAttribute a = attr(name);
        return a == null ? otherwise : a.asFloat();
    }

    private void onlyAttributes(String... allowed) {
        for (String name : node.attributes().keySet())
            if (!Arrays.asList(allowed).contains(name))
                throw fail("attribute '" + name + "' is not supported here (expected only " + Arrays.toString(allowed) + ")");
    }

    private Val.Const constInput(int i, String what) {
        Val v = input(i);
        if (v instanceof Val.Const c) return c;
        throw fail(what + " (input " + i + ") must be a constant (initializer or Constant), found " + describe(v));
    }

    private Val.Data dataInput(int i) {
        Val v = input(i);
        if (!(v instanceof Val.Data d)) throw fail("input " + i + " must be the model's sequence data, found " + describe(v));
        if (d.stage() != pipeline.stage)
            throw fail("input " + i + " is an earlier stage of the model's data; only a straight chain of layers and a head "
                    + "is supported (no branches or skip connections)");
        return d;
    }

    /** Axes from the {@code axes} attribute (opset < 13) or the second input (opset >= 13). */
    private long[] axes(int inputIndex) {
        OnnxAttribute a = attr("axes");
        if (a != null) return a.asInts();
        Val v = optionalInput(inputIndex);
        if (v == null) return null;
        if (v instanceof Val.Const c && !c.isFloat()) return c.ints();
        throw fail("axes must be a constant int64 tensor, found " + describe(v));
    }

    // ---- constants and shape arithmetic -------------------------------------------------------------------------

    private Val constantNode() {
        onlyAttributes("value", "value_float", "value_floats", "value_int", "value_ints");
        if (attr("value") != null) return constants.read(attr("value").asTensor(), where + " attribute 'value'");
        if (attr("value_float") != null) return new Val.Const(new long[0], new float[]{attr("value_float").asFloat()}, null);
        if (attr("value_floats") != null) {
            float[] f = attr("value_floats").asFloats();
            return new Val.Const(new long[]{f.length}, f, null);
        }
        if (attr("value_int") != null) return new Val.Const(new long[0], null, new long[]{attr("value_int").asInt()});
        if (attr("value_ints") != null) {
            long[] v = attr("value_ints").asInts();
            return new Val.Const(new long[]{v.length}, null, v);
        }
        throw fail("has no value attribute");
    }

    private Val shape() {
        onlyAttributes();
        Val v = input(0);
        if (v instanceof Val.Data d) return new Val.Shape(d.view(), false);
        if (v instanceof Val.Const c) return new Val.Const(new long[]{c.dims().length}, null, c.dims().clone());
        throw fail("Shape of " + describe(v) + " is not supported");
    }

    private Val gather() {
        onlyAttributes("axis");
        if (intAttr("axis", 0) != 0) throw fail("axis " + intAttr("axis", 0) + " is not supported here, expected 0");
        Val data = input(0);
        Val.Const idx = constInput(1, "indices");
        if (idx.isFloat()) throw fail("indices must be int64");
        List<DimExpr> dims;
        if (data instanceof Val.Shape s && !s.scalar()) dims = s.dims();
        else if (data instanceof Val.Const c && !c.isFloat() && c.dims().length == 1) dims = literals(c.ints());
        else throw fail("Gather is supported only on shape vectors; on " + describe(data)
                + " it would select timesteps or features (not supported yet)");
        List<DimExpr> picked = new ArrayList<>();
        for (long i : idx.ints()) {
            long k = i < 0 ? i + dims.size() : i;
            if (k < 0 || k >= dims.size()) throw fail("index " + i + " is out of range for a shape of rank " + dims.size());
            picked.add(dims.get((int) k));
        }
        return shapeOrConst(picked, idx.dims().length == 0);
    }

    private Val unsqueeze() {
        onlyAttributes("axes");
        Val v = input(0);
        long[] axes = axes(1);
        if (axes == null) throw fail("axes are missing");
        if (v instanceof Val.Shape s && s.scalar() && Arrays.equals(axes, new long[]{0})) return new Val.Shape(s.dims(), false);
        if (v instanceof Val.Const c && c.dims().length == 0 && Arrays.equals(axes, new long[]{0}))
            return new Val.Const(new long[]{1}, c.floats(), c.ints());
        if (v instanceof Val.Data d) {
            List<DimExpr> view = new ArrayList<>(d.view());
            long[] sorted = axes.clone();
            Arrays.sort(sorted);
            for (long a : sorted) {
                long k = a < 0 ? a + view.size() + axes.length : a;
                if (k < 0 || k > view.size()) throw fail("axis " + a + " is out of range");
                view.add((int) k, DimExpr.ONE);
            }
            return new Val.Data(view, d.stage());
        }
        throw fail("Unsqueeze of " + describe(v) + " with axes " + Arrays.toString(axes) + " is not supported");
    }

    private Val squeeze() {
        onlyAttributes("axes");
        Val.Data d = dataInput(0);
        long[] axes = axes(1);
        if (axes == null)
            throw fail("Squeeze without axes removes every size-1 dimension, so its result depends on the sequence length "
                    + "and batch size; expected explicit axes (PyTorch writes axes=[1] after each LSTM)");
        List<DimExpr> view = new ArrayList<>(d.view());
        boolean[] drop = new boolean[view.size()];
        for (long a : axes) {
            long k = a < 0 ? a + view.size() : a;
            if (k < 0 || k >= view.size()) throw fail("axis " + a + " is out of range for rank " + view.size());
            if (!view.get((int) k).equals(DimExpr.ONE))
                throw fail("axis " + a + " has size " + view.get((int) k) + ", expected a dimension that is always 1");
            drop[(int) k] = true;
        }
        List<DimExpr> out = new ArrayList<>();
        for (int k = 0; k < view.size(); k++) if (!drop[k]) out.add(view.get(k));
        return new Val.Data(out, d.stage());
    }

    private Val concat() {
        onlyAttributes("axis");
        if (intAttr("axis", 0) != 0) throw fail("axis " + intAttr("axis", 0) + " is not supported, expected 0");
        List<DimExpr> out = new ArrayList<>();
        for (int i = 0; i < node.inputs().size(); i++) {
            Val v = input(i);
            if (v instanceof Val.Shape s && !s.scalar()) out.addAll(s.dims());
            else if (v instanceof Val.Const c && !c.isFloat() && c.dims().length == 1) out.addAll(literals(c.ints()));
            else throw fail("Concat is supported only on shape vectors, input " + i + " is " + describe(v));
        }
        return shapeOrConst(out, false);
    }

    private Val mul() {
        onlyAttributes();
        List<DimExpr> a = shapeElements(0), b = shapeElements(1);
        if (a.size() != b.size()) throw fail("Mul of shape values with " + a.size() + " and " + b.size() + " elements");
        List<DimExpr> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) out.add(a.get(i).times(b.get(i)));
        boolean scalar = input(0) instanceof Val.Shape s ? s.scalar() : ((Val.Const) input(0)).dims().length == 0;
        return shapeOrConst(out, scalar);
    }

    private Val cast() {
        onlyAttributes("to");
        Val v = input(0);
        if ((v instanceof Val.Shape || (v instanceof Val.Const c && !c.isFloat())) && intAttr("to", 0) == 7) return v;
        throw fail("Cast is supported only for shape values cast to int64");
    }

    private Val constantOfShape() {
        onlyAttributes("value");
        input(0);
        OnnxAttribute value = attr("value");
        if (value == null) return new Val.Zeros();
        Val.Const c = constants.read(value.asTensor(), where + " attribute 'value'");
        if (c.isFloat() && c.isAllZero()) return new Val.Zeros();
        throw fail("value " + c + " is not supported; expected a float zero (PyTorch's initial states)");
    }

    /** Expand and Slice appear only in building zero initial states: of zeros they give zeros. */
    private Val zerosPassThrough() {
        Val v = input(0);
        for (int i = 1; i < node.inputs().size(); i++) optionalInput(i);
        if (v instanceof Val.Zeros || (v instanceof Val.Const c && c.isFloat() && c.isAllZero())) return new Val.Zeros();
        throw fail(node.opType() + " is supported only on all-zero tensors (PyTorch's initial states), found " + describe(v));
    }

    private List<DimExpr> shapeElements(int i) {
        Val v = input(i);
        if (v instanceof Val.Shape s) return s.dims();
        if (v instanceof Val.Const c && !c.isFloat()) return literals(c.ints());
        throw fail("input " + i + " must be a shape value, found " + describe(v));
    }

    private static List<DimExpr> literals(long[] v) {
        List<DimExpr> out = new ArrayList<>();
        for (long x : v) out.add(DimExpr.constant(x));
        return out;
    }

    private static Val shapeOrConst(List<DimExpr> dims, boolean scalar) {
        if (dims.stream().allMatch(DimExpr::isConstant)) {
            long[] v = dims.stream().mapToLong(DimExpr::coefficient).toArray();
            return new Val.Const(scalar ? new long[0] : new long[]{v.length}, null, v);
        }
        return new Val.Shape(List.copyOf(dims), scalar);
    }

    // ---- the model: LSTM layers and the head --------------------------------------------------------------------

    private Val[] lstm() {
        onlyAttributes("hidden_size", "direction", "activations", "activation_alpha", "activation_beta", "clip",
                "input_forget", "layout");
        if (pipeline.head != null) throw fail("an LSTM after the linear head is not supported");
        Val.Data x = dataInput(0);
        int layer = pipeline.layers.size();
        if (x.view().size() != 3 || !x.view().get(0).equals(DimExpr.SEQ) || !x.view().get(1).equals(DimExpr.BATCH)
                || !x.last().isConstant())
            throw fail("X has shape " + x.view() + ", expected [seq, batch, features]");
        int in = (int) x.last().coefficient();
        long hiddenAttr = intAttr("hidden_size", -1);
        if (hiddenAttr < 1) throw fail("attribute hidden_size is missing or not positive");
        int h = Math.toIntExact(hiddenAttr);
        String direction = attr("direction") == null ? "forward" : attr("direction").asString();
        if (!direction.equals("forward"))
            throw fail("direction '" + direction + "' is not supported yet by vlstm 0.1; expected 'forward'");
        for (String a : List.of("activations", "activation_alpha", "activation_beta", "clip"))
            if (attr(a) != null) throw fail("attribute '" + a + "' is not supported yet by vlstm 0.1; expected the defaults");
        if (intAttr("input_forget", 0) != 0) throw fail("input_forget=1 is not supported yet; expected 0");
        if (intAttr("layout", 0) != 0) throw fail("layout=" + intAttr("layout", 0) + " is not supported yet; expected 0");

        float[] w = weight(1, "W", 1, 4L * h, in);
        float[] r = weight(2, "R", 1, 4L * h, h);
        float[] wb = null, rb = null;
        if (optionalInput(3) != null) {
            float[] b = weight(3, "B", 1, 8L * h);
            wb = Arrays.copyOfRange(b, 0, 4 * h);
            rb = Arrays.copyOfRange(b, 4 * h, 8 * h);
        }
        if (optionalInput(4) != null) throw fail("sequence_lens is not supported yet; expected it absent");
        zeroState(5, "initial_h");
        zeroState(6, "initial_c");
        if (optionalInput(7) != null) throw fail("peepholes (input P) are not supported yet; expected P absent");

        pipeline.addLayer(LayerSpec.standard(in, h), new ModelWeights.DirectionWeights(w, r, wb, rb));
        String later = " of LSTM layer " + layer + " is not supported yet (vlstm 0.1 returns only Y)";
        return new Val[]{
                new Val.Data(List.of(DimExpr.SEQ, DimExpr.ONE, DimExpr.BATCH, DimExpr.constant(h)), pipeline.stage),
                new Val.Unusable("output Y_h" + later), new Val.Unusable("output Y_c" + later)};
    }

    private void zeroState(int i, String name) {
        Val v = optionalInput(i);
        if (v == null || v instanceof Val.Zeros || (v instanceof Val.Const c && c.isFloat() && c.isAllZero())) return;
        throw fail(name + " is " + describe(v) + "; vlstm 0.1 supports only zero initial states (absent, or built "
                + "from zeros as PyTorch does), not states given as graph inputs or non-zero constants");
    }

    /** A float constant input with exactly the given dims; returns its values row-major. */
    private float[] weight(int i, String name, long... dims) {
        Val.Const c = constInput(i, name);
        if (!c.isFloat()) throw fail(name + " must be float32, found int64");
        if (!Arrays.equals(c.dims(), dims))
            throw fail(name + " has shape " + Arrays.toString(c.dims()) + ", expected " + Arrays.toString(dims)
                    + (name.equals("W") ? " ([directions, 4*hidden, input]: the gates i, o, f, c stacked)" : ""));
        return c.floats();
    }

    private Val reshape() {
        onlyAttributes("allowzero");
        Val.Data d = dataInput(0);
        boolean allowZero = intAttr("allowzero", 0) != 0;
        List<DimExpr> target = shapeElements(1);
        DimExpr features = d.last();
        List<List<DimExpr>> candidates = List.of(
                List.of(DimExpr.SEQ.times(DimExpr.BATCH), features),
                List.of(DimExpr.SEQ, DimExpr.BATCH, features));
        for (List<DimExpr> c : candidates) {
            if (matches(target, c, d.view(), allowZero)) return new Val.Data(c, d.stage());
        }
        throw fail("target shape " + target + " on data of shape " + d.view() + " is not supported; expected "
                + "[seq*batch, features] or [seq, batch, features] (flattening the timesteps for a head, and back)"
                + (tracedSeq < 0 ? "" : " at the traced seq " + tracedSeq + " and batch " + tracedBatch));
    }

    /** Whether a Reshape target equals {@code candidate} for every seq and batch (literals checked at the traced shape). */
    private boolean matches(List<DimExpr> target, List<DimExpr> candidate, List<DimExpr> input, boolean allowZero) {
        if (target.size() != candidate.size()) return false;
        int inferred = 0;
        for (int i = 0; i < target.size(); i++) {
            DimExpr t = target.get(i), c = candidate.get(i);
            if (t.isConstant() && t.coefficient() == -1) {
                inferred++;
                continue;
            }
            if (t.isConstant() && t.coefficient() == 0 && !allowZero) t = i < input.size() ? input.get(i) : t;
            if (t.equals(c)) continue;
            boolean literalMatchesTrace = t.isConstant() && !c.isConstant() && tracedSeq > 0 && tracedBatch > 0
                    && c.at(tracedSeq, tracedBatch) == t.coefficient();
            if (!literalMatchesTrace) return false;
        }
        return inferred <= 1;
    }

    private Val gemm() {
        onlyAttributes("alpha", "beta", "transA", "transB");
        Val.Data a = dataInput(0);
        if (pipeline.head != null) throw fail("a second linear layer after the head is not supported");
        if (pipeline.layers.isEmpty()) throw fail("a Gemm before any LSTM layer is not supported");
        if (intAttr("transA", 0) != 0) throw fail("transA=1 is not supported; expected 0");
        if (a.view().size() != 2 || !a.last().isConstant())
            throw fail("A has shape " + a.view() + ", expected [seq*batch, features]");
        int in = (int) a.last().coefficient();
        Val.Const b = constInput(1, "B");
        boolean transB = intAttr("transB", 0) != 0;
        if (!b.isFloat() || b.dims().length != 2 || b.dims()[transB ? 1 : 0] != in)
            throw fail("B has shape " + Arrays.toString(b.dims()) + ", expected " + (transB ? "[out, " + in + "]" : "[" + in + ", out]"));
        int out = (int) b.dims()[transB ? 0 : 1];
        float[] weight = transB ? b.floats().clone() : transpose(b.floats(), in, out);
        float alpha = floatAttr("alpha", 1f), beta = floatAttr("beta", 1f);
        for (int i = 0; i < weight.length; i++) weight[i] *= alpha;
        float[] bias = null;
        if (optionalInput(2) != null) {
            bias = broadcastBias(constInput(2, "C"), out, "C");
            for (int i = 0; i < bias.length; i++) bias[i] *= beta;
        }
        pipeline.setHead(in, out, weight, bias);
        return new Val.Data(List.of(a.view().get(0), DimExpr.constant(out)), pipeline.stage);
    }

    private Val matMul() {
        onlyAttributes();
        Val.Data a = dataInput(0);
        if (pipeline.head != null) throw fail("a second linear layer after the head is not supported");
        if (pipeline.layers.isEmpty()) throw fail("a MatMul before any LSTM layer is not supported");
        int in = (int) a.last().coefficient();
        Val.Const b = constInput(1, "B");
        if (!b.isFloat() || b.dims().length != 2 || b.dims()[0] != in)
            throw fail("B has shape " + Arrays.toString(b.dims()) + ", expected [" + in + ", out]");
        int out = (int) b.dims()[1];
        pipeline.setHead(in, out, transpose(b.floats(), in, out), null);
        List<DimExpr> view = new ArrayList<>(a.view());
        view.set(view.size() - 1, DimExpr.constant(out));
        return new Val.Data(view, pipeline.stage);
    }

    /** Add is the bias of a MatMul head: {@code Add(bias, x)} or {@code Add(x, bias)} right after it. */
    private Val add() {
        onlyAttributes();
        int dataSide = input(0) instanceof Val.Data ? 0 : 1;
        Val.Data x = dataInput(dataSide);
        if (pipeline.head == null || pipeline.headBias != null)
            throw fail("Add is supported only as the bias right after a MatMul head");
        int out = pipeline.head.outputSize();
        pipeline.addHeadBias(broadcastBias(constInput(1 - dataSide, "bias"), out, "bias"));
        return new Val.Data(x.view(), pipeline.stage);
    }

    private float[] broadcastBias(Val.Const c, int out, String name) {
        if (!c.isFloat()) throw fail(name + " must be float32");
        for (int k = 0; k < c.dims().length - 1; k++)
            if (c.dims()[k] != 1) throw fail(name + " has shape " + Arrays.toString(c.dims()) + ", expected [" + out + "]");
        if (c.count() == out) return c.floats().clone();
        if (c.count() == 1) {
            float[] b = new float[out];
            Arrays.fill(b, c.floats()[0]);
            return b;
        }
        throw fail(name + " has shape " + Arrays.toString(c.dims()) + ", expected [" + out + "]");
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
        return t;
    }

    static String describe(Val v) {
        return switch (v) {
            case Val.Const c -> "a constant " + c;
            case Val.Shape s -> "a shape value " + s.dims();
            case Val.Zeros z -> "a zero tensor";
            case Val.Data d -> "the sequence data " + d.view();
            case Val.Unusable u -> "an unsupported value (" + u.why() + ")";
        };
    }

    private ImportException fail(String what) {
        return new ImportException(where + ": " + what);
    }
}
