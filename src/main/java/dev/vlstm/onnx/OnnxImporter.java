package dev.vlstm.onnx;

import dev.vlstm.format.IoSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.format.SequenceLayout;
import dev.vlstm.format.StateLayout;
import dev.vlstm.onnx.proto.OnnxDataType;
import dev.vlstm.onnx.proto.OnnxDim;
import dev.vlstm.onnx.proto.OnnxGraph;
import dev.vlstm.onnx.proto.OnnxModel;
import dev.vlstm.onnx.proto.OnnxReader;
import dev.vlstm.onnx.proto.OnnxTensor;
import dev.vlstm.onnx.proto.OnnxValueInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a PyTorch-exported ONNX LSTM model and recognises the vlstm model it computes.
 *
 * <pre>{@code
 * OnnxImporter.Imported m = OnnxImporter.importFile(Path.of("lstm.onnx"));
 * VlstmWriter.write(m.spec(), m.weights(), m.metadata(), Path.of("lstm.vlstm"));
 * }</pre>
 */
public final class OnnxImporter {
    private OnnxImporter() {
    }

    /** The lowest and highest default-domain opsets the importer accepts. */
    public static final int MIN_OPSET = 7, MAX_OPSET = 22;

    /** What the importer found: the model, its weights in ONNX layout, and the metadata to store. */
    public record Imported(ModelSpec spec, ModelWeights weights, Map<String, String> metadata) {
    }

    public static Imported importFile(Path file) throws IOException {
        OnnxModel model = OnnxReader.read(file);
        Path dir = file.toAbsolutePath().getParent();
        Imported m = importModel(model, file.toString(), dir);
        Map<String, String> meta = new LinkedHashMap<>(m.metadata());
        meta.put("source_file", file.getFileName().toString());
        meta.put("source_sha256", sha256(file));
        return new Imported(m.spec(), m.weights(), meta);
    }

