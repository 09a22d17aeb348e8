package dev.vlstm.flink;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A sink that appends every score it receives to a list in this JVM (the MiniCluster runs in the test's JVM), by the
 * sink's name. It is not transactional: after a failure, the scores replayed since the last checkpoint arrive again,
 * which the recovery test relies on to see the replay.
 */
final class CollectingSink implements Sink<Score> {
    private static final Map<String, List<Score>> RECEIVED = new ConcurrentHashMap<>();

    private final String name;

    private CollectingSink(String name) {
        this.name = name;
    }

    /** A sink under a new, empty list {@code name}. */
    static CollectingSink fresh(String name) {
        RECEIVED.put(name, new CopyOnWriteArrayList<>());
        return new CollectingSink(name);
    }

    static List<Score> received(String name) {
        return RECEIVED.get(name);
    }

    @Override
    public SinkWriter<Score> createWriter(WriterInitContext context) {
        List<Score> list = RECEIVED.get(name);
        return new SinkWriter<>() {
            @Override
            public void write(Score score, Context c) {
                list.add(score);
            }

            @Override
            public void flush(boolean endOfInput) {
            }

            @Override
            public void close() {
            }
        };
    }
}
