package dev.vlstm.onnx;

import dev.vlstm.onnx.proto.OnnxAttribute;
import dev.vlstm.onnx.proto.OnnxNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the decompositions PyTorch writes for {@code nn.LayerNorm} below opset 17 and for {@code nn.GELU} below opset
 * 20, and replaces each by one node the interpreter reads as a head operation. They use their input twice (x and its
 * mean; x and erf(x / √2)), which a straight chain cannot express, so they are matched by data flow, not by position:
 * every value inside a match has exactly the consumers the pattern names and is no graph output. The constants
 * (exponent 2, epsilon, √2, 1, 0.5, 0.044715, √(2/π)) become inputs of the fused node and are checked when it is
 * interpreted, with the node named. Nothing else in the graph changes.
 *
 * <pre>
 * LayerNorm:  m = ReduceMean(x, axes [-1]); d = Sub(x, m); v = ReduceMean(Pow(d, 2), axes [-1]);
 *             y = Div(d, Sqrt(Add(v, eps))) [; Mul(y, scale)] [; Add(., bias)]
 * GELU:       Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)
 * GELU tanh:  Mul(0.5, Mul(x, Add(1, Tanh(Mul(√(2/π), Add(x, Mul(0.044715, Mul(x, Mul(x, x)))))))))
 * </pre>
 */
final class HeadPatterns {
    private HeadPatterns() {
    }

    static final String LAYER_NORM = "LayerNormalization (decomposed)", GELU = "Gelu (decomposed)",
            GELU_TANH = "Gelu tanh (decomposed)";

    private final List<OnnxNode> nodes = new ArrayList<>();
    private final Map<String, List<Integer>> consumers = new HashMap<>();
    private Set<String> graphOutputs;

    /** The nodes with every match replaced by one fused node, at the position of the match's last node. */
    static List<OnnxNode> fuse(List<OnnxNode> graph, Set<String> graphOutputs) {
        HeadPatterns p = new HeadPatterns();
        p.nodes.addAll(graph);
        p.graphOutputs = graphOutputs;
        for (int i = 0; i < graph.size(); i++)
            for (String in : graph.get(i).inputs()) if (!in.isEmpty()) p.consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
        OnnxNode[] replaced = new OnnxNode[graph.size()];
        boolean[] removed = new boolean[graph.size()];
        for (int i = 0; i < graph.size(); i++) {
            if (removed[i]) continue;
            List<Integer> match = new ArrayList<>();
            OnnxNode fused = switch (graph.get(i).opType()) {
                case "ReduceMean" -> p.layerNorm(i, match);
                case "Div" -> p.gelu(i, match);
                case "Mul" -> p.geluTanh(i, match);
                default -> null;
            };
            if (fused == null) continue;
            for (int m : match) removed[m] = true;
            replaced[match.getLast()] = fused;
        }
        List<OnnxNode> out = new ArrayList<>();
        for (int i = 0; i < graph.size(); i++) {
            if (replaced[i] != null) out.add(replaced[i]);
            else if (!removed[i]) out.add(graph.get(i));
        }
        return out;
    }

    /** The one node consuming {@code value}, if it has this op type and the value is no graph output; else -1. */
    private int only(String value, String opType) {
        List<Integer> c = consumers.getOrDefault(value, List.of());
        if (c.size() != 1 || graphOutputs.contains(value)) return -1;
        OnnxNode n = nodes.get(c.getFirst());
        return n.opType().equals(opType) && n.outputs().size() == 1 && n.domain().isEmpty() ? c.getFirst() : -1;
    }

    /** The input of a two-input node other than {@code value} (either order), or null when value is not one of them. */
    private static String other(OnnxNode n, String value) {
        if (n.inputs().size() != 2) return null;
        if (n.input(0).equals(value) && !n.input(1).equals(value)) return n.input(1);
        if (n.input(1).equals(value) && !n.input(0).equals(value)) return n.input(0);
        return null;
    }

    private String out(int i) {
        return nodes.get(i).outputs().getFirst();
    }

    private static boolean lastAxisMean(OnnxNode n) {
        OnnxAttribute axes = n.attribute("axes"), keep = n.attribute("keepdims");
        return n.inputs().size() == 1 && axes != null && axes.asInts().length == 1 && axes.asInts()[0] == -1
                && (keep == null || keep.asInt() == 1) && n.attributes().size() == (keep == null ? 1 : 2);
    }