    /**
     * Recognises the model in an already parsed graph.
     *
     * @param source   the name used in messages
     * @param modelDir the folder external data paths are resolved in (and confined to); null to refuse external data
     */
    public static Imported importModel(OnnxModel model, String source, Path modelDir) {
        long opset = model.opsets().getOrDefault("", model.opsets().getOrDefault("ai.onnx", -1L));
        if (opset < MIN_OPSET || opset > MAX_OPSET)
            throw new ImportException(source + ": default-domain opset " + (opset < 0 ? "missing" : opset) + ", expected "
                    + MIN_OPSET + ".." + MAX_OPSET);
        OnnxGraph g = model.graph();
        ConstReader constants = new ConstReader(source, modelDir);

        Set<String> initializerNames = new HashSet<>();
        for (OnnxTensor t : g.initializers()) initializerNames.add(t.name());
        List<OnnxValueInfo> realInputs = new ArrayList<>();
        for (OnnxValueInfo v : g.inputs()) if (!initializerNames.contains(v.name())) realInputs.add(v);
        SequenceInput seqIn = SequenceInput.find(g, realInputs, source);
        OnnxValueInfo x = seqIn.input();
        Val.Const table = null;     // an nn.Embedding's [vocabulary, width]
        if (seqIn.embedding() != null) {
            OnnxTensor t = g.initializers().stream().filter(i -> i.name().equals(seqIn.embeddingTable())).findFirst().orElseThrow();
            table = constants.read(t, "embedding table '" + t.name() + "'");
        }
        int features = table != null ? Math.toIntExact(table.dims()[1]) : Math.toIntExact(x.dims().get(2).value());
        int seqAxis = seqIn.batchFirst() ? 1 : 0, batchAxis = 1 - seqAxis;
        long tracedSeq = x.dims().get(seqAxis).isFixed() ? x.dims().get(seqAxis).value() : -1;
        long tracedBatch = x.dims().get(batchAxis).isFixed() ? x.dims().get(batchAxis).value() : -1;

        GraphInterpreter interp = new GraphInterpreter(source, constants, tracedSeq, tracedBatch, opset);
        for (OnnxTensor t : g.initializers()) interp.define(t.name(), constants.readLazily(t, "initializer '" + t.name() + "'"));
        for (OnnxValueInfo v : realInputs) {
            if (v == x) continue;
            List<Long> dims = v.dims() == null ? List.of() : v.dims().stream().map(d -> d.isFixed() ? d.value() : -1L).toList();
            interp.define(v.name(), new Val.GraphInput(v.name(), dims, v.elemType()));
        }
        // The rows layer 0 reads: the input itself, or (an embedding) the Gather's output, which the walk then skips.
        interp.define(table != null ? seqIn.embedding().outputs().getFirst() : x.name(), seqIn.batchFirst()
                ? new Val.Data(List.of(DimExpr.BATCH, DimExpr.SEQ, DimExpr.constant(features)), 0, Val.Form.BATCH_MAJOR)
                : new Val.Data(List.of(DimExpr.SEQ, DimExpr.BATCH, DimExpr.constant(features)), 0, Val.Form.TIME_MAJOR));
        if (table != null) interp.define(x.name(), new Val.GraphInput(x.name(),
                x.dims().stream().map(d -> d.isFixed() ? d.value() : -1L).toList(), x.elemType()));
        Set<String> outputNames = new HashSet<>();
        for (OnnxValueInfo y : g.outputs()) outputNames.add(y.name());
        List<dev.vlstm.onnx.proto.OnnxNode> nodes = new ArrayList<>(g.nodes());
        nodes.remove(seqIn.embedding());
        interp.run(HeadPatterns.fuse(nodes, outputNames));

        Pipeline p = interp.pipeline;
        if (p.layers.isEmpty()) throw new ImportException(source + ": the graph has no LSTM node");
        SequenceLayout layout = seqIn.batchFirst() ? SequenceLayout.BATCH_SEQ : SequenceLayout.SEQ_BATCH;
        StateLayout stateLayout = p.nodeLayout == 1 ? StateLayout.BATCH_MAJOR : StateLayout.LAYER_MAJOR;
        IoDims io = new IoDims(x, seqIn.batchFirst());

        List<IoSpec> inputs = new ArrayList<>();
        inputs.add(table != null ? new IoSpec(IoSpec.Role.TOKEN_IDS, x.name(), io.ids())
                : new IoSpec(IoSpec.Role.SEQUENCE_INPUT, x.name(), io.sequence(features)));
        for (OnnxValueInfo v : realInputs) {
            if (v == x) continue;
            String role = null;
            for (var e : p.stateInputs.entrySet()) if (e.getValue().equals(v.name())) role = e.getKey();
            if (role == null)
                throw new ImportException(source + ": graph input '" + v.name() + "' is not used as the sequence, a state "
                        + "or the sequence lengths of the LSTM layers");
            int users = switch (role) {
                case "initial_h" -> p.layersWithInitialH;
                case "initial_c" -> p.layersWithInitialC;
                default -> p.layersWithLengths;
            };
            if (users != p.layers.size())
                throw new ImportException(source + ": graph input '" + v.name() + "' (" + role + ") feeds " + users + " of "
                        + p.layers.size() + " LSTM layers; vlstm needs it for every layer or none");
            int expectType = role.equals("sequence_lens") ? OnnxDataType.INT32 : OnnxDataType.FLOAT;
            if (v.elemType() != expectType)
                throw new ImportException(source + ": graph input '" + v.name() + "' (" + role + ") has type "
                        + OnnxDataType.name(v.elemType()) + ", expected " + OnnxDataType.name(expectType));
            inputs.add(role.equals("sequence_lens")
                    ? new IoSpec(IoSpec.Role.SEQUENCE_LENS, v.name(), List.of(io.batch()))
                    : new IoSpec(role.equals("initial_h") ? IoSpec.Role.INITIAL_H : IoSpec.Role.INITIAL_C, v.name(),
                    io.state(p.slots, p.layers.getFirst().hiddenSize(), stateLayout)));
        }

        if (p.constantLengths != null) {
            if (p.layersWithLengths != p.layers.size())
                throw new ImportException(source + ": the constant sequence_lens '" + p.constantLengthsName + "' feeds "
                        + p.layersWithLengths + " of " + p.layers.size() + " LSTM layers; vlstm needs it for every layer or none");
            inputs.add(new IoSpec(IoSpec.Role.CONSTANT_SEQUENCE_LENS, p.constantLengthsName,
                    List.of(IoSpec.Dim.fixed(p.constantLengths.length))));
        }
        List<IoSpec> outputs = new ArrayList<>();
        for (OnnxValueInfo y : g.outputs()) outputs.add(output(y, interp.value(y.name()), p, layout, io, stateLayout, source));
        ModelSpec spec = new ModelSpec(p.layers, layout, stateLayout, p.head, inputs, outputs,
                table == null ? 0 : Math.toIntExact(table.dims()[0]));
        try {
            dev.vlstm.format.VlstmWriter.check(spec);
        } catch (dev.vlstm.format.VlstmFormatException e) {
            throw new ImportException(source + ": " + e.getMessage(), e);
        }

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("producer", "vlstm-convert");
        meta.put("producer_version", dev.vlstm.Version.VERSION);
        meta.put("source_file", source);
        meta.put("source_sha256", "");
        meta.put("onnx_opset", Long.toString(opset));
        meta.put("onnx_producer", (model.producerName() + " " + model.producerVersion()).trim());
        meta.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        ModelWeights weights = p.weights();
        if (table != null) weights = new ModelWeights(weights.layers(), weights.head(), weights.sequenceLengths(), table.floats());
        return new Imported(spec, weights, meta);
    }

