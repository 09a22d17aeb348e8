package dev.vlstm.spark;

import dev.vlstm.Model;
import dev.vlstm.format.Direction;
import dev.vlstm.format.IoSpec;
import dev.vlstm.format.LayerSpec;
import dev.vlstm.format.ModelSpec;
import dev.vlstm.format.SequenceLayout;

/**
 * What the model allows when sequences share one {@code Session.run} call, read once from its spec.
 *
 * @param rowsSeparate  each batch row's main output can be cut out of the batch's: a sequence output
 *                      ({@code [seq, batch, out]}, batch-first {@code [batch, seq, out]}) or one row per sequence
 *                      ({@code [batch, out]}); otherwise (the final states as the main output, ONNX's 4-d Y, constant
 *                      sequence lengths) every sequence runs alone
 * @param perStep       the main output has one row per timestep
 * @param mayPad        sequences of different lengths may share a call, the shorter ones padded at the end: the model
 *                      takes sequence lengths, or all its layers run forward and its output is per timestep, so a
 *                      step's output never depends on later steps
 * @param takesLengths  the model has a sequence-lengths input, given per call
 * @param batchFirst    the model's sequence layout is {@code [batch, seq, features]}
 */
record BatchShape(boolean rowsSeparate, boolean perStep, boolean mayPad, boolean takesLengths, boolean batchFirst,
                  int inputSize, int outputSize) {

    static BatchShape of(Model model) {
        ModelSpec spec = model.spec();
        boolean perStep = spec.output(IoSpec.Role.SEQUENCE_OUTPUT) != null;
        boolean oneRow = !perStep && (spec.output(IoSpec.Role.LAST_STEP_OUTPUT) != null
                || spec.output(IoSpec.Role.LAYER_Y) == null && (spec.output(IoSpec.Role.FINAL_STATE_OUTPUT) != null
                || spec.output(IoSpec.Role.POOLED_OUTPUT) != null));
        boolean constantLengths = spec.input(IoSpec.Role.CONSTANT_SEQUENCE_LENS) != null;
        boolean takesLengths = spec.input(IoSpec.Role.SEQUENCE_LENS) != null;
        boolean forward = true;
        for (LayerSpec l : spec.layers()) forward &= l.direction() == Direction.FORWARD;
        boolean rowsSeparate = (perStep || oneRow) && !constantLengths;
        return new BatchShape(rowsSeparate, perStep, rowsSeparate && (takesLengths || forward && perStep), takesLengths,
                spec.layout() == SequenceLayout.BATCH_SEQ, model.inputSize(), model.outputSize());
    }
}
