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
            if (spec.output(dev.vlstm.format.IoSpec.Role.SEQUENCE_OUTPUT) != null
                    && spec.output(dev.vlstm.format.IoSpec.Role.INITIAL_H) == null && y.length == seq * batch * spec.outputSize())
                model.newSession().run(new RunArgs().input(x, seq, batch).output(y));
        }
    }
}
