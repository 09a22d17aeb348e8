package dev.vlstm.spark;

import dev.vlstm.Model;
import dev.vlstm.format.Direction;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Which sequences may share a Session.run call, per model: the paths VlstmScorerTest's equality tests go through. */
class BatchShapeTest {

    static BatchShape of(byte[] model) {
        try (Model m = Model.load(model, "m")) {
            return BatchShape.of(m);
        }
    }

    @Test
    void aForwardModelWithAnOutputPerStepPadsShorterSequences() {
        BatchShape s = of(TestModels.seed());
        assertTrue(s.rowsSeparate() && s.perStep() && s.mayPad() && !s.takesLengths() && !s.batchFirst(), s.toString());
        assertEquals(100, s.inputSize());
        assertEquals(13, s.outputSize());
    }

    @Test
    void aBidirectionalModelBatchesOnlyEqualLengths() {
        BatchShape s = of(TestModels.stacked(7, 5, 24, 3, Direction.BIDIRECTIONAL));
        assertTrue(s.rowsSeparate() && !s.mayPad(), s.toString());
    }

    @Test
    void aModelThatTakesSequenceLengthsPadsAndIsGivenThem() {
        BatchShape s = of(TestModels.stacked(8, 5, 24, 3, Direction.BIDIRECTIONAL, true));
        assertTrue(s.rowsSeparate() && s.mayPad() && s.takesLengths(), s.toString());
    }
}
