package dev.vlstm.flink;

import dev.vlstm.Model;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The models of this JVM (of this class loader: a job's user code loader, or the whole TaskManager when vlstm sits in
 * Flink's lib/), each loaded once and shared by every subtask that uses it, counted so the last subtask to let go
 * closes it. A model is one file's exact bytes: the key is the location and the SHA-256 of what was read, so a file
 * replaced between two opens is a new model, and two subtasks never disagree about which bytes a shared one holds.
 */
final class SharedModels {
    private SharedModels() {
    }

    private record Key(String location, String sha256) {
    }

    private static final class Entry {
        final Model model;
        int users;

        Entry(Model model) {
            this.model = model;
        }
    }

    private static final Map<Key, Entry> MODELS = new HashMap<>();

    /** One subtask's use of a shared model; close it once (later closes do nothing). */
    static final class Lease implements AutoCloseable {
        private final Key key;
        private final Model model;
        private boolean closed;

        private Lease(Key key, Model model) {
            this.key = key;
            this.model = model;
        }

        Model model() {
            return model;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            release(key);
        }
    }

    /**
     * The model at {@code location} (a local path or any URI Flink's file systems read: {@code file:}, {@code hdfs:},
     * {@code s3:}), loaded on first use.
     *
     * @throws IOException naming the location when it cannot be read or is not a valid .vlstm model
     */
    static Lease acquire(String location) throws IOException {
        byte[] bytes = read(location);
        Key key = new Key(location, sha256(bytes));
        synchronized (MODELS) {
            Entry e = MODELS.get(key);
            if (e == null) {
                try {
                    e = new Entry(Model.load(bytes, location));
                } catch (RuntimeException invalid) {
                    throw new IOException("vlstm model " + location + " cannot be loaded: " + invalid.getMessage(), invalid);
                }
                MODELS.put(key, e);
            }
            e.users++;
            return new Lease(key, e.model);
        }
    }

    private static void release(Key key) {
        synchronized (MODELS) {
            Entry e = MODELS.get(key);
            if (e != null && --e.users == 0) {
                MODELS.remove(key);
                e.model.close();
            }
        }
    }

    /** Subtasks holding a model loaded from {@code location}, any version of it (for tests). */
    static int users(String location) {
        synchronized (MODELS) {
            return MODELS.entrySet().stream().filter(e -> e.getKey().location().equals(location))
                    .mapToInt(e -> e.getValue().users).sum();
        }
    }

    private static byte[] read(String location) throws IOException {
        Path path = new Path(location);
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            return in.readAllBytes();
        } catch (FileNotFoundException | java.nio.file.NoSuchFileException missing) {
            throw new FileNotFoundException("vlstm model " + location + " not found on this TaskManager ("
                    + hostName() + "): every TaskManager must read the model at that path (a shared file system, or "
                    + "a file shipped to each host)");
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "host name unknown";
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
