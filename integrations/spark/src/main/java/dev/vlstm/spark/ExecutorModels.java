package dev.vlstm.spark;

import dev.vlstm.Model;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The models of this JVM (an executor, or the driver and its executor threads in local mode), each loaded once, on
 * first use, and shared by every task thread. Models are never closed: an executor lives for one application, which
 * uses a handful of models, and a model is only its weights on the heap.
 */
final class ExecutorModels {
    private ExecutorModels() {
    }

    private static final ConcurrentHashMap<String, SharedModel> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    /** The model under {@code key}, loading it with {@code load} if this JVM has not yet (once, even when raced). */
    static SharedModel get(String key, Supplier<Model> load) {
        return MODELS.computeIfAbsent(key, k -> {
            LOADS.incrementAndGet();
            return new SharedModel(load.get());
        });
    }

    /** How many times this JVM has loaded a model (for tests: once per JVM and model, not once per task). */
    static int loadCount() {
        return LOADS.get();
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "(unknown host)";
        }
    }
}
