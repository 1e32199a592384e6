package io.github.dropitjvm.tensor;

/** Scalar special functions the JDK lacks, accurate to well below float32 rounding. */
public final class SpecialFunctions {
    private SpecialFunctions() {}

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    /**
     * erf(x) in double. |x| < 2: the Maclaurin series (terms shrink fast, no cancellation to speak of);
     * 2 <= |x| < 6: 1 − erfc(x) with erfc from its continued fraction (Lentz), which converges quickly there;
     * |x| >= 6: ±1 (erfc(6) ≈ 2e-17 is below double resolution at 1).
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax < 2.0) {
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 60; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            return TWO_OVER_SQRT_PI * sum;
        }
        if (ax >= 6.0) return Math.copySign(1.0, x);
        double r = 1.0 - erfcContinuedFraction(ax);
        return Math.copySign(r, x);
    }

    /**
     * erfc(x) = 1 − erf(x), accurate relative to its own size in the upper tail where 1 − erf(x) would cancel to
     * noise: the continued fraction for x >= 2, 1 − erf(x) below (erfc(2) ≈ 0.005 loses under 3 digits of 16),
     * 2 − erfc(−x) for negative x, and 0 beyond x = 27 where exp(−x²) underflows anyway.
     */
    public static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        if (x < 0) return 2 - erfc(-x);
        if (x < 2.0) return 1 - erf(x);
        if (x > 27.0) return 0;
        return erfcContinuedFraction(x);
    }

    /** erfc(x) for x >= 2: exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))). */
    private static double erfcContinuedFraction(double x) {
        double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 200; n++) {
            double a = n * 0.5;
            d = x + a * d;
            if (d == 0) d = tiny;
            c = x + a / c;
            if (c == 0) c = tiny;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) break;
        }
        return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
    }
}
