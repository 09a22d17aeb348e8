package dev.vlstm.spark;

import dev.vlstm.Model;
import org.apache.spark.broadcast.Broadcast;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where an executor gets the model: a file every executor can read (a shared or local filesystem path), or the file's
 * bytes in a Spark broadcast (sent once per executor, nothing to install). Serializable, so it travels inside the task
 * closures; the model itself never does: {@link #model()} loads it once per JVM ({@link ExecutorModels}).
 */
sealed interface ModelSource extends Serializable {

    /** The model, loaded on the first call in this JVM and shared by every later call and thread. */
    SharedModel model();

    /** A name for messages: the path, or the broadcast's source name. */
    String name();

    /** A .vlstm file at the same path on the driver and on every executor. */
    record FromPath(String path) implements ModelSource {
        @Override
        public SharedModel model() {
            Path file = Path.of(path);
            // The key includes size and modification time, so a file replaced between two jobs is loaded afresh.
            String key;
            try {
                key = "path:" + file.toAbsolutePath() + ":" + Files.size(file) + ":" + Files.getLastModifiedTime(file).toMillis();
            } catch (IOException e) {
                throw new UncheckedIOException(missing(e), e);
            }
            return ExecutorModels.get(key, () -> {
                try {
                    return Model.load(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(missing(e), e);
                }
            });
        }

        private String missing(IOException e) {
            return "vlstm model '" + path + "' cannot be read on host " + ExecutorModels.host() + " (" + e
                    + "); the path must exist on the driver and on every executor, or use VlstmScorer.forModelBytes";
        }

        @Override
        public String name() {
            return path;
        }
    }

    /**
     * The model's bytes in a broadcast; {@code sourceName} names it in messages (e.g. the file it was read from). The
     * JVM's models are keyed by the bytes' SHA-256 ({@code digest}, computed on the driver), not by the broadcast's id:
     * ids start again at 0 in each SparkContext, and one JVM may see several in turn (local mode, tests, notebooks).
     */
    record FromBroadcast(Broadcast<byte[]> bytes, String digest, String sourceName) implements ModelSource {
        static FromBroadcast of(org.apache.spark.api.java.JavaSparkContext sc, byte[] model, String sourceName) {
            return new FromBroadcast(sc.broadcast(model), sha256(model), sourceName);
        }

        @Override
        public SharedModel model() {
            return ExecutorModels.get("sha256:" + digest, () -> Model.load(bytes.value(), sourceName));
        }

        private static String sha256(byte[] bytes) {
            try {
                return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("this JVM has no SHA-256", e);
            }
        }

        @Override
        public String name() {
            return sourceName;
        }
    }
}
