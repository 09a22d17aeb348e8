package dev.vlstm.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vlstm.Model;
import dev.vlstm.RunArgs;
import dev.vlstm.format.VlstmFormatException;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * Untrusted bytes as a .vlstm file through {@link Model#load(byte[], String)}: the only acceptable outcomes are a model
 * (which must then run a small input without failing) or a {@link VlstmFormatException} / an
 * {@link IllegalArgumentException} over a cap, naming the file. Anything else is a finding.
 *
 * <p>Corpus: {@code src/test/resources/fuzz/vlstm/}. Fuzz with {@code tools/fuzz vlstm SECONDS}.
 */
class VlstmReadFuzzTest {
    static final String SOURCE = "fuzz.vlstm";

    static Stream<Arguments> corpus() {
        return FuzzCorpus.of("vlstm");
    }

    @MethodSource("corpus")
    @FuzzTest
    void vlstmBytes(byte[] data) throws Throwable {
        FuzzChecks.run(() -> load(data));
    }

    /**
     * The same, after recomputing every checksum the mutated bytes still locate: without this nearly every mutation
     * stops at a CRC mismatch, and the fuzzer never reaches the structural checks behind them.
     */
    @MethodSource("corpus")
    @FuzzTest
    void vlstmBytesResealed(byte[] data) throws Throwable {
        FuzzChecks.run(() -> load(reseal(data.clone())));
    }

    static byte[] reseal(byte[] a) {
        if (a.length < 64) return a;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(a).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long table = Integer.toUnsignedLong(b.getInt(32)), count = Integer.toUnsignedLong(b.getInt(36));
        for (long i = 0; i < Math.min(count, 4096); i++) {
            long e = table + 128 * i;
            if (e + 128 > a.length) break;
            long off = b.getLong((int) e + 88), len = b.getLong((int) e + 96);
            if (off >= 0 && len >= 0 && off <= a.length && len <= a.length - off) {
                java.util.zip.CRC32C c = new java.util.zip.CRC32C();
                c.update(a, (int) off, (int) len);
                b.putInt((int) e + 104, (int) c.getValue());
            }
        }
        long end = Integer.toUnsignedLong(b.getInt(40)) + Integer.toUnsignedLong(b.getInt(44));
        if (end >= 64 && end <= a.length) {
            java.util.zip.CRC32C c = new java.util.zip.CRC32C();
            c.update(a, 64, (int) end - 64);
            b.putInt(48, (int) c.getValue());
        }
        java.util.zip.CRC32C h = new java.util.zip.CRC32C();
        h.update(a, 0, 60);
        b.putInt(60, (int) h.getValue());
        return a;
    }

    private static void load(byte[] data) {
        Model model;
        try {
            model = Model.load(data, SOURCE);
        } catch (VlstmFormatException | IllegalArgumentException e) {
            FuzzChecks.namesSource(e, SOURCE);
            return;
        }
        try (model) {
            int seq = 2, batch = 1;
            var spec = model.spec();
            float[] x = new float[seq * batch * spec.inputSize()];
            float[] y = new float[(int) Math.min(1 << 24, (long) seq * batch * spec.outputSize())];
            // A token-ids model runs the last id of its vocabulary and id 0.
            RunArgs args = spec.takesTokenIds() ? new RunArgs().tokens(new int[]{spec.vocabulary() - 1, 0}, seq, batch)
                    : new RunArgs().input(x, seq, batch);
            if (spec.output(dev.vlstm.format.IoSpec.Role.SEQUENCE_OUTPUT) != null
                    && spec.output(dev.vlstm.format.IoSpec.Role.INITIAL_H) == null && y.length == seq * batch * spec.outputSize())
                model.newSession().run(args.output(y));
        }
    }
}
