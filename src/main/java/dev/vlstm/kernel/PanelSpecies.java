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
     * Vector size in bits, for tests of every shape on one machine: 128, 256 or 512. Unset, vlstm uses the machine's
     * preferred size, at most 512. A size above the preferred one still computes correctly but in the Vector API's
     * slow Java emulation, so use it only to test the 512-bit shape on a narrower machine.
     */
    static final String BITS_PROPERTY = "vlstm.vectorBits";

    /** 512, 256, 128 or 64 bits; a power of two, so the lanes divide the 16-unit panel. */
    static final VectorSpecies<Float> SPECIES = chooseSpecies();

    /**
     * Doubles of the same vector size, half as many lanes: the head's sums ({@link VectorHeadMath}) convert each float
     * vector to two of them and add in double.
     */
    static final VectorSpecies<Double> DOUBLES = VectorSpecies.of(double.class, SPECIES.vectorShape());

    /** Float lanes per vector: 16 with AVX-512, 8 with AVX2, 4 with NEON. */
    static final int LANES = SPECIES.length();

    /** Vectors per 16-unit panel row: 1, 2 or 4. A "slice" is one such vector's worth of consecutive units. */
    static final int SLICES = LstmKernels.PANEL / LANES;

    private PanelSpecies() {}

    private static VectorSpecies<Float> chooseSpecies() {
        String forced = System.getProperty(BITS_PROPERTY);
        int bits;
        if (forced != null) {
            bits = switch (forced.trim()) {
                case "128" -> 128;
                case "256" -> 256;
                case "512" -> 512;
                default -> throw new IllegalArgumentException("system property " + BITS_PROPERTY + " is '" + forced
                        + "'; expected 128, 256 or 512");
            };
        } else {
            int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
            bits = 512;
            while (bits > 64 && bits > preferred) bits /= 2;
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }
}
