package dev.vlstm;

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

    /** Reads a snapshot of {@code model}; refuses one of another model, or a damaged one, naming the problem. */
    static LstmState fromBytes(Model model, byte[] bytes) {
        LstmState s = new LstmState(model);
        int expected = HEADER + 8 * s.h.length + 4;
        if (bytes.length < HEADER || !Arrays.equals(Arrays.copyOf(bytes, 8), MAGIC))
            throw new IllegalArgumentException("not a vlstm state snapshot (magic bytes differ)");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getShort(8);
        if (version != 1) throw new IllegalArgumentException("state snapshot version " + version + ", this vlstm reads 1");
        byte[] print = Arrays.copyOfRange(bytes, 16, 48);
        if (!Arrays.equals(print, model.fingerprint()))
            throw new IllegalArgumentException("the state snapshot belongs to another model (fingerprint differs from "
                    + model.source() + "'s)");
        if (b.getInt(12) != s.h.length || bytes.length != expected)
            throw new IllegalArgumentException("state snapshot of " + bytes.length + " bytes holding " + b.getInt(12)
                    + " values per state, expected " + expected + " bytes and " + s.h.length);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != b.getInt(bytes.length - 4))
            throw new IllegalArgumentException("state snapshot CRC32C mismatch: the snapshot is damaged");
        b.position(HEADER);
        for (int i = 0; i < s.h.length; i++) s.h[i] = b.getFloat();
        for (int i = 0; i < s.c.length; i++) s.c[i] = b.getFloat();
        return s;
    }
}
