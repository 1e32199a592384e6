package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reductions with and without keepdim over every layout. Bounds: a sum of K terms |Δ| <= 4·K·2⁻²⁴·Σ|x| (DESIGN.md's
 * dot-product bound with one factor 1); a mean (4·K + 2)·2⁻²⁴·mean|x|; a variance (4·K + 8)·2⁻²⁴·Σx²/(K − c);
 * max, min, argmax and argmin exactly.
 */
class ReductionsTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0003L);
    private static final double U = Compare.U;

    static final Object[][] CASES = {
            {new int[]{}, new int[]{}},
            {new int[]{1031}, new int[]{0}},
            {new int[]{7, 33}, new int[]{0}},
            {new int[]{7, 33}, new int[]{1}},
            {new int[]{7, 33}, new int[]{-1, 0}},
            {new int[]{2, 3, 5, 4}, new int[]{1}},
            {new int[]{2, 3, 5, 4}, new int[]{0, 2}},
            {new int[]{2, 3, 5, 4}, new int[]{3, 1, 2}},
            {new int[]{2, 1, 3, 2, 1, 3}, new int[]{0, 2, 5}},
            {new int[]{3, 1, 5}, new int[]{1}},
    };

    private static int count(int[] shape, int[] dims) {
        int k = 1;
        for (int d : dims) k *= shape[Ref.dim(d, shape.length)];
        return k;
    }

    @Test
    void sumMeanVarAgainstReferenceWithBounds() {
        for (Object[] c : CASES) {
            int[] shape = (int[]) c[0], dims = (int[]) c[1];
            int k = count(shape, dims);
            for (Twin x : Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 10), shape))
                for (boolean keep : new boolean[]{false, true}) {
                    String what = x.name() + " dims " + java.util.Arrays.toString(dims) + " keepdim " + keep;
                    RefTensor absSum = Ref.reduce(x.r(), dims, keep, Ref.ABS_SUM);
                    Compare.bounded("sum " + what, Ref.reduce(x.r(), dims, keep, Ref.SUM), x.t().sum(dims, keep),
                            Ref.map(absSum, s -> 4 * k * U * s));
                    Compare.bounded("mean " + what, Ref.reduce(x.r(), dims, keep, Ref.MEAN), x.t().mean(dims, keep),
                            Ref.map(absSum, s -> (4 * k + 2) * U * s / k));
                    for (double corr : new double[]{0, 1}) {
                        if (k - corr <= 0) continue;
                        RefTensor sq = Ref.reduce(x.r(), dims, keep, Ref.SQUARE_SUM);
                        Compare.bounded("var(" + corr + ") " + what, Ref.reduce(x.r(), dims, keep, Ref.var(corr)), x.t().var(dims, corr, keep),
                                Ref.map(sq, s -> (4 * k + 8) * U * s / (k - corr)));
                    }
                }
        }
    }

    /**
     * Sizes that take the CPU kernel's parallel fast paths (contiguous input, reduced dimensions all leading, all
     * trailing, or around one block of kept ones as BatchNorm's per-channel statistics over (N, C, H, W); split over
     * the worker pool in blocks), next to strided views of the same data, which take the generic loop.
     */
    @Test
    void largeLeadingTrailingAndMiddleReductionsAgainstReference() {
        Object[][] cases = {
                {new int[]{300, 257}, new int[]{0}}, {new int[]{3, 1000, 17}, new int[]{0, 1}}, {new int[]{6400, 9}, new int[]{0}},
                {new int[]{2000, 37}, new int[]{1}}, {new int[]{40, 50, 50}, new int[]{2}}, {new int[]{64, 9, 31}, new int[]{1, 2}},
                {new int[]{8, 16, 28, 28}, new int[]{0, 2, 3}}, {new int[]{5, 3, 4, 40}, new int[]{0, 3}},
                {new int[]{30, 6, 7}, new int[]{0, 2}}};
        for (Object[] c : cases) {
            int[] shape = (int[]) c[0], dims = (int[]) c[1];
            int k = count(shape, dims);
            List<Twin> xs = Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 10), shape);
            for (Twin x : List.of(xs.get(0), xs.get(xs.size() - 1)))
                for (boolean keep : new boolean[]{false, true}) {
                    String what = x.name() + " dims " + java.util.Arrays.toString(dims) + " keepdim " + keep;
                    RefTensor absSum = Ref.reduce(x.r(), dims, keep, Ref.ABS_SUM);
                    Compare.bounded("sum " + what, Ref.reduce(x.r(), dims, keep, Ref.SUM), x.t().sum(dims, keep),
                            Ref.map(absSum, s -> 4 * k * U * s));
                    Compare.bounded("mean " + what, Ref.reduce(x.r(), dims, keep, Ref.MEAN), x.t().mean(dims, keep),
                            Ref.map(absSum, s -> (4 * k + 2) * U * s / k));
                    RefTensor sq = Ref.reduce(x.r(), dims, keep, Ref.SQUARE_SUM);
                    Compare.bounded("var(1) " + what, Ref.reduce(x.r(), dims, keep, Ref.var(1)), x.t().var(dims, 1, keep),
                            Ref.map(sq, v -> (4 * k + 8) * U * v / (k - 1)));
                }
        }
    }

    @Test
    void maxMinArgmaxArgminExactlyWithTies() {
        for (Object[] c : CASES) {
            int[] shape = (int[]) c[0];
            if (shape.length == 0) continue;
            for (int dim = -1; dim < shape.length; dim++) {
                if (dim == -1 && shape.length == 1) continue;
                // Small integers: many ties, where argmax/argmin must report the first position.
                for (Twin x : Twin.layouts(rng, Twin.Values.ints(-3, 4), shape))
                    for (boolean keep : new boolean[]{false, true}) {
                        String what = x.name() + " dim " + dim + " keepdim " + keep;
                        int[] d = {dim};
                        Compare.exact("max " + what, Ref.reduce(x.r(), d, keep, Ref.MAX), x.t().max(dim, keep));
                        Compare.exact("min " + what, Ref.reduce(x.r(), d, keep, Ref.MIN), x.t().min(dim, keep));
                        Tensor am = x.t().argmax(dim, keep), an = x.t().argmin(dim, keep);
                        assertEquals(DType.INT64, am.dtype());
                        Compare.exact("argmax " + what, Ref.reduce(x.r(), d, keep, Ref.ARGMAX), am);
                        Compare.exact("argmin " + what, Ref.reduce(x.r(), d, keep, Ref.ARGMIN), an);
                    }
            }
        }
        Twin x = Twin.random(rng, 7, 33);
        Compare.exact("max()", Ref.reduce(x.r(), Ref.allDims(x.r()), false, Ref.MAX), x.t().max());
        Compare.exact("min()", Ref.reduce(x.r(), Ref.allDims(x.r()), false, Ref.MIN), x.t().min());
        assertEquals(0, x.t().max().rank());
    }

    @Test
    void nanPropagatesThroughMaxMinAndCountsAsTheExtremeForArgIndices() {
        float[] v = {1, 5, Float.NaN, 7, Float.NaN, -1, 2, 3, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        Twin x = Twin.of("nan rows", v, 3, 4);
        for (int dim : new int[]{0, 1}) {
            int[] d = {dim};
            Compare.exact("max nan dim " + dim, Ref.reduce(x.r(), d, false, Ref.MAX), x.t().max(dim, false));
            Compare.exact("min nan dim " + dim, Ref.reduce(x.r(), d, false, Ref.MIN), x.t().min(dim, false));
            Compare.exact("argmax nan dim " + dim, Ref.reduce(x.r(), d, false, Ref.ARGMAX), x.t().argmax(dim, false));
            Compare.exact("argmin nan dim " + dim, Ref.reduce(x.r(), d, false, Ref.ARGMIN), x.t().argmin(dim, false));
        }
        assertArrayEquals(new long[]{2, 0, 0}, x.t().argmax(1, false).toLongArray());
        assertTrue(Float.isNaN(x.t().sum().item()));
        assertEquals(Float.NEGATIVE_INFINITY, x.t().max(1, false).toFloatArray()[2]);
    }

    @Test
    void largeSumsStayWithinTheBound() {
        // 2^20 + 3 values of mixed magnitude: a naive float accumulation would drift far past the bound.
        Twin x = Twin.random(rng, Twin.Values.WIDE, (1 << 20) + 3);
        RefTensor s = Ref.reduce(x.r(), new int[]{0}, false, Ref.SUM);
        RefTensor a = Ref.reduce(x.r(), new int[]{0}, false, Ref.ABS_SUM);
        Compare.bounded("sum of 2^20+3", s, x.t().sum(), Ref.map(a, v -> 4.0 * x.r().numel() * U * v));
        // Constant input: the mean must be exact and the variance 0.
        Tensor c = Tensor.full(0.1, 1031, 3);
        assertArrayEquals(new float[]{0.1f, 0.1f, 0.1f}, c.mean(new int[]{0}, false).toFloatArray());
        assertArrayEquals(new float[3], c.var(new int[]{0}, 1, false).toFloatArray());
    }

    @Test
    void emptyAndDegenerateReductions() {
        Tensor e = Tensor.zeros(0, 3);
        assertArrayEquals(new float[3], e.sum(0, false).toFloatArray(), "sum over an empty dimension is 0");
        assertArrayEquals(new int[]{0, 1}, e.sum(1, true).shape());
        float[] m = e.mean(0, false).toFloatArray();
        for (float f : m) assertTrue(Float.isNaN(f), "mean over nothing is NaN");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.max(0, false));
        assertTrue(ex.getMessage().contains("max") && ex.getMessage().contains("[0, 3]"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> e.argmin(0, false));
        assertTrue(ex.getMessage().contains("argmin") && ex.getMessage().contains("[0, 3]"), ex.getMessage());
        // One element with the unbiased correction: NaN, as in PyTorch.
        assertTrue(Float.isNaN(Tensor.ones(1, 4).var(new int[]{0}, 1, false).toFloatArray()[0]));
        ex = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).sum(new int[]{1, -1}, false));
        assertTrue(ex.getMessage().contains("sum") && ex.getMessage().contains("twice"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).mean(2, false));
        assertTrue(ex.getMessage().contains("mean") && ex.getMessage().contains("[2, 3]"), ex.getMessage());
    }
}
