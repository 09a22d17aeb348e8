package dev.vlstm.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector constants of {@link VectorKernels}, in their own class so that they initialise only when the provider has
 * checked that {@code jdk.incubator.vector} is present and decided to use it.
 *
 * <p>The species must be a {@code static final} constant: only then can C2 intrinsify the vector operations; anything
 * else boxes every vector and runs slower than scalar code.
 */
final class PanelSpecies {

    /**
     * Upper bound on the vector size in bits, for tests of the narrower shapes on a wide machine: 512 (the default),
     * 256 or 128. Vectors never exceed the machine's preferred size.
     */
    static final String MAX_BITS_PROPERTY = "vlstm.vectorBits";

    /** Largest of 512, 256, 128, 64 bits that fits both the preferred shape and the cap; a power of two divides 16. */
    static final VectorSpecies<Float> SPECIES = chooseSpecies();

    /** Float lanes per vector: 16 with AVX-512, 8 with AVX2 or AVX-512 capped at 256 bits, 4 with NEON. */
    static final int LANES = SPECIES.length();

    /** Vectors per 16-unit panel row: 1, 2 or 4. A "slice" is one such vector's worth of consecutive units. */
    static final int SLICES = LstmKernels.PANEL / LANES;

    private PanelSpecies() {}

    private static VectorSpecies<Float> chooseSpecies() {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int cap = Integer.getInteger(MAX_BITS_PROPERTY, 512);
        if (cap != 128 && cap != 256 && cap != 512)
            throw new IllegalArgumentException("system property " + MAX_BITS_PROPERTY + " is " + cap
                    + "; expected 128, 256 or 512");
        int bits = 512;
        while (bits > 64 && (bits > preferred || bits > cap)) bits /= 2;
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }
}
