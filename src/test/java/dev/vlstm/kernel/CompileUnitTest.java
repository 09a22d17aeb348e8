package dev.vlstm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.management.ManagementFactory;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Vector API kernels compile in units whose size their own source fixes, never their callers, each well inside
 * C2's budget. Read off the compiled class with the JDK's class-file API, so it holds on every CPU.
 *
 * <p>Why: a vector operation is intrinsified only where C2 compiles it; anywhere else it runs the Vector API's Java
 * fallback and allocates a boxed vector. There are two ways to end up there. (1) Inlined into a large compilation
 * (over about 8 000 inlined bytecodes) C2 defers the Vector API's methods to incremental inlining, which stops at
 * {@code LiveNodeCountInliningCutoff} (40 000 nodes): the operations left over fall back. This test rules that out by
 * construction. (2) A kernel not yet compiled by C2 at all runs as C1 code, and its long loops as OSR compilations
 * entered with boxed vectors: a kernel called once per call of a slow model stays there for hundreds of calls.
 * {@link KernelWarmUp} rules that out. The W3-sized failure (140 KB per call in the head kernels; Ice Lake,
 * 2026-12-06, f587ae1, and reproduced on Zen 5 at 14a294f, which already passed this test) was (2): on Zen 5 it went
 * with the warm-up, and shrinking the budget of (1) with {@code -XX:LiveNodeCountInliningCutoff=3000} made no kernel
 * allocate. For (1):
 * <ul>
 * <li>a method is a compilation root when C2 never inlines it: more than {@code FreqInlineSize} (325) bytes of
 *     bytecode. Smaller methods of this class inline into their callers;</li>
 * <li>every method called from outside the class is a root, or reaches no vector code, so no vector operation is
 *     ever inlined into the runtime's own, arbitrarily large, methods;</li>
 * <li>each root's unit (itself and the small methods it inlines, each call site a copy) makes at most
 *     {@link #MAX_VECTOR_CALLS} Vector API calls: about the largest kernel's, so that no kernel grows, or gains an
 *     inlined helper, unnoticed. Before this rule, units of up to 133 calls compiled (cellUpdate, with four inlined
 *     copies of the activations), and the one that failed on Ice Lake held 40, from five different kernels.</li>
 * </ul>
 */
class CompileUnitTest {

    /** Vector API call sites per compilation unit, copies of inlined methods counted each time. */
    static final int MAX_VECTOR_CALLS = 110;

    record Method(String name, int bytes, boolean external, int vectorCalls, List<String> callees) {}

    /**
     * VectorKernels, and VectorHeadMath and ReducedKernels, whose kernels it calls: each holds the others' calls for
     * outside ones.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(classes = {VectorKernels.class, VectorHeadMath.class, ReducedKernels.class})
    void everyCompilationUnitOfTheVectorKernelsIsFixedBySourceAndBounded(Class<?> kernels) throws IOException {
        int freqInlineSize = Integer.parseInt(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("FreqInlineSize").getValue());
        Map<String, Method> methods = methods(kernels);
        Map<String, Integer> units = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (Method m : methods.values()) {
            boolean root = m.bytes > freqInlineSize;
            int calls = vectorCalls(m, methods, freqInlineSize, 0);
            if (root && calls > 0) units.put(m.name + " (" + m.bytes + " B)", calls);
            if (m.external && !root && calls > 0)
                problems.add(m.name + " is called from outside, has " + m.bytes + " bytes of bytecode (C2 inlines it"
                        + " into its caller: at most " + freqInlineSize + ") and reaches " + calls + " vector calls");
            if (root && calls > MAX_VECTOR_CALLS)
                problems.add(m.name + "'s compilation unit makes " + calls + " Vector API calls; at most " + MAX_VECTOR_CALLS);
        }
        System.out.println(kernels.getSimpleName() + " compilation units, Vector API calls each: " + units);
        assertTrue(units.size() >= (kernels == ReducedKernels.class ? 4 : 5), "expected the kernels as roots, found " + units);
        assertEquals(List.of(), problems, "compilation units: " + units);
    }

    /** Vector API calls of m's compilation unit: its own and those of every inlined (small) callee, per call site. */
    private static int vectorCalls(Method m, Map<String, Method> methods, int freqInlineSize, int depth) {
        if (depth > 20) throw new AssertionError("recursion through " + m.name);
        int calls = m.vectorCalls;
        for (String c : m.callees) {
            Method callee = methods.get(c);
            if (callee != null && callee.bytes <= freqInlineSize) calls += vectorCalls(callee, methods, freqInlineSize, depth + 1);
        }
        return calls;
    }

    static Map<String, Method> methods(Class<?> type) throws IOException {
        ClassModel cm;
        try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class")) {
            cm = ClassFile.of().parse(in.readAllBytes());
        }
        String self = cm.thisClass().asInternalName();
        Map<String, Method> methods = new LinkedHashMap<>();
        for (MethodModel mm : cm.methods()) {
            CodeModel code = mm.code().orElse(null);
            if (code == null) continue;
            int bytes = ((java.lang.classfile.attribute.CodeAttribute) code).codeLength(), vector = 0;
            List<String> callees = new ArrayList<>();
            for (var e : code) {
                if (e instanceof InvokeInstruction inv) {
                    String owner = inv.owner().asInternalName();
                    if (owner.startsWith("jdk/incubator/vector/")) vector++;
                    else if (owner.equals(self)) callees.add(inv.name().stringValue() + inv.type().stringValue());
                }
            }
            String key = mm.methodName().stringValue() + mm.methodType().stringValue();
            boolean external = !mm.flags().has(AccessFlag.PRIVATE) && !mm.methodName().stringValue().startsWith("<");
            methods.put(key, new Method(mm.methodName().stringValue(), bytes, external, vector, callees));
        }
        return methods;
    }
}
