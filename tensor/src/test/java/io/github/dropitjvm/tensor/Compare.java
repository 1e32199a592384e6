package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.RefTensor;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Assertions of main-code results against the float64 reference. Three strengths:
 * <ul>
 *   <li>{@link #exact}: the float nearest the reference (NaN matches NaN, the sign of zero is ignored);</li>
 *   <li>{@link #ulps}: within n units in the last place of that float (elementwise functions);</li>
 *   <li>{@link #bounded}: |Δ| <= an elementwise bound computed in the reference, e.g. DESIGN.md's
 *       4·K·2⁻²⁴·(|A|·|B|)ᵢⱼ for dot-product-like results.</li>
 * </ul>
 * Infinite expected values must match exactly in every mode.
 */
final class Compare {
    private Compare() {}

    /** 2⁻²⁴: the unit roundoff of float32. */
    static final double U = 0x1p-24;

    static void shape(String what, RefTensor expected, Tensor actual) {
        assertArrayEquals(expected.shape, actual.shape(), what + ": shape");
    }

    static void exact(String what, RefTensor expected, Tensor actual) {
        ulps(what, expected, actual, 0);
    }

    static void ulps(String what, RefTensor expected, Tensor actual, double ulps) {
        shape(what, expected, actual);
        float[] a = actual.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            double e = expected.data[i];
            float ef = (float) e;
            double bound = ulps * Math.ulp(ef);
            if (!close(e, a[i], ulps == 0 ? 0 : bound, ulps == 0))
                failAt(what, expected, i, e, a[i], ulps + " ulp = " + bound);
        }
    }

    static void bounded(String what, RefTensor expected, Tensor actual, RefTensor bound) {
        shape(what, expected, actual);
        float[] a = actual.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            double e = expected.data[i];
            if (!close(e, a[i], bound.data[i], false)) failAt(what, expected, i, e, a[i], Double.toString(bound.data[i]));
        }
    }

    private static boolean close(double e, float a, double bound, boolean nearest) {
        if (Double.isNaN(e)) return Float.isNaN(a);
        float ef = (float) e;
        if (Float.isInfinite(ef) || Float.isInfinite(a)) return a == ef;
        if (nearest) return a == ef;
        return Math.abs(a - e) <= bound;
    }

    private static void failAt(String what, RefTensor expected, int i, double e, float a, String bound) {
        fail(what + ": at " + Arrays.toString(expected.unravel(i)) + " of " + Arrays.toString(expected.shape) + " expected " + e
                + " (float " + (float) e + "), got " + a + ", |Δ| = " + Math.abs(a - e) + ", bound " + bound);
    }
}
