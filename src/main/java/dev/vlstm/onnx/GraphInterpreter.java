package dev.vlstm.onnx;

import dev.vlstm.format.Direction;
import dev.vlstm.format.HeadOp;
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
 * zero initial states however PyTorch builds them, shape arithmetic on the data's dimensions, and a head of dense
 * layers, activations, softmax and layer normalisation.
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
    /** The model's default-domain opset: Softmax's axis default and semantics changed at 13. */
    private final long opset;

    private OnnxNode node;
    private String where;

    GraphInterpreter(String file, ConstReader constants, long tracedSeq, long tracedBatch, long opset) {
        this.file = file;
        this.opset = opset;
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
            } catch (dev.vlstm.onnx.proto.OnnxFormatException | ArithmeticException | IllegalArgumentException e) {
                // IllegalArgumentException: ConstFolding's refusals (a bad perm, axis or shape), which escaped before.
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
            case "Dropout" -> one(dropout());
            case "Shape" -> one(shape());
            case "Gather" -> one(gather());
            case "Unsqueeze" -> one(unsqueeze());
            case "Squeeze" -> one(squeeze());
            case "Concat" -> one(concat());
            case "Mul" -> one(mul());
            case "Sub" -> one(inputAffine('-'));
            case "Div" -> one(inputAffine('/'));
            case "Cast" -> one(cast());
            case "ConstantOfShape" -> one(constantOfShape());
            case "Expand" -> one(zerosPassThrough());
            case "Slice" -> one(slice());
            case "Transpose" -> one(transpose());
            case "LSTM" -> lstm();
            case "Reshape" -> one(reshape());
            case "Gemm" -> one(gemm());
            case "MatMul" -> one(matMul());
            case "Add" -> one(add());
            case "Relu" -> one(pointwise(HeadOp.Kind.RELU, 0f));
            case "LeakyRelu" -> one(pointwise(HeadOp.Kind.LEAKY_RELU, floatAttr("alpha", 0.01f)));
            case "Tanh" -> one(pointwise(HeadOp.Kind.TANH, 0f));
            case "Sigmoid" -> one(pointwise(HeadOp.Kind.SIGMOID, 0f));
            case "Elu" -> one(pointwise(HeadOp.Kind.ELU, floatAttr("alpha", 1f)));
            case "Softplus" -> one(pointwise(HeadOp.Kind.SOFTPLUS, 0f));
            case "Gelu" -> one(gelu());
            case "Softmax" -> one(softmax(HeadOp.Kind.SOFTMAX));
            case "LogSoftmax" -> one(softmax(HeadOp.Kind.LOG_SOFTMAX));
            case "LayerNormalization" -> one(layerNorm());
            case "ReduceMean" -> one(poolOverTime(HeadOp.Kind.MEAN_OVER_TIME));
            case "ReduceMax" -> one(poolOverTime(HeadOp.Kind.MAX_OVER_TIME));
            case HeadPatterns.LAYER_NORM -> one(decomposedLayerNorm());
            case HeadPatterns.GELU -> one(decomposedGelu(false));
            case HeadPatterns.GELU_TANH -> one(decomposedGelu(true));
            case "GRU", "RNN" -> throw fail("vlstm runs LSTM layers only; a " + node.opType() + " layer cannot be "
                    + "converted (export the model with nn.LSTM)");
            default -> throw fail("op type " + node.opType() + " is not supported; vlstm converts stacked LSTM layers "
                    + "with a head of dense layers (Gemm, or MatMul + Add), Relu/LeakyRelu/Tanh/Sigmoid/Elu/Softplus/Gelu, "
                    + "Softmax/LogSoftmax and LayerNormalization, and the Shape/Gather/Unsqueeze/Concat/Mul/"
                    + "Constant/ConstantOfShape/Expand/Slice/Squeeze/Reshape/Transpose nodes PyTorch writes around them");
        };
    }

    /**
     * Folded constants are kept until the import ends, and a few nodes can make them grow without bound (each Concat
     * doubling the last: 2^30 floats from a file of a kilobyte). Folding stops at this many elements in all
     * (256 MB of floats), far above the weights a folded LSTM export holds.
     */
    static final long MAX_FOLDED_ELEMENTS = 1L << 26;
    /** Shape vectors hold one element per dimension; real ones have fewer than ten. */
    static final int MAX_SHAPE_ELEMENTS = 1024;
    private long foldedElements;

    /** Runs a folding step that allocates at most {@code elements} new elements, within {@link #MAX_FOLDED_ELEMENTS}. */
    private Val.Const folded(long elements, java.util.function.Supplier<Val.Const> fold) {
        if (foldedElements + elements > MAX_FOLDED_ELEMENTS)
            throw fail("constant folding would hold " + (foldedElements + elements) + " elements, more than "
                    + MAX_FOLDED_ELEMENTS + "; refusing");
        foldedElements += elements;
        return fold.get();
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
        long axis = intAttr("axis", 0);
        Val data = input(0);
        Val.Const idx = constInput(1, "indices");
        if (idx.isFloat()) throw fail("indices must be int64");
        if (data instanceof Val.Data d) return lastStep(d, axis, idx);
        if (data instanceof Val.FinalState f) {
            if (axis != (f.batchMajor() ? 1 : 0) || idx.dims().length != 0)
                throw fail("Gather with axis " + axis + " and indices " + idx + " on " + describe(f) + "; expected one "
                        + "state slot: a scalar index on axis " + (f.batchMajor() ? 1 : 0) + " (h_n[-1])");
            long n = f.to() - f.from(), i = idx.ints()[0], k = i < 0 ? i + n : i;
            if (k < 0 || k >= n) throw fail("index " + i + " is out of range for " + n + " state slots");
            return topFinalH(f, f.from() + (int) k);
        }
        if (axis != 0) throw fail("axis " + axis + " is not supported here, expected 0");
        List<DimExpr> dims;
        if (data instanceof Val.Shape s && !s.scalar()) dims = s.dims();
        else if (data instanceof Val.Const c && !c.isFloat() && c.dims().length == 1) dims = literals(c.ints());
        else throw fail("Gather is supported on shape vectors and on the sequence data; found " + describe(data));
        List<DimExpr> picked = new ArrayList<>();
        for (long i : idx.ints()) {
            long k = i < 0 ? i + dims.size() : i;
            if (k < 0 || k >= dims.size()) throw fail("index " + i + " is out of range for a shape of rank " + dims.size());
            picked.add(dims.get((int) k));
        }
        return shapeOrConst(picked, idx.dims().length == 0);
    }

    /** Many-to-one: Gather(index -1) of the time axis keeps the last timestep, {@code [batch, features]}. */
    private Val lastStep(Val.Data d, long axis, Val.Const idx) {
        dataInput(0);
        int timeAxis = d.form() == Val.Form.TIME_MAJOR ? 0 : d.form() == Val.Form.BATCH_MAJOR ? 1 : -1;
        if (timeAxis < 0 || d.view().size() != 3 || !d.view().get(timeAxis).equals(DimExpr.SEQ))
            throw fail("Gather on the sequence data " + d.view() + " is supported only to take the last timestep");
        if (axis != timeAxis || idx.dims().length != 0 || idx.ints()[0] != -1)
            throw fail("Gather with axis " + axis + " and indices " + idx + " on data " + d.view()
                    + "; expected the last timestep: axis " + timeAxis + ", index -1");
        pipeline.stage++;
        return new Val.Data(List.of(DimExpr.BATCH, d.last()), pipeline.stage, Val.Form.LAST_STEP);
    }

    /**
     * {@code nn.Dropout} in an exported model: at inference ONNX's Dropout passes its input through (opsets 7 and
     * later), unless its {@code training_mode} input (opset 12 and later) is true or not a constant. Its mask output
     * is not supported, and a {@code training_mode} given as a bool tensor is refused by the constant reader, which
     * reads float32, int64 and int32 only (PyTorch's eval-mode exports leave Dropout out altogether).
     */
    private Val dropout() {
        onlyAttributes("ratio", "seed");
        Val mode = optionalInput(2);
        boolean inference = mode == null
                || mode instanceof Val.Const c && c.count() == 1 && (c.isFloat() ? c.floats()[0] == 0 : c.ints()[0] == 0);
        if (!inference)
            throw fail("training_mode is " + describe(mode) + "; expected absent or a constant false (inference)");
        if (node.outputs().size() > 1 && !node.outputs().get(1).isEmpty())
            throw fail("the mask output of Dropout is not supported");
        return input(0);
    }

    /**
     * A classifier on the final state, PyTorch's {@code h_n[-1]} (or {@code h_n.squeeze(0)} of one layer), and for a
     * bidirectional top layer {@code cat((h_n[-2], h_n[-1]), dim=1)}: the final h of the top layer's state slots,
     * {@code [batch, hidden]} each. The final h of a forward top layer without sequence lengths is that layer's output
     * at the last timestep, t = seq - 1: the last-step output (format role 17), which streams like {@code out[-1]}. A
     * reverse top layer, or a forward one with sequence lengths, gives the final-state output (role 21). One direction
     * of a bidirectional top layer is half of one ({@link Val.TopFinalHalf}) until the Concat that joins both
     * ({@link #concatHalves}). An earlier layer's slot and the final c are refused.
     */
    private Val topFinalH(Val.FinalState f, int slot) {
        if (f.cell()) throw fail("the final c is used as data; vlstm takes the final h of the top layer (h_n[-1]) only");
        LayerSpec top = pipeline.layers.getLast();
        int topSlots = top.direction().count, firstTop = pipeline.slots - topSlots;
        if (slot < firstTop || !pipeline.head.isEmpty())
            throw fail("state slot " + slot + " is not the top layer's final h; a head can read the top layer's final h"
                    + " (slot" + (topSlots == 1 ? " " + firstTop + ", h_n[-1]" : "s " + firstTop + " and " + (firstTop + 1)
                    + ", cat((h_n[-2], h_n[-1]), dim=1)") + ") only");
        if (top.direction() == Direction.BIDIRECTIONAL) return new Val.TopFinalHalf(slot - firstTop, top.hiddenSize());
        boolean lastStep = top.direction() == Direction.FORWARD && pipeline.layersWithLengths == 0;
        pipeline.stage++;
        return new Val.Data(List.of(DimExpr.BATCH, DimExpr.constant(top.hiddenSize())), pipeline.stage,
                lastStep ? Val.Form.LAST_STEP : Val.Form.FINAL_STATE);
    }

    /** {@code torch.cat((h_n[-2], h_n[-1]), dim=1)} of a bidirectional top layer: both directions, forward first. */
    private Val concatHalves(long axis) {
        if (node.inputs().size() != 2 || !(input(0) instanceof Val.TopFinalHalf a) || !(input(1) instanceof Val.TopFinalHalf b)
                || a.direction() != 0 || b.direction() != 1)
            throw fail("Concat of " + node.inputs().size() + " inputs starting with " + describe(input(0)) + "; expected "
                    + "the forward then the reverse direction's final h of the bidirectional top layer, PyTorch's "
                    + "cat((h_n[-2], h_n[-1]), dim=1)");
        if (axis != 1 && axis != -1) throw fail("axis " + axis + ", expected 1 (the features of [batch, hidden])");
        pipeline.stage++;
        return new Val.Data(List.of(DimExpr.BATCH, DimExpr.constant(2L * a.hidden())), pipeline.stage, Val.Form.FINAL_STATE);
    }

    private Val unsqueeze() {
        onlyAttributes("axes");
        Val v = input(0);
        long[] axes = axes(1);
        if (axes == null) throw fail("axes are missing");
        if (v instanceof Val.Shape s && s.scalar() && Arrays.equals(axes, new long[]{0})) return new Val.Shape(s.dims(), false);
        if (v instanceof Val.Const c) return ConstFolding.unsqueeze(c, axes);
        if (v instanceof Val.Data d) {
            dataInput(0);
            List<DimExpr> view = new ArrayList<>(d.view());
            long[] sorted = axes.clone();
            Arrays.sort(sorted);
            for (long a : sorted) {
                long k = a < 0 ? a + view.size() + axes.length : a;
                if (k < 0 || k > view.size()) throw fail("axis " + a + " is out of range");
                view.add((int) k, DimExpr.ONE);
            }
            return new Val.Data(view, d.stage(), d.form());
        }
        throw fail("Unsqueeze of " + describe(v) + " with axes " + Arrays.toString(axes) + " is not supported");
    }

    private Val squeeze() {
        onlyAttributes("axes");
        long[] axes = axes(1);
        if (input(0) instanceof Val.Const c) return ConstFolding.squeeze(c, axes);
        if (input(0) instanceof Val.FinalState f) {       // one layer's h_n.squeeze(0): its one slot
            long slotAxis = f.batchMajor() ? 1 : 0;
            if (axes == null || axes.length != 1 || axes[0] != slotAxis || f.to() - f.from() != 1)
                throw fail("Squeeze of " + describe(f) + " with axes " + Arrays.toString(axes) + "; expected the one "
                        + "slot of a single-direction final h on axis " + slotAxis);
            return topFinalH(f, f.from());
        }
        Val.Data d = dataInput(0);
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
        return new Val.Data(out, d.stage(), d.form());
    }

    private Val concat() {
        onlyAttributes("axis");
        long axis = intAttr("axis", 0);
        Val first = input(0);
        if (first instanceof Val.FinalState) return concatStates(axis);
        if (first instanceof Val.TopFinalHalf) return concatHalves(axis);
        if (first instanceof Val.Const c0 && c0.isFloat()) {
            List<Val.Const> parts = new ArrayList<>();
            for (int i = 0; i < node.inputs().size(); i++) parts.add(constInput(i, "input " + i));
            long total = 0;
            for (Val.Const p : parts) total += p.count();
            return folded(total, () -> ConstFolding.concat(parts, axis));
        }
        if (axis != 0) throw fail("axis " + axis + " is not supported for shape vectors, expected 0");
        List<DimExpr> out = new ArrayList<>();
        for (int i = 0; i < node.inputs().size(); i++) {
            Val v = input(i);
            if (v instanceof Val.Shape s && !s.scalar()) out.addAll(s.dims());
            else if (v instanceof Val.Const c && !c.isFloat() && c.dims().length == 1) out.addAll(literals(c.ints()));
            else throw fail("Concat is supported on shape vectors, float constants and final states; input " + i + " is " + describe(v));
            if (out.size() > MAX_SHAPE_ELEMENTS)
                throw fail("a shape vector of " + out.size() + " elements; expected at most " + MAX_SHAPE_ELEMENTS);
        }
        return shapeOrConst(out, false);
    }

    /** PyTorch's h_n / c_n: the layers' Y_h (or Y_c) concatenated in order along the layers × directions axis. */
    private Val concatStates(long axis) {
        Val.FinalState first = (Val.FinalState) input(0);
        long expectedAxis = first.batchMajor() ? 1 : 0;
        if (axis != expectedAxis) throw fail("final states are concatenated on axis " + axis + ", expected " + expectedAxis);
        int to = first.from();
        for (int i = 0; i < node.inputs().size(); i++) {
            if (!(input(i) instanceof Val.FinalState f) || f.cell() != first.cell() || f.from() != to)
                throw fail("input " + i + " is " + describe(input(i)) + "; expected the next layer's final "
                        + (first.cell() ? "c" : "h") + " (slots from " + to + ")");
            to = f.to();
        }
        return new Val.FinalState(first.cell(), first.from(), to, first.batchMajor());
    }

    private Val mul() {
        onlyAttributes();
        if (input(0) instanceof Val.Data || input(1) instanceof Val.Data) return inputAffine('*');
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

    /** Expand appears in building zero initial states: of zeros it gives zeros. */
    private Val zerosPassThrough() {
        Val v = input(0);
        for (int i = 1; i < node.inputs().size(); i++) optionalInput(i);
        if (v instanceof Val.Zeros || (v instanceof Val.Const c && c.isFloat() && c.isAllZero())) return new Val.Zeros();
        throw fail(node.opType() + " is supported only on all-zero tensors (PyTorch's initial states), found " + describe(v));
    }

    /** Slice: of zeros (initial states), of constants (folded), or of a state input along its layers axis (h0[l]). */
    private Val slice() {
        onlyAttributes("starts", "ends", "axes");
        Val v = input(0);
        long[] starts, ends, axes, steps;
        if (attr("starts") != null) {
            starts = attr("starts").asInts();
            // Opset < 10 Slice: ends is as required as starts (fuzzer finding crash-f64fd05c: a NullPointerException).
            if (attr("ends") == null) throw fail("attribute 'starts' without 'ends'");
            ends = attr("ends").asInts();
            axes = attr("axes") == null ? null : attr("axes").asInts();
            steps = null;
        } else {
            starts = intsInput(1, "starts");
            ends = intsInput(2, "ends");
            axes = optionalInput(3) == null ? null : intsInput(3, "axes");
            steps = optionalInput(4) == null ? null : intsInput(4, "steps");
        }
        if (starts.length != ends.length || (axes != null && axes.length != starts.length)
                || (steps != null && steps.length != starts.length))
            throw fail("starts, ends, axes and steps differ in length");
        if (v instanceof Val.Zeros || (v instanceof Val.Const z && z.isFloat() && z.isAllZero())) return new Val.Zeros();
        if (v instanceof Val.Const c) {
            long[] s0 = starts, e0 = ends, a0 = axes, st0 = steps;
            return folded(c.count(), () -> ConstFolding.slice(c, s0, e0, a0, st0));
        }
        if (v instanceof Val.GraphInput g && g.dims().size() == 3) {
            long slots = g.dims().getFirst();
            boolean ok = starts.length == 1 && (axes == null || axes[0] == 0) && (steps == null || steps[0] == 1)
                    && starts[0] >= 0 && ends[0] > starts[0] && ends[0] <= Integer.MAX_VALUE && (slots < 0 || ends[0] <= slots);
            if (!ok) throw fail("slicing the state input '" + g.name() + "' is supported only along axis 0 with step 1");
            return new Val.StateSlice(g.name(), (int) starts[0], (int) ends[0]);
        }
        if (v instanceof Val.FinalState f) {      // h_n[-1:] (opset 9 writes h_n[-1] as Slice then Squeeze)
            long n = f.to() - f.from(), axis = f.batchMajor() ? 1 : 0;
            boolean ok = starts.length == 1 && (axes == null ? axis == 0 : axes[0] == axis || axes[0] == axis - 3)
                    && (steps == null || steps[0] == 1);
            if (!ok) throw fail("Slice of " + describe(f) + " is supported only along its slot axis " + axis + " with step 1");
            long from = clampIndex(starts[0], n), to = clampIndex(ends[0], n);
            if (to <= from) throw fail("the slice [" + starts[0] + ", " + ends[0] + ") of " + n + " state slots is empty");
            return new Val.FinalState(f.cell(), f.from() + (int) from, f.from() + (int) to, f.batchMajor());
        }
        throw fail("Slice of " + describe(v) + " is not supported");
    }

    /** An ONNX Slice start or end on an axis of {@code n}: negative counts from the end, then clamped to 0..n. */
    private static long clampIndex(long i, long n) {
        return i < 0 ? Math.max(0, i + n) : Math.min(i, n);
    }

    private long[] intsInput(int i, String what) {
        Val.Const c = constInput(i, what);
        if (c.isFloat()) throw fail(what + " must be int64");
        return c.ints();
    }

    /**
     * Transpose: PyTorch's {@code [0, 2, 1, 3]} joining a bidirectional LSTM's two directions, {@code [1, 0, 2]} for
     * batch_first, or any permutation of a constant.
     */
    private Val transpose() {
        onlyAttributes("perm");
        long[] perm = attr("perm") == null ? null : attr("perm").asInts();
        Val v = input(0);
        if (v instanceof Val.Const c) return folded(c.count(), () -> ConstFolding.transpose(c, perm));
        Val.Data d = dataInput(0);
        List<DimExpr> view = d.view();
        if (d.form() == Val.Form.LAYER_Y && Arrays.equals(perm, new long[]{0, 2, 1, 3}))
            return new Val.Data(List.of(view.get(0), view.get(2), view.get(1), view.get(3)), d.stage(), Val.Form.TIME_MAJOR);
        boolean swap = Arrays.equals(perm, new long[]{1, 0, 2}) && view.size() == 3;
        if (swap && d.form() == Val.Form.TIME_MAJOR && view.get(0).equals(DimExpr.SEQ) && view.get(1).equals(DimExpr.BATCH))
            return new Val.Data(List.of(DimExpr.BATCH, DimExpr.SEQ, d.last()), d.stage(), Val.Form.BATCH_MAJOR);
        if (swap && d.form() == Val.Form.BATCH_MAJOR && view.get(0).equals(DimExpr.BATCH) && view.get(1).equals(DimExpr.SEQ))
            return new Val.Data(List.of(DimExpr.SEQ, DimExpr.BATCH, d.last()), d.stage(), Val.Form.TIME_MAJOR);
        throw fail("perm " + Arrays.toString(perm) + " on data " + view + " (" + d.form() + ") is not supported; expected "
                + "[0, 2, 1, 3] after a bidirectional LSTM or [1, 0, 2] between [seq, batch, features] and [batch, seq, features]");
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
        if (!pipeline.head.isEmpty()) throw fail("an LSTM after the head (" + pipeline.head.getFirst() + ") is not supported");
        int layer = pipeline.layers.size();
        long layout = intAttr("layout", 0);
        if (layout != 0 && layout != 1) throw fail("layout " + layout + ", expected 0 or 1");
        if (pipeline.nodeLayout >= 0 && pipeline.nodeLayout != layout)
            throw fail("layout " + layout + " differs from the earlier LSTM nodes' " + pipeline.nodeLayout);
        pipeline.nodeLayout = (int) layout;
        Val.Data x = dataInput(0);
        List<DimExpr> expect = layout == 0 ? List.of(DimExpr.SEQ, DimExpr.BATCH) : List.of(DimExpr.BATCH, DimExpr.SEQ);
        Val.Form form = layout == 0 ? Val.Form.TIME_MAJOR : Val.Form.BATCH_MAJOR;
        if (x.form() != form || x.view().size() != 3 || !x.view().subList(0, 2).equals(expect) || !x.last().isConstant())
            throw fail("X is " + describe(x) + ", expected " + (layout == 0 ? "[seq, batch, features]" : "[batch, seq, features]")
                    + " for layout " + layout);
        int in = (int) x.last().coefficient();
        long hiddenAttr = intAttr("hidden_size", -1);
        if (hiddenAttr < 1 || hiddenAttr > 65_536) throw fail("attribute hidden_size is missing or not in 1..65536");
        int h = (int) hiddenAttr;
        String dirName = attr("direction") == null ? "forward" : attr("direction").asString();
        Direction direction = null;
        for (Direction d : Direction.values()) if (d.onnxName.equals(dirName)) direction = d;
        if (direction == null) throw fail("direction '" + dirName + "', expected forward, reverse or bidirectional");
        int dirs = direction.count;
        float clip = Float.POSITIVE_INFINITY;
        if (attr("clip") != null) {
            clip = floatAttr("clip", 0);
            if (!(clip > 0)) throw fail("clip " + clip + ", expected a positive number");
        }
        long inputForget = intAttr("input_forget", 0);
        if (inputForget != 0 && inputForget != 1) throw fail("input_forget " + inputForget + ", expected 0 or 1");
        List<dev.vlstm.format.GateActivations> acts;
        try {
            acts = LstmActivations.parse(attr("activations") == null ? List.of() : attr("activations").asStrings(),
                    attr("activation_alpha") == null ? new float[0] : attr("activation_alpha").asFloats(),
                    attr("activation_beta") == null ? new float[0] : attr("activation_beta").asFloats(), dirs);
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
        }

        float[] w = weight(1, "W", dirs, 4L * h, in);
        float[] r = weight(2, "R", dirs, 4L * h, h);
        float[] b = optionalInput(3) == null ? null : weight(3, "B", dirs, 8L * h);
        float[] p = optionalInput(7) == null ? null : weight(7, "P", dirs, 3L * h);
        if (layer == 0 && pipeline.inputScale != null) {
            float[][] folded = foldInputAffine(w, b, dirs, h, in);
            w = folded[0];
            b = folded[1];
        }
        Val lens = optionalInput(4);
        if (lens instanceof Val.Const c) {
            constantLengths(c);
        } else if (lens != null) {
            if (!(lens instanceof Val.GraphInput g) || g.dims().size() != 1)
                throw fail("sequence_lens is " + describe(lens) + "; expected a graph input of shape [batch], or a constant");
            if (pipeline.constantLengths != null) throw fail("sequence_lens is a graph input here and a constant in an earlier layer");
            claim(g.name(), "sequence_lens");
            pipeline.layersWithLengths++;
        }
        stateSource(5, "initial_h", dirs, layout == 1);
        stateSource(6, "initial_c", dirs, layout == 1);

        List<ModelWeights.DirectionWeights> weights = new ArrayList<>();
        for (int d = 0; d < dirs; d++) {
            weights.add(new ModelWeights.DirectionWeights(
                    Arrays.copyOfRange(w, d * 4 * h * in, (d + 1) * 4 * h * in),
                    Arrays.copyOfRange(r, d * 4 * h * h, (d + 1) * 4 * h * h),
                    b == null ? null : Arrays.copyOfRange(b, d * 8 * h, d * 8 * h + 4 * h),
                    b == null ? null : Arrays.copyOfRange(b, d * 8 * h + 4 * h, (d + 1) * 8 * h),
                    p == null ? null : Arrays.copyOfRange(p, d * 3 * h, (d + 1) * 3 * h)));
        }
        int firstSlot = pipeline.slots;
        pipeline.addLayer(new LayerSpec(in, h, direction, clip, inputForget == 1, p != null, acts), weights);
        List<DimExpr> yView = layout == 0 ? List.of(DimExpr.SEQ, DimExpr.constant(dirs), DimExpr.BATCH, DimExpr.constant(h))
                : List.of(DimExpr.BATCH, DimExpr.SEQ, DimExpr.constant(dirs), DimExpr.constant(h));
        Val.Form yForm = layout == 1 ? Val.Form.BATCH_MAJOR : dirs == 1 ? Val.Form.TIME_MAJOR : Val.Form.LAYER_Y;
        return new Val[]{
                new Val.Data(yView, pipeline.stage, yForm),
                new Val.FinalState(false, firstSlot, firstSlot + dirs, layout == 1),
                new Val.FinalState(true, firstSlot, firstSlot + dirs, layout == 1)};
    }

    /** A graph input may have one role only. */
    private void claim(String input, String role) {
        String other = pipeline.stateInputs.get(role);
        if (other != null && !other.equals(input))
            throw fail(role + " comes from graph input '" + input + "', earlier layers used '" + other + "'");
        for (var e : pipeline.stateInputs.entrySet())
            if (e.getValue().equals(input) && !e.getKey().equals(role))
                throw fail("graph input '" + input + "' is used as " + role + " and as " + e.getKey());
        pipeline.stateInputs.put(role, input);
    }

    /** initial_h / initial_c: absent or zeros, or this layer's slots of a state graph input. */
    private void stateSource(int i, String role, int dirs, boolean batchMajor) {
        Val v = optionalInput(i);
        if (v == null || v instanceof Val.Zeros || (v instanceof Val.Const c && c.isFloat() && c.isAllZero())) return;
        int from = pipeline.slots;
        Val.StateSlice slice = null;
        if (v instanceof Val.StateSlice s) slice = s;
        if (v instanceof Val.GraphInput g && g.dims().size() == 3) {  // the whole input, used by one layer
            long slots = g.dims().get(batchMajor ? 1 : 0);
            slice = new Val.StateSlice(g.name(), 0, slots > 0 ? (int) slots : dirs);
        }
        if (slice == null)
            throw fail(role + " is " + describe(v) + "; expected zeros or a graph input (PyTorch's h0/c0, sliced per layer)");
        if (batchMajor && pipeline.slots > 0)
            throw fail(role + ": state inputs of layout-1 LSTM nodes are supported for a single layer only");
        if (slice.from() != from || slice.to() != from + dirs)
            throw fail(role + " takes slots [" + slice.from() + ", " + slice.to() + ") of '" + slice.name()
                    + "', expected this layer's slots [" + from + ", " + (from + dirs) + ")");
        claim(slice.name(), role);
        if (role.equals("initial_h")) pipeline.layersWithInitialH++;
        else pipeline.layersWithInitialC++;
    }

    /**
     * sequence_lens as a constant (int32 or int64 initializer, ONNX's node tests with their inputs baked in): kept for
     * the model, valid at its own batch size (the runtime refuses another). Every layer must use the same constant.
     */
    private void constantLengths(Val.Const c) {
        if (c.isFloat() || c.dims().length != 1 || c.count() < 1)
            throw fail("sequence_lens is " + describe(c) + "; expected an int32 or int64 constant of shape [batch]");
        for (int i = 0; i < c.count(); i++)
            if (c.ints()[i] < 0 || c.ints()[i] > 1 << 24)
                throw fail("sequence_lens holds " + c.ints()[i] + " at row " + i + "; expected 0.." + (1 << 24));
        if (tracedBatch > 0 && c.count() != tracedBatch)
            throw fail("sequence_lens is a constant of " + c.count() + " rows, but the graph's batch is " + tracedBatch);
        if (!pipeline.layers.isEmpty() && !Arrays.equals(pipeline.constantLengths, c.ints()))
            throw fail("sequence_lens is a constant " + describe(c) + " that differs from the earlier layers' sequence lengths");
        pipeline.constantLengths = c.ints().clone();
        pipeline.constantLengthsName = node.input(4);
        pipeline.layersWithLengths++;
    }

    /** A float constant input with exactly the given dims; returns its values row-major. */
    private float[] weight(int i, String name, long... dims) {
        Val.Const c = constInput(i, name);
        if (!c.isFloat()) throw fail(name + " must be float32, found an integer tensor (int32 or int64)");
        if (!Arrays.equals(c.dims(), dims))
            throw fail(name + " has shape " + Arrays.toString(c.dims()) + ", expected " + Arrays.toString(dims)
                    + (name.equals("W") ? " ([directions, 4*hidden, input]: the gates i, o, f, c stacked)" : ""));
        return c.floats();
    }

    private Val reshape() {
        onlyAttributes("allowzero");
        boolean allowZero = intAttr("allowzero", 0) != 0;
        if (input(0) instanceof Val.Const c) {
            try {
                return ConstFolding.reshape(c, intsInput(1, "shape"), allowZero);
            } catch (IllegalArgumentException e) {
                throw fail(e.getMessage());
            }
        }
        Val.Data d = dataInput(0);
        List<DimExpr> target = shapeElements(1);
        DimExpr features = DimExpr.ONE;
        for (DimExpr e : d.view()) if (e.isConstant()) features = features.times(e);
        List<DimExpr> rows = switch (d.form()) {
            case TIME_MAJOR -> List.of(DimExpr.SEQ, DimExpr.BATCH);
            case BATCH_MAJOR -> List.of(DimExpr.BATCH, DimExpr.SEQ);
            case LAST_STEP, FINAL_STATE, POOLED -> List.of(DimExpr.BATCH);
            case LAYER_Y -> throw fail("a bidirectional LSTM's Y must be transposed with perm [0, 2, 1, 3] before it is reshaped");
        };
        DimExpr flat = rows.size() == 2 ? rows.get(0).times(rows.get(1)) : rows.getFirst();
        List<List<DimExpr>> candidates = rows.size() == 2
                ? List.of(List.of(flat, features), List.of(rows.get(0), rows.get(1), features))
                : List.of(List.of(flat, features));
        for (List<DimExpr> c : candidates) {
            if (matches(target, c, d.view(), allowZero)) return new Val.Data(c, d.stage(), d.form());
        }
        throw fail("target shape " + target + " on data of shape " + d.view() + " is not supported; expected "
                + candidates.stream().map(Object::toString).collect(java.util.stream.Collectors.joining(" or "))
                + " (flattening the timesteps for a head, and back)"
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
        if (pipeline.layers.isEmpty()) throw fail("a Gemm before any LSTM layer is not supported");
        if (intAttr("transA", 0) != 0) throw fail("transA=1 is not supported; expected 0");
        if (a.view().size() != 2 || !a.last().isConstant() || a.form() == Val.Form.LAYER_Y)
            throw fail("A has shape " + a.view() + ", expected [seq*batch, features] or [batch, features]");
        int in = (int) a.last().coefficient();
        Val.Const b = constInput(1, "B");
        boolean transB = intAttr("transB", 0) != 0;
        if (!b.isFloat() || b.dims().length != 2 || b.dims()[transB ? 1 : 0] != in || b.dims()[transB ? 0 : 1] < 1)
            throw fail("B has shape " + Arrays.toString(b.dims()) + ", expected "
                    + (transB ? "[out, " + in + "]" : "[" + in + ", out]") + " with out >= 1");
        int out = (int) b.dims()[transB ? 0 : 1];
        float[] weight = transB ? b.floats().clone() : transpose(b.floats(), in, out);
        float alpha = floatAttr("alpha", 1f), beta = floatAttr("beta", 1f);
        for (int i = 0; i < weight.length; i++) weight[i] *= alpha;
        float[] bias = null;
        if (optionalInput(2) != null) {
            bias = broadcastBias(constInput(2, "C"), out, "C");
            for (int i = 0; i < bias.length; i++) bias[i] *= beta;
        }
        pipeline.addHead(HeadOp.dense(in, out), new ModelWeights.HeadWeights(weight, bias));
        return new Val.Data(List.of(a.view().get(0), DimExpr.constant(out)), pipeline.stage, a.form());
    }

    private Val matMul() {
        onlyAttributes();
        Val.Data a = dataInput(0);
        if (pipeline.layers.isEmpty()) throw fail("a MatMul before any LSTM layer is not supported");
        if (a.form() == Val.Form.LAYER_Y || !a.last().isConstant())
            throw fail("A is " + describe(a) + "; expected data whose last dimension is its features");
        int in = (int) a.last().coefficient();
        Val.Const b = constInput(1, "B");
        // out >= 1: a head of width 0 got as far as the writer's check, which could not name the node.
        if (!b.isFloat() || b.dims().length != 2 || b.dims()[0] != in || b.dims()[1] < 1)
            throw fail("B has shape " + Arrays.toString(b.dims()) + ", expected [" + in + ", out] with out >= 1");
        int out = (int) b.dims()[1];
        pipeline.addHead(HeadOp.dense(in, out), new ModelWeights.HeadWeights(transpose(b.floats(), in, out), null));
        List<DimExpr> view = new ArrayList<>(a.view());
        view.set(view.size() - 1, DimExpr.constant(out));
        return new Val.Data(view, pipeline.stage, a.form());
    }

    /** Add is the bias of a MatMul head: {@code Add(bias, x)} or {@code Add(x, bias)} right after it. */
    private Val add() {
        onlyAttributes();
        if (pipeline.layers.isEmpty()) return inputAffine('+');
        int dataSide = input(0) instanceof Val.Data ? 0 : 1;
        Val.Data x = dataInput(dataSide);
        HeadOp last = pipeline.lastHead();
        if (last == null || last.kind() != HeadOp.Kind.DENSE || pipeline.headWeights.getLast().bias() != null)
            throw fail("Add is supported only as the bias right after a MatMul (a dense layer of the head)");
        int out = last.outputSize();
        pipeline.addHeadBias(broadcastBias(constInput(1 - dataSide, "bias"), out, "bias"));
        return new Val.Data(x.view(), pipeline.stage, x.form());
    }

    /** The head's data: the sequence data after the LSTM layers, with a fixed feature axis; returns its width. */
    private int headWidth(Val.Data x) {
        if (pipeline.layers.isEmpty())
            throw fail(node.opType() + " before the first LSTM layer is not supported; vlstm runs it in the head, after the layers");
        if (x.form() == Val.Form.LAYER_Y)
            throw fail("a bidirectional LSTM's Y [seq, 2, batch, H] must be transposed with perm [0, 2, 1, 3] and reshaped"
                    + " to [seq, batch, 2H] before " + node.opType());
        if (!x.last().isConstant()) throw fail("the data's last axis " + x.view() + " is not a fixed number of features");
        return Math.toIntExact(x.last().coefficient());
    }

    /** An elementwise activation of the head (Relu, LeakyRelu, Tanh, Sigmoid, Elu, Softplus). */
    private Val pointwise(HeadOp.Kind kind, float alpha) {
        onlyAttributes(kind.hasAlpha() ? new String[]{"alpha"} : new String[0]);
        Val.Data x = dataInput(0);
        if (!Float.isFinite(alpha)) throw fail("alpha " + alpha + ", expected a finite number");
        pipeline.addHead(HeadOp.of(kind, headWidth(x), alpha), ModelWeights.HeadWeights.NONE);
        return new Val.Data(x.view(), pipeline.stage, x.form());
    }

    /**
     * {@code y.mean(dim=t)} or {@code y.amax(dim=t)} of the LSTM output over its time axis, keepdims 0: the head's
     * first operation, mean or max over all seq steps as the graph computes them (with sequence lengths the steps past
     * a row's length are the LSTM's zeros), {@code [batch, features]}, the pooled output (format role 22).
     */
    private Val poolOverTime(HeadOp.Kind kind) {
        onlyAttributes("axes", "keepdims");
        Val.Data x = dataInput(0);
        int width = headWidth(x);
        int timeAxis = x.form() == Val.Form.TIME_MAJOR ? 0 : x.form() == Val.Form.BATCH_MAJOR ? 1 : -1;
        long[] axes = axes(1);
        boolean overTime = timeAxis >= 0 && x.view().size() == 3 && x.view().get(timeAxis).equals(DimExpr.SEQ)
                && axes != null && axes.length == 1 && (axes[0] < 0 ? axes[0] + 3 : axes[0]) == timeAxis;
        if (!overTime)
            throw fail(node.opType() + " with axes " + Arrays.toString(axes) + " on " + describe(x) + "; vlstm pools the "
                    + "LSTM output over its time axis only" + (timeAxis >= 0 ? " (axes [" + timeAxis + "])" : ""));
        if (intAttr("keepdims", 1) != 0)
            throw fail("keepdims=1 keeps a time axis of size 1; expected keepdims=0 (PyTorch's y.mean(dim=...))");
        if (!pipeline.head.isEmpty())
            throw fail("pooling over time after the head's " + pipeline.lastHead() + " is not supported; vlstm pools the "
                    + "LSTM output and then runs the head");
        pipeline.addHead(HeadOp.of(kind, width), ModelWeights.HeadWeights.NONE);
        return new Val.Data(List.of(DimExpr.BATCH, x.last()), pipeline.stage, Val.Form.POOLED);
    }

    /** ONNX Gelu (opset 20): {@code approximate} "none" (erf) or "tanh". */
    private Val gelu() {
        onlyAttributes("approximate");
        OnnxAttribute a = attr("approximate");
        String approximate = a == null ? "none" : a.asString();
        return switch (approximate) {
            case "none" -> pointwise(HeadOp.Kind.GELU, 0f);
            case "tanh" -> pointwise(HeadOp.Kind.GELU_TANH, 0f);
            default -> throw fail("approximate '" + approximate + "', expected 'none' or 'tanh'");
        };
    }

    /**
     * Softmax or LogSoftmax over the last axis (the features). From opset 13 the axis is one axis (default -1); before,
     * the input was flattened to 2-D at {@code axis} (default 1), which is the last axis exactly when axis is rank - 1.
     */
    private Val softmax(HeadOp.Kind kind) {
        onlyAttributes("axis");
        Val.Data x = dataInput(0);
        int width = headWidth(x), rank = x.view().size();
        long axis = intAttr("axis", opset >= 13 ? -1 : 1);
        if (axis < 0) axis += rank;
        if (axis != rank - 1)
            throw fail("axis " + intAttr("axis", opset >= 13 ? -1 : 1) + " on data " + x.view() + "; vlstm's " + kind.onnxName
                    + " runs over the last axis (the features) only, expected axis " + (rank - 1) + " or -1");
        pipeline.addHead(HeadOp.of(kind, width), ModelWeights.HeadWeights.NONE);
        return new Val.Data(x.view(), pipeline.stage, x.form());
    }

    /** LayerNormalization (opset 17) over the last axis, with its scale and optional bias; Mean and InvStdDev unused. */
    private Val layerNorm() {
        onlyAttributes("axis", "epsilon", "stash_type");
        Val.Data x = dataInput(0);
        int width = headWidth(x), rank = x.view().size();
        long axis = intAttr("axis", -1);
        if ((axis < 0 ? axis + rank : axis) != rank - 1)
            throw fail("axis " + axis + " on data " + x.view() + "; vlstm normalises over the last axis (the features) "
                    + "only, expected " + (rank - 1) + " or -1");
        if (intAttr("stash_type", 1) != 1) throw fail("stash_type " + intAttr("stash_type", 1) + ", expected 1 (float)");
        float epsilon = positiveEpsilon(floatAttr("epsilon", 1e-5f));
        for (int o = 1; o < node.outputs().size(); o++)
            if (!node.outputs().get(o).isEmpty()) throw fail("output " + o + " (Mean or InvStdDev) is not supported");
        float[] scale = weight(1, "Scale", width);
        float[] bias = optionalInput(2) == null ? null : weight(2, "B", width);
        return addLayerNorm(x, width, epsilon, scale, bias);
    }

    private float positiveEpsilon(float epsilon) {
        if (!(epsilon > 0) || !Float.isFinite(epsilon)) throw fail("epsilon " + epsilon + ", expected a finite number > 0");
        return epsilon;
    }

    /** The LayerNormalization head operation on {@code x}, from the op or its decomposition. */
    private Val addLayerNorm(Val.Data x, int width, float epsilon, float[] scale, float[] bias) {
        pipeline.addHead(HeadOp.of(HeadOp.Kind.LAYER_NORM, width, epsilon), new ModelWeights.HeadWeights(scale, bias));
        return new Val.Data(x.view(), pipeline.stage, x.form());
    }

    /** A scalar float constant input equal to {@code expected} within a relative 1e-6 (how PyTorch rounds them). */
    private void scalarNear(int i, String what, double expected) {
        float v = scalar(i, what);
        if (!(Math.abs(v - expected) <= 1e-6 * Math.abs(expected)))
            throw fail(what + " is " + v + ", expected " + expected + " (the pattern PyTorch writes)");
    }

    private float scalar(int i, String what) {
        Val.Const c = constInput(i, what);
        if (!c.isFloat() || c.count() != 1) throw fail(what + " is " + c + ", expected a float scalar");
        return c.floats()[0];
    }

    /**
     * nn.LayerNorm below opset 17, as {@link HeadPatterns} found it (from this node on): the same operation as
     * LayerNormalization; without its Mul and Add (elementwise_affine=False) the scale is 1 and the bias 0.
     */
    private Val decomposedLayerNorm() {
        Val.Data x = dataInput(0);
        int width = headWidth(x);
        scalarNear(3, "the exponent of Pow", 2);
        float epsilon = positiveEpsilon(scalar(4, "epsilon (the Add before Sqrt)"));
        float[] scale = node.input(1).isEmpty() ? null : broadcastBias(constInput(1, "scale (the Mul)"), width, "scale (the Mul)");
        if (scale == null) {
            scale = new float[width];
            Arrays.fill(scale, 1f);
        }
        float[] bias = node.input(2).isEmpty() ? null : broadcastBias(constInput(2, "bias (the Add)"), width, "bias (the Add)");
        return addLayerNorm(x, width, epsilon, scale, bias);
    }

    /** nn.GELU below opset 20, as {@link HeadPatterns} found it: x/2 (1 + erf(x/√2)), or its tanh approximation. */
    private Val decomposedGelu(boolean tanh) {
        if (tanh) {
            scalarNear(1, "the cube's coefficient", 0.044715);
            scalarNear(2, "the tanh argument's scale", Math.sqrt(2 / Math.PI));
        } else {
            scalarNear(1, "the divisor of x", Math.sqrt(2));
        }
        scalarNear(tanh ? 3 : 2, "the constant added", 1);
        scalarNear(tanh ? 4 : 3, "the final factor", 0.5);
        return pointwise(tanh ? HeadOp.Kind.GELU_TANH : HeadOp.Kind.GELU, 0f);
    }

    /**
     * Standardisation inside the model, {@code (x - mean) / std} or any chain of Add, Sub, Mul and Div of the model
     * input by constants broadcast along its feature axis (a scalar, {@code [F]} or {@code [1, 1, F]}), before the
     * first layer: kept as x' = x * scale + shift per feature and folded into the first layer's W and bias when the
     * layer is read ({@link #foldInputAffine}), so that it costs nothing when the model runs.
     */
    private Val inputAffine(char op) {
        onlyAttributes();
        int dataSide = input(0) instanceof Val.Data ? 0 : 1;
        Val.Data x = dataInput(dataSide);
        if (!pipeline.layers.isEmpty())
            throw fail(node.opType() + " of the data is supported only on the model input, before the first LSTM "
                    + "layer (an input standardisation), or as a head's bias (Add)");
        if (op == '/' && dataSide == 1) throw fail("a constant divided by the input is not supported; expected input / constant");
        if (!x.last().isConstant()) throw fail("the input's feature axis is not a fixed size");
        int features = (int) x.last().coefficient();
        float[] c = broadcastBias(constInput(1 - dataSide, "the constant"), features, "the constant");
        for (int j = 0; j < features; j++) {
            if (!Float.isFinite(c[j])) throw fail("the constant holds " + c[j] + " at feature " + j + "; expected finite values");
            if ((op == '/' || op == '*') && c[j] == 0)
                throw fail("the constant is 0 at feature " + j + (op == '/' ? ": a division by zero" : ": the feature would be lost"));
        }
        if (pipeline.inputScale == null) {
            pipeline.inputScale = new double[features];
            pipeline.inputShift = new double[features];
            Arrays.fill(pipeline.inputScale, 1);
        }
        double[] scale = pipeline.inputScale, shift = pipeline.inputShift;
        for (int j = 0; j < features; j++) {
            switch (op) {
                case '+' -> shift[j] += c[j];
                case '-' -> {
                    if (dataSide == 0) shift[j] -= c[j];
                    else {
                        scale[j] = -scale[j];
                        shift[j] = c[j] - shift[j];
                    }
                }
                case '*' -> {
                    scale[j] *= c[j];
                    shift[j] *= c[j];
                }
                default -> {
                    scale[j] /= c[j];
                    shift[j] /= c[j];
                }
            }
        }
        pipeline.stage++;       // the untransformed input is an earlier stage from now on: no other use of it
        return new Val.Data(x.view(), pipeline.stage, x.form());
    }

    /**
     * The first layer's W and bias with the input's affine map folded in, in float64: W'[r][j] = W[r][j] * scale[j],
     * Wb'[r] = Wb[r] + sum_j W[r][j] * shift[j], per direction; {@code b} may be null (then the folded bias is new).
     */
    private float[][] foldInputAffine(float[] w, float[] b, int dirs, int h, int in) {
        double[] scale = pipeline.inputScale, shift = pipeline.inputShift;
        float[] w2 = new float[w.length], b2 = b == null ? new float[dirs * 8 * h] : b.clone();
        for (int d = 0; d < dirs; d++) {
            for (int r = 0; r < 4 * h; r++) {
                int row = (d * 4 * h + r) * in;
                double extra = 0;
                for (int j = 0; j < in; j++) {
                    w2[row + j] = (float) (w[row + j] * scale[j]);
                    extra += (double) w[row + j] * shift[j];
                }
                b2[d * 8 * h + r] = (float) (b2[d * 8 * h + r] + extra);
            }
        }
        return new float[][]{w2, b2};
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
            case Val.Data d -> "the sequence data " + d.view() + (d.form() == Val.Form.TIME_MAJOR ? "" : " (" + d.form() + ")");
            case Val.Unusable u -> "an unsupported value (" + u.why() + ")";
            case Val.GraphInput g -> "the graph input '" + g.name() + "' " + g.dims();
            case Val.StateSlice st -> "state slots [" + st.from() + ", " + st.to() + ") of graph input '" + st.name() + "'";
            case Val.FinalState f -> "the final " + (f.cell() ? "c" : "h") + " of state slots [" + f.from() + ", " + f.to() + ")";
            case Val.TopFinalHalf t -> "the " + (t.direction() == 0 ? "forward" : "reverse") + " direction's final h of the "
                    + "bidirectional top layer (h_n[" + (t.direction() - 2) + "]), which vlstm reads only concatenated with "
                    + "the other, cat((h_n[-2], h_n[-1]), dim=1)";
        };
    }

    private ImportException fail(String what) {
        return new ImportException(where + ": " + what);
    }
}
