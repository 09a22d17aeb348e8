package dev.vlstm.format;

/**
 * How a file stores its weight matrices — every layer's W and R and every dense head operation's matrix — (format
 * 2.3): the tensor table's dtype of those tensors. Biases, peepholes, layer norms, the embedding table and constant
 * sequence lengths are always f32.
 *
 * <pre>{@code
 * Model model = Model.load(Path.of("model.vlstm"));
 * if (model.spec().weights() != WeightType.FP32)      // written by convert --weights bf16 or int8
 *     System.out.println(model.spec().weights().label + ", " + model.spec().weights().bytes + " byte(s) a weight");
 * }</pre>
 */
public enum WeightType {
    /** IEEE binary32, 4 bytes a weight. */
    FP32(1, 4, "fp32"),
    /** bfloat16, 2 bytes: the upper half of the binary32, rounded to nearest even. */
    BF16(2, 2, "bf16"),
    /** int8, 1 byte: symmetric, the weight q × scale of its column, with an f32 tensor {@code <name>.scale} of scales. */
    INT8(3, 1, "int8");

    /** The tensor table's dtype code. */
    public final int code;
    /** Bytes a weight. */
    public final int bytes;
    /** The name {@code convert --weights} takes and {@code inspect} shows. */
    public final String label;

    WeightType(int code, int bytes, String label) {
        this.code = code;
        this.bytes = bytes;
        this.label = label;
    }

    /**
     * The type of a dtype code.
     *
     * @param code a tensor table's dtype code
     * @return its type, or null for a code this reader does not know
     */
    public static WeightType ofCode(long code) {
        for (WeightType t : values()) if (t.code == code) return t;
        return null;
    }

    /**
     * The type named {@code fp32}, {@code bf16} or {@code int8}.
     *
     * @param label the name, as {@code convert --weights} takes it
     * @return its type
     * @throws IllegalArgumentException for any other name, listing the three
     */
    public static WeightType ofLabel(String label) {
        for (WeightType t : values()) if (t.label.equals(label)) return t;
        throw new IllegalArgumentException("weights '" + label + "', expected fp32, bf16 or int8");
    }
}
