package dev.vlstm.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Picks the {@link LstmKernels} implementation once per JVM.
 *
 * <pre>{@code
 * LstmKernels kernels = Kernels.get();   // "vector (16 lanes)" when started with --add-modules jdk.incubator.vector
 * kernels.lstmStep(batch, hidden, r, pre, 0, preStride, h, 0, hidden, c, 0, hidden, hNext, 0, hidden);
 * }</pre>
 *
 * <p>The system property {@value #PROPERTY} chooses: {@code auto} (the default) uses the Vector API kernels when the
 * module {@code jdk.incubator.vector} is in the boot layer, and otherwise the plain-Java kernels with one warning
 * through {@code System.getLogger("dev.vlstm")}; {@code vector} insists on the Vector API and fails with
 * {@link IllegalStateException} when it is unavailable; {@code scalar} always uses plain Java.
 *
 * <p>The Vector API class is loaded by name only after the module check passes, so on the scalar path no class that
 * touches {@code jdk.incubator.vector} is ever loaded. For tests, {@code vlstm.vectorBits} (128, 256 or 512) sets the
 * vector size instead of the machine's preferred one.
 */
public final class Kernels {

    /** System property selecting the implementation: {@code auto}, {@code vector} or {@code scalar}. */
    public static final String PROPERTY = "vlstm.kernels";

    static final String VECTOR_MODULE = "jdk.incubator.vector";
    static final String HOW_TO_FIX = "add --add-modules jdk.incubator.vector to the java command"
            + " (or to the JDK_JAVA_OPTIONS environment variable)";
    private static final String VECTOR_CLASS = "dev.vlstm.kernel.VectorKernels";

    private Kernels() {}

    /**
     * The implementation for this JVM, chosen on first use from {@value #PROPERTY}.
     *
     * @throws IllegalStateException if {@code vlstm.kernels=vector} but the Vector API is unavailable, or the
     *                               property has an unknown value
     */
    public static LstmKernels get() {
        return Selected.INSTANCE.get();
    }

    /** Name of the implementation {@link #get()} returns, e.g. {@code "vector (16 lanes)"} or {@code "scalar"}. */
    public static String active() {
        return get().name();
    }

    /** The plain-Java implementation, whatever {@value #PROPERTY} says. */
    public static LstmKernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    /**
     * The Vector API implementation, whatever {@value #PROPERTY} says.
     *
     * @throws IllegalStateException if {@code jdk.incubator.vector} is not in the boot layer or the kernels cannot start
     */
    public static LstmKernels vector() {
        return LoadedVector.INSTANCE.get();
    }

    /**
     * The choice itself, for tests: {@code mode} is the property value (null means auto), {@code vector} supplies the
     * Vector API kernels or throws {@link IllegalStateException}, {@code warn} receives the fallback warning.
     */
    static LstmKernels select(String mode, Supplier<LstmKernels> vector, Consumer<String> warn) {
        String m = mode == null ? "auto" : mode.trim().toLowerCase(Locale.ROOT);
        switch (m) {
            case "", "auto" -> {
                try {
                    return vector.get();
                } catch (IllegalStateException e) {
                    warn.accept("vlstm is using its plain-Java LSTM kernels, about 5-20x slower than the Vector API"
                            + " ones, because " + e.getMessage() + ".");
                    return ScalarKernels.INSTANCE;
                }
            }
            case "vector" -> {
                try {
                    return vector.get();
                } catch (IllegalStateException e) {
                    throw new IllegalStateException("system property " + PROPERTY + " is 'vector', but "
                            + e.getMessage(), e);
                }
            }
            case "scalar" -> {
                return ScalarKernels.INSTANCE;
            }
            default -> throw new IllegalStateException("system property " + PROPERTY + " is '" + mode
                    + "'; expected auto, vector or scalar");
        }
    }

    /** Loads VectorKernels by name after checking the module; the reason for failure is in the exception message. */
    private static LstmKernels loadVector() {
        Optional<Module> module = ModuleLayer.boot().findModule(VECTOR_MODULE);
        if (module.isEmpty()) {
            throw new IllegalStateException("the Vector API module " + VECTOR_MODULE
                    + " is not in the boot layer; to fix this, " + HOW_TO_FIX);
        }
        // A no-op on the class path; on the module path it lets vlstm read the incubator module without requiring it.
        Kernels.class.getModule().addReads(module.get());
        try {
            var lookup = MethodHandles.lookup();
            Class<?> type = lookup.findClass(VECTOR_CLASS);
            LstmKernels kernels = (LstmKernels) lookup.findConstructor(type, MethodType.methodType(void.class)).invoke();
            KernelWarmUp.start(kernels);    // so that no kernel runs uncompiled, allocating, for a model's first calls
            return kernels;
        } catch (RuntimeException | LinkageError e) {   // e.g. vectors too narrow, a bad vlstm.vectorBits
            throw new IllegalStateException("the Vector API kernels could not start (" + rootCause(e) + ")", e);
        } catch (Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("the Vector API kernels could not start (" + rootCause(e) + ")", e);
        }
    }

    private static Throwable rootCause(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) e = e.getCause();
        return e;
    }

    /** An implementation or the reason there is none, computed once and rethrown to every caller. */
    private record Outcome(LstmKernels kernels, IllegalStateException failure) {
        static Outcome of(Supplier<LstmKernels> choice) {
            try {
                return new Outcome(choice.get(), null);
            } catch (IllegalStateException e) {
                return new Outcome(null, e);
            }
        }

        LstmKernels get() {
            if (failure != null) throw new IllegalStateException(failure.getMessage(), failure);
            return kernels;
        }
    }

    /** Holder idiom: the choice runs (and warns) at most once, on first use, without locking afterwards. */
    private static final class Selected {
        static final Outcome INSTANCE = Outcome.of(() -> select(System.getProperty(PROPERTY), Kernels::vector,
                message -> System.getLogger("dev.vlstm").log(System.Logger.Level.WARNING, message)));
    }

    private static final class LoadedVector {
        static final Outcome INSTANCE = Outcome.of(Kernels::loadVector);
    }
}
