package dev.vlstm.flink;

import dev.vlstm.LstmState;
import dev.vlstm.Model;
import dev.vlstm.Session;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** What Flink must reproduce: each device's readings stepped alone, in order, in this JVM, without Flink. */
final class Reference {
    private Reference() {
    }

    /** Every score of {@code devices × readings} events ({@link Reading#nth}), by {@link Score#event()}. */
    static Map<String, float[]> scores(Path model, int devices, int readings) throws IOException {
        Map<String, float[]> byEvent = new HashMap<>();
        try (Model m = Model.load(model); Session session = m.newSession(1, 1)) {
            LstmState[] states = new LstmState[devices];
            for (int d = 0; d < devices; d++) states[d] = m.newState();
            for (long i = 0; i < (long) devices * readings; i++) {
                Reading r = Reading.nth(i, devices, m.inputSize());
                float[] y = new float[m.outputSize()];
                session.step(states[(int) (i % devices)], r.values(), y);
                byEvent.put(r.device() + "#" + r.index(), y);
            }
        }
        return byEvent;
    }

    /** Each event stepped from a zero state, as a key whose state expired before every event would be. */
    static Map<String, float[]> scoresFromZero(Path model, int devices, int readings) throws IOException {
        Map<String, float[]> byEvent = new HashMap<>();
        try (Model m = Model.load(model); Session session = m.newSession(1, 1)) {
            for (long i = 0; i < (long) devices * readings; i++) {
                Reading r = Reading.nth(i, devices, m.inputSize());
                float[] y = new float[m.outputSize()];
                session.step(m.newState(), r.values(), y);
                byEvent.put(r.device() + "#" + r.index(), y);
            }
        }
        return byEvent;
    }
}
