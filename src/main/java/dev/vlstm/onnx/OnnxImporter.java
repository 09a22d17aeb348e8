package dev.vlstm.onnx;

import dev.vlstm.format.IoSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.ModelWeights;
import dev.vlstm.format.SequenceLayout;
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
    public static final int MIN_OPSET = 9, MAX_OPSET = 17;

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
        if (realInputs.size() != 1)
            throw new ImportException(source + ": graph inputs " + realInputs.stream().map(OnnxValueInfo::name).toList()
                    + ", expected exactly one (the sequence); states given as inputs are not supported yet");
        OnnxValueInfo x = realInputs.getFirst();
        if (x.elemType() != OnnxDataType.FLOAT)
            throw new ImportException(source + ": graph input '" + x.name() + "' has type " + OnnxDataType.name(x.elemType())
                    + ", expected float");
        if (x.dims() == null || x.dims().size() != 3 || !x.dims().get(2).isFixed() || x.dims().get(2).value() < 1)
            throw new ImportException(source + ": graph input '" + x.name() + "' has shape " + x.dims()
                    + ", expected [seq, batch, features] with a fixed number of features");
        int features = Math.toIntExact(x.dims().get(2).value());
        long tracedSeq = x.dims().get(0).isFixed() ? x.dims().get(0).value() : -1;
        long tracedBatch = x.dims().get(1).isFixed() ? x.dims().get(1).value() : -1;

        GraphInterpreter interp = new GraphInterpreter(source, constants, tracedSeq, tracedBatch);
        for (OnnxTensor t : g.initializers()) interp.define(t.name(), constants.readLazily(t, "initializer '" + t.name() + "'"));
        interp.define(x.name(), new Val.Data(List.of(DimExpr.SEQ, DimExpr.BATCH, DimExpr.constant(features)), 0));
        interp.run(g.nodes());

        if (g.outputs().size() != 1)
            throw new ImportException(source + ": graph outputs " + g.outputs().stream().map(OnnxValueInfo::name).toList()
                    + ", expected exactly one (the sequence output); Y_h/Y_c outputs are not supported yet");
        OnnxValueInfo y = g.outputs().getFirst();
        Val out = interp.value(y.name());
        Pipeline p = interp.pipeline;
        if (p.layers.isEmpty()) throw new ImportException(source + ": the graph has no LSTM node");
        if (!(out instanceof Val.Data d) || d.stage() != p.stage || d.view().size() != 3
                || !d.view().get(0).equals(DimExpr.SEQ) || !d.view().get(1).equals(DimExpr.BATCH))
            throw new ImportException(source + ": graph output '" + y.name() + "' is "
                    + (out == null ? "not produced by any node" : GraphInterpreter.describe(out))
                    + ", expected the [seq, batch, features] result of the last LSTM layer or of the head");
        int outFeatures = Math.toIntExact(d.last().coefficient());

        IoSpec input = new IoSpec(IoSpec.Role.SEQUENCE_INPUT, x.name(), ioDims(x.dims(), features));
        List<OnnxDim> declared = y.dims() != null && y.dims().size() == 3 ? y.dims()
                : List.of(x.dims().get(0), x.dims().get(1), OnnxDim.of(outFeatures));
        if (declared.get(2).isFixed() && declared.get(2).value() != outFeatures)
            throw new ImportException(source + ": graph output '" + y.name() + "' declares " + declared.get(2).value()
                    + " features, but the graph computes " + outFeatures);
        IoSpec output = new IoSpec(IoSpec.Role.SEQUENCE_OUTPUT, y.name(), ioDims(declared, outFeatures));
        ModelSpec spec = new ModelSpec(p.layers, SequenceLayout.SEQ_BATCH, p.head, List.of(input), List.of(output));

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("producer", "vlstm-convert");
        meta.put("producer_version", dev.vlstm.Version.VERSION);
        meta.put("source_file", source);
        meta.put("source_sha256", "");
        meta.put("onnx_opset", Long.toString(opset));
        meta.put("onnx_producer", (model.producerName() + " " + model.producerVersion()).trim());
        meta.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return new Imported(spec, p.weights(), meta);
    }

    /** Seq and batch as declared (fixed or free); the feature dimension always fixed to what the graph computes. */
    private static List<IoSpec.Dim> ioDims(List<OnnxDim> dims, int features) {
        List<IoSpec.Dim> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            OnnxDim d = dims.get(i);
            out.add(d.isFixed() && d.value() >= 1 ? IoSpec.Dim.fixed(d.value()) : IoSpec.Dim.free(d.param()));
        }
        out.add(IoSpec.Dim.fixed(features));
        return out;
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
