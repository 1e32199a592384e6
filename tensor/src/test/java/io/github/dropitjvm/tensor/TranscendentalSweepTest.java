package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefSpecial;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

/**
 * The vectorised float-lane transcendentals (exp, sigmoid, tanh, erf, GELU, GELU') swept over many floats against
 * the float64 reference, with the op tests' bound (4 ulp; GELU' as in {@link ElementwiseTest#geluGradMatchesTheReference}):
 * every k-th float bit pattern over the whole float range (NaNs, infinities, subnormals and huge values included),
 * a denser sweep of [−20, 20] by bit pattern (so small magnitudes are as well covered as large ones), and the
 * values at each kernel's switch points (range limits, branch thresholds) and their neighbours. Arrays are
 * contiguous and their lengths multiples of every vector width, so all values go through the vector loops.
 */
class TranscendentalSweepTest {
    /** Every stride-th float bit pattern, both signs, plus the edge values, padded to a multiple of 64. */
    static float[] allFloats(int stride) {
        int n = (int) ((1L << 32) / stride);
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) xs[i] = Float.intBitsToFloat((int) ((long) i * stride));
        return pad(xs);
    }

    /** Every stride-th float bit pattern of [0, limit], with its negative. */
    static float[] symmetric(float limit, int stride) {
        int top = Float.floatToRawIntBits(limit), n = top / stride + 1;
        float[] xs = new float[2 * n];
        for (int i = 0; i < n; i++) {
            xs[2 * i] = Float.intBitsToFloat(i * stride);
            xs[2 * i + 1] = -xs[2 * i];
        }
        return pad(xs);
    }

    /** The values with each neighbour and their negatives, plus the specials. */
    static float[] around(float... points) {
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_VALUE, 3 * Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL,
                Math.nextDown(Float.MIN_NORMAL), 1e-30f, -1e-30f, 1e-7f, -1e-7f, 1f, -1f};
        float[] xs = Arrays.copyOf(special, special.length + 6 * points.length);
        int k = special.length;
        for (float p : points)
            for (float v : new float[]{Math.nextDown(p), p, Math.nextUp(p)}) {
                xs[k++] = v;
                xs[k++] = -v;
            }
        return pad(xs);
    }

    private static float[] pad(float[] xs) {
        float[] out = Arrays.copyOf(xs, (xs.length + 63) / 64 * 64);
        Arrays.fill(out, xs.length, out.length, 1f);
        return out;
    }

    private static void check(String what, float[] xs, Function<Tensor, Tensor> op, DoubleUnaryOperator ref) {
        Twin x = Twin.of(what, xs, xs.length);
        Compare.ulps(what, Ref.map(x.r(), ref), op.apply(x.t()), 4);
    }

    @Test
    void expSweep() {
        // Switch points: where the result turns subnormal, rounds to zero, overflows, and the clamp limits.
        float[] edges = around(87.33654f, 88.72283f, 103.27893f, 103.97208f, 104f, 89f, 0.34657359f, 20f, 60f);
        for (float[] xs : new float[][]{allFloats(1031), symmetric(20f, 1021), symmetric(110f, 4093), edges})
            check("exp", xs, Tensor::exp, Math::exp);
    }

    @Test
    void sigmoidSweep() {
        float[] edges = around(87.33654f, 88.72283f, 103.27893f, 103.97208f, 104f, 17f, 20f);
        for (float[] xs : new float[][]{allFloats(1031), symmetric(20f, 1021), symmetric(110f, 4093), edges})
            check("sigmoid", xs, Tensor::sigmoid, ElementwiseTest::sigmoid);
    }

    @Test
    void tanhSweep() {
        float[] edges = around(0.55f, 20f, 9.01f, 1e-4f);
        for (float[] xs : new float[][]{allFloats(1031), symmetric(20f, 1021), edges})
            check("tanh", xs, Tensor::tanh, Math::tanh);
    }

    // The erf family's reference integrates numerically (slow), hence the sparser sweeps.

    @Test
    void erfSweep() {
        float[] edges = around(0.5f, 9.2f, 6f, 2f);
        for (float[] xs : new float[][]{allFloats(131071), symmetric(12f, 65537), edges})
            check("erf", xs, Tensor::erf, RefSpecial::erf);
    }

    @Test
    void geluSweep() {
        float[] edges = around(13.01f, 13.010826f, 0.75179f, 4f);
        for (float[] xs : new float[][]{allFloats(131071), symmetric(15f, 65537), edges})
            check("gelu", xs, Tensor::gelu, RefSpecial::gelu);
    }

    @Test
    void geluGradSweep() {
        float[] edges = around(13.01f, 13.010826f, 0.75179f, 4f);
        for (float[] xs : new float[][]{allFloats(131071), symmetric(15f, 65537), edges}) {
            Twin x = Twin.of("geluGrad", xs, xs.length);
            RefTensor bound = Ref.map(x.r(), v -> 4 * Math.ulp((float) RefSpecial.geluGrad(v)) + 4 * 0x1p-24 * RefSpecial.geluGradTerms(v));
            Compare.bounded("geluGrad", Ref.map(x.r(), RefSpecial::geluGrad), x.t().geluGrad(), bound);
        }
    }
}