    /** The role of one graph output, from what the interpreter knows of its value. */
    private static IoSpec output(OnnxValueInfo y, Val v, Pipeline p, SequenceLayout layout, IoDims io,
                                 StateLayout stateLayout, String source) {
        String at = source + ": graph output '" + y.name() + "'";
        if (v == null) throw new ImportException(at + " is not produced by any node");
        if (v instanceof Val.FinalState f) {
            if (f.from() != 0 || f.to() != p.slots)
                throw new ImportException(at + " holds the final states of slots [" + f.from() + ", " + f.to()
                        + "); vlstm returns final states of every layer (" + p.slots + " slots, concatenated in order)");
            return new IoSpec(f.cell() ? IoSpec.Role.FINAL_C : IoSpec.Role.FINAL_H, y.name(),
                    io.state(p.slots, p.layers.getFirst().hiddenSize(), stateLayout));
        }
        if (!(v instanceof Val.Data d) || d.stage() != p.stage)
            throw new ImportException(at + " is " + GraphInterpreter.describe(v) + ", expected the result of the last LSTM "
                    + "layer or of the head, or final states");
        List<DimExpr> view = d.view();
        int last = Math.toIntExact(view.getLast().coefficient());
        boolean batchFirst = layout == SequenceLayout.BATCH_SEQ;
        if (d.form() == Val.Form.LAST_STEP) return new IoSpec(IoSpec.Role.LAST_STEP_OUTPUT, y.name(), List.of(io.batch(), IoSpec.Dim.fixed(last)));
        if (d.form() == Val.Form.POOLED)
            return new IoSpec(IoSpec.Role.POOLED_OUTPUT, y.name(), List.of(io.batch(), IoSpec.Dim.fixed(last)));
        if (d.form() == Val.Form.FINAL_STATE)
            return new IoSpec(IoSpec.Role.FINAL_STATE_OUTPUT, y.name(), List.of(io.batch(), IoSpec.Dim.fixed(last)));
        boolean seqFirst = view.size() >= 2 && view.get(0).equals(DimExpr.SEQ) && view.get(1).equals(DimExpr.BATCH);
        boolean batchFirstView = view.size() >= 2 && view.get(0).equals(DimExpr.BATCH) && view.get(1).equals(DimExpr.SEQ);
        if (view.size() == 3 && (d.form() == Val.Form.TIME_MAJOR && seqFirst || d.form() == Val.Form.BATCH_MAJOR && batchFirstView)) {
            if ((d.form() == Val.Form.BATCH_MAJOR) != batchFirst)
                throw new ImportException(at + " is " + (batchFirst ? "[seq, batch, features] but the input is batch-first"
                        : "[batch, seq, features] but the input is not batch-first") + "; vlstm needs both in the same layout");
            return new IoSpec(IoSpec.Role.SEQUENCE_OUTPUT, y.name(), io.sequence(last));
        }
        boolean rawY = view.size() == 4 && p.head.isEmpty() && (d.form() == Val.Form.LAYER_Y
                || (d.form() == Val.Form.TIME_MAJOR && seqFirst == false && view.get(0).equals(DimExpr.SEQ) && view.get(2).equals(DimExpr.BATCH))
                || (d.form() == Val.Form.BATCH_MAJOR && batchFirstView));
        if (rawY && (d.form() == Val.Form.BATCH_MAJOR) == batchFirst) {
            long dirs = (d.form() == Val.Form.BATCH_MAJOR ? view.get(2) : view.get(1)).coefficient();
            return new IoSpec(IoSpec.Role.LAYER_Y, y.name(), io.layerY(dirs, last));
        }
        throw new ImportException(at + " is " + GraphInterpreter.describe(v) + "; expected [seq, batch, features] (or "
                + "batch-first), [batch, features] for the last step, an LSTM's Y, or final states");
    }

    static String sha256(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