    private OnnxNode layerNorm(int r1, List<Integer> match) {
        OnnxNode mean = nodes.get(r1);
        if (!lastAxisMean(mean) || mean.outputs().size() != 1) return null;
        String x = mean.input(0);
        int sub = only(out(r1), "Sub");
        if (sub < 0 || !nodes.get(sub).input(0).equals(x) || !nodes.get(sub).input(1).equals(out(r1))) return null;
        List<Integer> uses = consumers.getOrDefault(out(sub), List.of());
        if (uses.size() != 2 || graphOutputs.contains(out(sub))) return null;
        int pow = -1, div = -1;
        for (int u : uses) {
            OnnxNode n = nodes.get(u);
            if (n.opType().equals("Pow") && n.input(0).equals(out(sub))) pow = u;
            if (n.opType().equals("Div") && n.input(0).equals(out(sub))) div = u;
        }
        if (pow < 0 || div < 0) return null;
        int r2 = only(out(pow), "ReduceMean");
        if (r2 < 0 || !lastAxisMean(nodes.get(r2))) return null;
        int add = only(out(r2), "Add");
        String eps = add < 0 ? null : other(nodes.get(add), out(r2));
        int sqrt = eps == null ? -1 : only(out(add), "Sqrt");
        if (sqrt < 0 || only(out(sqrt), "Div") != div || !nodes.get(div).input(1).equals(out(sqrt))) return null;
        match.addAll(List.of(r1, sub, pow, r2, add, sqrt, div));
        String scale = "", bias = "";
        int mul = only(out(div), "Mul");
        if (mul >= 0 && other(nodes.get(mul), out(div)) != null) {
            scale = other(nodes.get(mul), out(div));
            match.add(mul);
            int addBias = only(out(mul), "Add");
            if (addBias >= 0 && other(nodes.get(addBias), out(mul)) != null) {
                bias = other(nodes.get(addBias), out(mul));
                match.add(addBias);
            }
        }
        return fused(mean, LAYER_NORM, List.of(x, scale, bias, nodes.get(pow).input(1), eps), out(match.getLast()));
    }

    private OnnxNode gelu(int div, List<Integer> match) {
        OnnxNode d = nodes.get(div);
        if (d.inputs().size() != 2 || d.outputs().size() != 1) return null;
        String x = d.input(0);
        int erf = only(out(div), "Erf");
        int add = erf < 0 ? -1 : only(out(erf), "Add");
        String one = add < 0 ? null : other(nodes.get(add), out(erf));
        int[] end = one == null ? null : timesXThenHalf(out(add), x);
        if (end == null) return null;
        match.addAll(List.of(div, erf, add, end[0], end[1]));
        return fused(d, GELU, List.of(x, d.input(1), one, other(nodes.get(end[1]), out(end[0]))), out(end[1]));
    }

    private OnnxNode geluTanh(int square, List<Integer> match) {
        OnnxNode sq = nodes.get(square);
        if (sq.inputs().size() != 2 || !sq.input(0).equals(sq.input(1)) || sq.outputs().size() != 1) return null;
        String x = sq.input(0);
        int cube = only(out(square), "Mul");
        if (cube < 0 || !x.equals(other(nodes.get(cube), out(square)))) return null;
        int scaled = only(out(cube), "Mul");
        String c = scaled < 0 ? null : other(nodes.get(scaled), out(cube));
        int inner = c == null ? -1 : only(out(scaled), "Add");
        if (inner < 0 || !x.equals(other(nodes.get(inner), out(scaled)))) return null;
        int times = only(out(inner), "Mul");
        String k = times < 0 ? null : other(nodes.get(times), out(inner));
        int tanh = k == null ? -1 : only(out(times), "Tanh");
        int plus = tanh < 0 ? -1 : only(out(tanh), "Add");
        String one = plus < 0 ? null : other(nodes.get(plus), out(tanh));
        int[] end = one == null ? null : timesXThenHalf(out(plus), x);
        if (end == null) return null;
        match.addAll(List.of(square, cube, scaled, inner, times, tanh, plus, end[0], end[1]));
        return fused(sq, GELU_TANH, List.of(x, c, k, one, other(nodes.get(end[1]), out(end[0]))), out(end[1]));
    }

    /**
     * How both GELU forms end: {@code Mul(x, value)} and then that times a constant (0.5, checked when interpreted);
     * the two nodes' indices, or null when the graph does not go on so.
     */
    private int[] timesXThenHalf(String value, String x) {
        int mul = only(value, "Mul");
        if (mul < 0 || !x.equals(other(nodes.get(mul), value))) return null;
        int half = only(out(mul), "Mul");
        if (half < 0 || other(nodes.get(half), out(mul)) == null) return null;
        return new int[]{mul, half};
    }

    /** The fused node, named after the match's first node so that messages point into the original graph. */
    private static OnnxNode fused(OnnxNode first, String opType, List<String> inputs, String output) {
        return new OnnxNode(first.name(), opType, "", inputs, List.of(output), Map.of());
    }
}
