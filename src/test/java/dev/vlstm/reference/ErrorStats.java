package dev.vlstm.reference;

/**
 * How far float32 results are from float64 reference values: the largest absolute error, the largest relative error
 * (|got − want| / max(|want|, 1e-6)), and the largest |want|, for failure messages and reports.
 */
public record ErrorStats(double maxAbs, double maxRel, double maxMagnitude, int worstIndex) {

    public static final ErrorStats NONE = new ErrorStats(0, 0, 0, -1);

    public static ErrorStats of(double[] want, float[] got) {
        if (want.length != got.length)
            throw new AssertionError("length " + got.length + " where the reference has " + want.length);
        double maxAbs = 0;
        double maxRel = 0;
        double maxMagnitude = 0;
        int worst = -1;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            if (err > maxAbs || worst < 0) {
                maxAbs = Math.max(maxAbs, err);
                worst = i;
            }
            maxRel = Math.max(maxRel, err / Math.max(Math.abs(want[i]), 1e-6));
            maxMagnitude = Math.max(maxMagnitude, Math.abs(want[i]));
        }
        return new ErrorStats(maxAbs, maxRel, maxMagnitude, worst);
    }

    public ErrorStats max(ErrorStats o) {
        return new ErrorStats(Math.max(maxAbs, o.maxAbs), Math.max(maxRel, o.maxRel),
                Math.max(maxMagnitude, o.maxMagnitude), maxAbs >= o.maxAbs ? worstIndex : o.worstIndex);
    }

    @Override
    public String toString() {
        return String.format("max abs err %.3g, max rel err %.3g, max |value| %.3g", maxAbs, maxRel, maxMagnitude);
    }
}
