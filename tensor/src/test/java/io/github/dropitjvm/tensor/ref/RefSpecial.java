package io.github.dropitjvm.tensor.ref;

/**
 * erf, erfc, the normal CDF and GELU by numerical integration of 2/√π·exp(−t²) with composite Simpson plus one
 * Romberg step — a method independent of the main code's series and continued fraction. erfc integrates the tail
 * from z after factoring exp(−z²) out, so it stays accurate relative to its own (tiny) size far into the tail.
 */
public final class RefSpecial {
    private RefSpecial() {}

    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final int INTERVALS = 2048; // a multiple of 4

    private interface F {
        double at(double t);
    }

    /**
     * Composite Simpson with step h and with step 2h over the same points, combined by one Richardson step
     * (S_h + (S_h − S_2h)/15, Romberg's rule): the h⁴ error terms cancel, leaving O(h⁶).
     */
    private static double simpson(F f, double a, double b) {
        double h = (b - a) / INTERVALS;
        double[] y = new double[INTERVALS + 1];
        for (int i = 0; i <= INTERVALS; i++) y[i] = f.at(a + i * h);
        double fine = y[0] + y[INTERVALS], coarse = y[0] + y[INTERVALS];
        for (int i = 1; i < INTERVALS; i++) fine += (i % 2 == 1 ? 4 : 2) * y[i];
        for (int i = 2; i < INTERVALS; i += 2) coarse += (i % 4 == 2 ? 4 : 2) * y[i];
        double sh = fine * h / 3, s2h = coarse * 2 * h / 3;
        return sh + (sh - s2h) / 15;
    }

    /** erfc(z) for z >= 0 = 2/√π·exp(−z²)·∫₀^L exp(−2zs − s²) ds, L long enough that the rest is negligible. */
    public static double erfc(double z) {
        if (Double.isNaN(z)) return z;
        if (z < 0) return 2 - erfc(-z);
        if (z == Double.POSITIVE_INFINITY) return 0;
        // Far enough that exp(−2zs − s²) has fallen below e^−40 relative to its start.
        double length = Math.sqrt(z * z + 40) - z;
        return TWO_OVER_SQRT_PI * Math.exp(-z * z) * simpson(s -> Math.exp(-2 * z * s - s * s), 0, length);
    }

    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax <= 1) return TWO_OVER_SQRT_PI * simpson(t -> Math.exp(-t * t), 0, x);
        return Math.copySign(1 - erfc(ax), x);
    }

    /** Φ(x), accurate relative to itself for negative x. */
    public static double normalCdf(double x) {
        double z = x / Math.sqrt(2);
        return x < 0 ? 0.5 * erfc(-z) : 1 - 0.5 * erfc(z);
    }

    /** x·Φ(x), evaluated in IEEE arithmetic (so −∞ gives −∞·0 = NaN, as the main kernel does). */
    public static double gelu(double x) {
        return x * normalCdf(x);
    }

    /** GELU's derivative Φ(x) + x·φ(x). */
    public static double geluGrad(double x) {
        return normalCdf(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    /** |Φ(x)| + |x·φ(x)|: the size of the terms GELU's derivative sums (they cancel near its root x ≈ −0.75). */
    public static double geluGradTerms(double x) {
        return Math.abs(normalCdf(x)) + Math.abs(x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI));
    }

    public static double geluTanh(double x) {
        // 0.5·(1 + tanh z) = 1/(1 + e^(−2z)) exactly; the tanh form cancels to noise for x < −3 (1 + tanh z near −1).
        return x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }
}
