package dev.vlstm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The carried state of one stream: every layer's h and c. Made by {@link Model#newState()}, advanced by
 * {@link Session#step}, and owned by one stream — a state is not thread-safe, but any thread may step it as long as
 * only one does at a time. Resettable, copyable, and serialisable to a small snapshot tied to its model
 * (format-spec.md, "State snapshots").
 *
 * <pre>{@code
 * LstmState s = model.newState();               // zeros
 * session.step(s, x, y);                          // x: [inputSize] of this timestep, y: [outputSize]
 * byte[] snapshot = s.toBytes();                  // checkpoint
 * LstmState back = model.restoreState(snapshot);  // refuses a snapshot of another model
 * back.restore(snapshot);                         // the same into an existing state, allocating nothing
 * }</pre>
 */
public final class LstmState {
    static final byte[] MAGIC = {(byte) 0x89, 'V', 'S', 'T', 'A', 'T', 'E', 0x0A};
    static final int HEADER = 48;

    final Model model;
    /** Layer l's h (and c) are at {@code offsets[l]}, {@code hidden(l)} floats each. */
    final int[] offsets;
    final float[] h;
    final float[] c;

    LstmState(Model model) {
        this.model = model;
        offsets = new int[model.layers.length];
        int n = 0;
        for (int l = 0; l < offsets.length; l++) {
            offsets[l] = n;
            n += model.layers[l].hiddenSize();
        }
        h = new float[n];
        c = new float[n];
    }

    /** Back to the zero state of a new stream. */
    public void reset() {
        Arrays.fill(h, 0f);
        Arrays.fill(c, 0f);
    }

    /**
     * An independent copy (for forking a stream, or a what-if step).
     *
     * @return a new state of the same model, equal to this one
     */
    public LstmState copy() {
        LstmState s = new LstmState(model);
        s.copyFrom(this);
        return s;
    }

    /**
     * Overwrites this state with {@code other}'s; both must belong to the same model.
     *
     * @param other a state of the same model
     */
    public void copyFrom(LstmState other) {
        if (other.model != model) throw new IllegalArgumentException("the states belong to different models");
        System.arraycopy(other.h, 0, h, 0, h.length);
        System.arraycopy(other.c, 0, c, 0, c.length);
    }

    /**
     * Layer {@code layer}'s hidden state h (a copy).
     *
     * @param layer 0 for the first layer
     * @return a new array of the layer's hidden-size values (forward layers only stream, so one direction)
     */
    public float[] hidden(int layer) {
        return Arrays.copyOfRange(h, offsets[layer], offsets[layer] + model.layers[layer].hiddenSize());
    }

    /**
     * Layer {@code layer}'s cell state c (a copy).
     *
     * @param layer 0 for the first layer
     * @return a new array of the layer's hidden-size values
     */
    public float[] cell(int layer) {
        return Arrays.copyOfRange(c, offsets[layer], offsets[layer] + model.layers[layer].hiddenSize());
    }

    /**
     * The snapshot: header, model fingerprint, h then c as little-endian float32, CRC32C.
     *
     * @return the snapshot, for {@link Model#restoreState(byte[])}
     */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(HEADER + 8 * h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) 1).putShort((short) 0).putInt(h.length).put(model.fingerprint(), 0, 32);
        for (float v : h) b.putFloat(v);
        for (float v : c) b.putFloat(v);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * Overwrites this state with a snapshot of its model ({@link #toBytes()}), allocating nothing: for a stream whose
     * state lives in a store between events (an engine's keyed state), one LstmState can take each key's snapshot in
     * turn instead of a new state per event. Refuses a snapshot of another model, or a damaged one, as
     * {@link Model#restoreState} does, and then leaves this state as it was.
     *
     * @param snapshot bytes from {@link #toBytes()} of a state of this state's model
     * @throws IllegalArgumentException naming what is wrong with the snapshot
     * @throws IllegalStateException if the model is closed
     */
    public void restore(byte[] snapshot) {
        model.checkOpen();
        int expected = HEADER + 8 * h.length + 4;
        if (snapshot.length < HEADER || !Arrays.equals(snapshot, 0, 8, MAGIC, 0, 8))
            throw new IllegalArgumentException("not a vlstm state snapshot (magic bytes differ)");
        int version = (short) SHORT.get(snapshot, 8);
        if (version != 1) throw new IllegalArgumentException("state snapshot version " + version + ", this vlstm reads 1");
        if (!Arrays.equals(snapshot, 16, 48, model.fingerprint(), 0, 32))
            throw new IllegalArgumentException("the state snapshot belongs to another model (fingerprint differs from "
                    + model.source() + "'s)");
        int values = (int) INT.get(snapshot, 12);
        if (values != h.length || snapshot.length != expected)
            throw new IllegalArgumentException("state snapshot of " + snapshot.length + " bytes holding " + values
                    + " values per state, expected " + expected + " bytes and " + h.length);
        CRC32C crc = new CRC32C();
        crc.update(snapshot, 0, snapshot.length - 4);
        if ((int) crc.getValue() != (int) INT.get(snapshot, snapshot.length - 4))
            throw new IllegalArgumentException("state snapshot CRC32C mismatch: the snapshot is damaged");
        for (int i = 0; i < h.length; i++) h[i] = (float) FLOAT.get(snapshot, HEADER + 4 * i);
        for (int i = 0; i < c.length; i++) c[i] = (float) FLOAT.get(snapshot, HEADER + 4 * (h.length + i));
    }

    /** Little-endian views of a snapshot's bytes (format-spec.md, "State snapshots"). */
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
}
