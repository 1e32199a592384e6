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
 * Softmax, log-softmax, layer norm, batch norm, im2col/col2im (and a convolution built from them), max and
 * average pooling with their backward, against the float64 reference on non-contiguous inputs.
 *
 * <p>Bounds (u = 2⁻²⁴, L = length of the softmax line, D = values per normalization group, K = terms summed):
 * softmax |Δ| <= (4L + 8)·u·p + 2⁻¹²⁶; log-softmax (4L + 8)·u + 8u·(|x| + |lse|) (the sum's relative error
 * becomes an absolute error of the log). A normalization with c = (4D + 8)·u
 * and group statistics mean, rstd: mean 4D·u·mean|x|; rstd rstd·(c + (c·mean|x|·rstd)²) (a stable variance has no
 * first-order error from the mean's error δ, only δ²); output c·(|x| + |mean| + mean|x|)·rstd·|w| + 4u·|b| (the
 * mean|x| term is the mean's error seen through rstd). im2col, max pooling and its indices exactly; col2im,
 * convolution and pooling backward 4·K·u·(the same sum over absolute values), average pooling (4·K + 2)·u·(…).
 */
class NnKernelsTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0005L);
    private static final double U = Compare.U;

    // ------------------------------------------------------------------ softmax

    @Test
    void softmaxAndLogSoftmaxAlongEveryDimensionOnEveryLayout() {
        for (int[] shape : new int[][]{{7}, {1031}, {7, 33}, {2, 3, 5}, {2, 1, 3, 4}, {3, 1}})
            for (Twin x : Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 10), shape))
                for (int dim = -1; dim < shape.length; dim++) checkSoftmax(x, dim);
    }

    @Test
    void softmaxSurvivesLargeLogitsAndInfinities() {
        // ±80 would overflow exp in float without subtracting the line maximum.
        Twin big = Twin.random(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 80), 9, 17);
        checkSoftmax(big, 1);
        checkSoftmax(big, 0);
        float[] v = {1, Float.NEGATIVE_INFINITY, 2, 3, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, 5e3f, -5e3f, 0, 1};
        Twin x = Twin.of("with -inf", v, 3, 4);
        checkSoftmax(x, 1);
        float[] p = x.t().softmax(1).toFloatArray();
        assertEquals(0f, p[1], "exp(−∞) is exactly 0");
        for (int j = 4; j < 8; j++) assertTrue(Float.isNaN(p[j]), "an all −∞ line is NaN, as in PyTorch");
        assertEquals(1f, p[8], "a dominant logit takes everything");
        // Rows long enough for the float-lane path: logits spread over ±80, masked (−∞) entries, an all −∞ row.
        checkSoftmax(Twin.random(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 80), 6, 50), 1);
        float[] w = Twin.draw(rng, Twin.Values.UNIFORM, 3 * 40);
        for (int j = 0; j < 40; j += 3) w[j] = Float.NEGATIVE_INFINITY;
        for (int j = 80; j < 120; j++) w[j] = Float.NEGATIVE_INFINITY;
        Twin masked = Twin.of("masked rows of 40", w, 3, 40);
        checkSoftmax(masked, 1);
        float[] pw = masked.t().softmax(1).toFloatArray();
        for (int j = 0; j < 40; j += 3) assertEquals(0f, pw[j], "masked logit " + j);
        for (int j = 80; j < 120; j++) assertTrue(Float.isNaN(pw[j]), "all −∞ row");
    }

    private static void checkSoftmax(Twin x, int dim) {
        int len = x.r().shape[Ref.dim(dim, x.r().rank())];
        RefTensor p = Ref.softmax(x.r(), dim, false), lp = Ref.softmax(x.r(), dim, true);
        Compare.bounded("softmax(" + dim + ") of " + x.name(), p, x.t().softmax(dim), Ref.map(p, v -> (4 * len + 8) * U * Math.abs(v) + 0x1p-126));
        RefTensor lse = Ref.zip(x.r(), lp, (a, b) -> Math.abs(a - b));
        RefTensor bound = Ref.zip(x.r(), lse, (a, l) -> (4 * len + 8) * U + 8 * U * (Math.abs(a) + l));
        Compare.bounded("logSoftmax(" + dim + ") of " + x.name(), lp, x.t().logSoftmax(dim), bound);
    }

    // ------------------------------------------------------------------ layer norm and batch norm

    @Test
    void layerNormOverTrailingDimensionsWithAndWithoutAffine() {
        Object[][] cases = {{new int[]{7, 33}, 1}, {new int[]{2, 3, 5}, 2}, {new int[]{4, 1031}, 1}, {new int[]{3, 4}, 2}, {new int[]{2, 1, 3, 7}, 1}, {new int[]{5}, 1}};
        for (Object[] c : cases) {
            int[] shape = (int[]) c[0];
            int k = (int) c[1];
            int[] norm = java.util.Arrays.copyOfRange(shape, shape.length - k, shape.length);
            for (Twin x : Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 4), shape)) {
                checkLayerNorm(x, norm, null, null, 1e-5);
                List<Twin> params = Twin.layouts(rng, norm);
                Twin w = params.getLast(), b = params.stream().filter(p -> p.name().startsWith("narrowed")).findFirst().orElseThrow();
                checkLayerNorm(x, norm, w, b, 1e-5);
                checkLayerNorm(x, norm, w, null, 0.1);
            }
        }
        // An offset input (mean ≫ spread) and a constant row, where eps decides the scale.
        float[] shifted = Twin.draw(rng, Twin.Values.UNIFORM, 6 * 64);
        for (int i = 0; i < shifted.length; i++) shifted[i] += 1000;
        checkLayerNorm(Twin.of("offset 1000", shifted, 6, 64), new int[]{64}, null, null, 1e-5);
        float[] constant = new float[3 * 8];
        java.util.Arrays.fill(constant, 2.5f);
        checkLayerNorm(Twin.of("constant", constant, 3, 8), new int[]{8}, null, null, 1e-5);
    }

    /** Enough rows that the CPU softmax and layer norm split them over the worker pool in several blocks. */
    @Test
    void softmaxAndLayerNormOverManyRows() {
        List<Twin> xs = Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 4), 12, 50, 50);
        for (Twin x : List.of(xs.get(0), xs.get(xs.size() - 1))) {
            checkSoftmax(x, 2);
            checkSoftmax(x, 1);
        }
        List<Twin> ys = Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 4), 400, 96);
        List<Twin> params = Twin.layouts(rng, 96);
        for (Twin y : List.of(ys.get(0), ys.get(ys.size() - 1)))
            checkLayerNorm(y, new int[]{96}, params.getLast(), params.getFirst(), 1e-6);
    }

    private static void checkLayerNorm(Twin x, int[] norm, Twin w, Twin b, double eps) {
        NnKernels.NormResult r = NnKernels.layerNorm(x.t(), norm, w == null ? null : w.t(), b == null ? null : b.t(), eps);
        Ref.Norm e = Ref.layerNorm(x.r(), norm.length, w == null ? null : w.r(), b == null ? null : b.r(), eps);
        int d = RefTensor.numel(norm);
        String what = "layerNorm" + Shape.str(norm) + " of " + x.name() + (w == null ? "" : " affine") + " eps " + eps;
        checkNorm(what, x.r(), e, r, d, f -> f / d, f -> f % d, w == null ? null : w.r(), b == null ? null : b.r());
        int[] statShape = x.r().shape.clone();
        for (int i = statShape.length - norm.length; i < statShape.length; i++) statShape[i] = 1;
        assertArrayEquals(statShape, r.mean().shape());
        assertArrayEquals(statShape, r.rstd().shape());
    }

    /** Shared bound check of a normalization: group(f) is the statistics index of flat x position f, param(f) the affine index. */
    private static void checkNorm(String what, RefTensor x, Ref.Norm e, NnKernels.NormResult r, int d,
                                  java.util.function.IntUnaryOperator group, java.util.function.IntUnaryOperator param, RefTensor w, RefTensor b) {
        int groups = e.mean().numel();
        double[] meanAbs = new double[groups];
        for (int f = 0; f < x.numel(); f++) meanAbs[group.applyAsInt(f)] += Math.abs(x.data[f]) / d;
        double c = (4 * d + 8) * U;
        RefTensor meanBound = RefTensor.zeros(e.mean().shape), rstdBound = RefTensor.zeros(e.rstd().shape);
        for (int g = 0; g < groups; g++) {
            double rs = e.rstd().data[g], shift = c * meanAbs[g] * rs;
            meanBound.data[g] = 4 * d * U * meanAbs[g];
            rstdBound.data[g] = rs * (c + shift * shift);
        }
        Compare.bounded(what + " mean", e.mean(), r.mean(), meanBound);
        Compare.bounded(what + " rstd", e.rstd(), r.rstd(), rstdBound);
        RefTensor outBound = RefTensor.zeros(x.shape);
        for (int f = 0; f < x.numel(); f++) {
            int g = group.applyAsInt(f), p = param.applyAsInt(f);
            double ww = w == null ? 1 : Math.abs(w.data[p]), bb = b == null ? 0 : Math.abs(b.data[p]);
            outBound.data[f] = c * (Math.abs(x.data[f]) + Math.abs(e.mean().data[g]) + meanAbs[g]) * e.rstd().data[g] * ww + 4 * U * bb;
        }
        Compare.bounded(what + " out", e.out(), r.out(), outBound);
    }

    @Test
    void batchNormTrainingAndInference() {
        for (int[] shape : new int[][]{{8, 3}, {4, 3, 5, 7}, {2, 5, 33}, {3, 2, 1, 1}, {2, 1, 4, 4}})
            for (Twin x : Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 3), shape)) {
                int c = shape[1];
                int spatial = RefTensor.numel(shape) / (shape[0] * c);
                int d = shape[0] * spatial;
                Twin w = Twin.random(rng, 2 * c).slice(0, 1, 2 * c, 2), b = Twin.random(rng, c);
                for (boolean affine : new boolean[]{false, true}) {
                    RefTensor wr = affine ? w.r() : null, br = affine ? b.r() : null;
                    NnKernels.NormResult r = NnKernels.batchNorm(x.t(), affine ? w.t() : null, affine ? b.t() : null, null, null, true, 1e-5);
                    Ref.Norm e = Ref.batchNorm(x.r(), wr, br, null, null, true, 1e-5);
                    checkNorm("batchNorm train " + x.name() + (affine ? " affine" : ""), x.r(), e, r, d,
                            f -> (f / spatial) % c, f -> (f / spatial) % c, wr, br);
                    assertArrayEquals(new int[]{c}, r.mean().shape());
                }
                // Inference: running statistics (variance positive), untouched inputs.
                Twin rm = Twin.random(rng, c);
                float[] rv = new float[c];
                for (int i = 0; i < c; i++) rv[i] = (float) (0.1 + rng.nextDouble());
                Twin rvar = Twin.of("running var", rv, c);
                NnKernels.NormResult r = NnKernels.batchNorm(x.t(), w.t(), b.t(), rm.t(), rvar.t(), false, 1e-3);
                Ref.Norm e = Ref.batchNorm(x.r(), w.r(), b.r(), rm.r(), rvar.r(), false, 1e-3);
                RefTensor bound = RefTensor.zeros(shape);
                for (int f = 0; f < bound.numel(); f++) {
                    int ch = (f / spatial) % c;
                    bound.data[f] = 8 * U * (Math.abs(x.r().data[f]) + Math.abs(rm.r().data[ch])) * e.rstd().data[ch] * Math.abs(w.r().data[ch]) + 4 * U * Math.abs(b.r().data[ch]);
                }
                Compare.bounded("batchNorm inference " + x.name(), e.out(), r.out(), bound);
            }
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> NnKernels.batchNorm(Tensor.zeros(1, 3), null, null, null, null, true, 1e-5));
        assertTrue(ex.getMessage().contains("batchNorm") && ex.getMessage().contains("[1, 3]"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> NnKernels.batchNorm(Tensor.zeros(2, 3), null, null, null, null, false, 1e-5));
        assertTrue(ex.getMessage().contains("batchNorm") && ex.getMessage().contains("running"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> NnKernels.batchNorm(Tensor.zeros(2, 3), Tensor.zeros(4), null, null, null, true, 1e-5));
        assertTrue(ex.getMessage().contains("batchNorm") && ex.getMessage().contains("[3]") && ex.getMessage().contains("[4]"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> NnKernels.layerNorm(Tensor.zeros(2, 3), new int[]{2}, null, null, 1e-5));
        assertTrue(ex.getMessage().contains("layerNorm") && ex.getMessage().contains("[2, 3]") && ex.getMessage().contains("[2]"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> NnKernels.layerNorm(Tensor.zeros(2, 3), new int[]{3}, Tensor.zeros(2), null, 1e-5));
        assertTrue(ex.getMessage().contains("layerNorm") && ex.getMessage().contains("[3]") && ex.getMessage().contains("[2]"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> NnKernels.layerNorm(Tensor.zeros(2, 3), new int[]{3}, null, null, -1));
        assertTrue(ex.getMessage().contains("layerNorm") && ex.getMessage().contains("eps"), ex.getMessage());
    }

    // ------------------------------------------------------------------ im2col / col2im / convolution

    /** n, c, h, w, kh, kw, sh, sw, ph, pw. */
    static final int[][] GEOMETRIES = {
            {2, 3, 7, 9, 3, 3, 1, 1, 1, 1}, {1, 2, 8, 8, 2, 2, 2, 2, 0, 0}, {2, 1, 9, 7, 3, 3, 2, 2, 1, 1},
            {1, 3, 5, 6, 1, 1, 1, 1, 0, 0}, {2, 2, 6, 11, 2, 3, 1, 2, 1, 0}, {1, 1, 1, 1, 1, 1, 1, 1, 0, 0},
            {1, 4, 33, 7, 5, 3, 3, 2, 2, 1}, {1, 1, 3, 3, 3, 3, 1, 1, 2, 2},
            // Stride 1 with the output as wide as the input (one shifted copy per row), taller or shorter than it.
            {2, 2, 9, 8, 5, 3, 1, 1, 1, 1}, {2, 2, 6, 5, 3, 5, 1, 1, 2, 2}, {1, 1, 4, 4, 3, 3, 1, 1, 1, 1},
            // Large enough to be split over the worker pool; stride 1 (the arraycopy path) and stride 2.
            {2, 16, 32, 32, 3, 3, 1, 1, 1, 1}, {2, 8, 33, 31, 3, 3, 2, 2, 1, 1}};

    private static Conv2dGeometry geometry(Tensor x, int[] g) {
        return NnKernels.geometry("test", x, g[4], g[5], g[6], g[7], g[8], g[9]);
    }

    private static Ref.Window window(int[] g) {
        return new Ref.Window(g[4], g[5], g[6], g[7], g[8], g[9]);
    }

    @Test
    void im2colExactAndCol2imWithinTheSumBound() {
        for (int[] g : GEOMETRIES)
            for (Twin x : Twin.layouts(rng, g[0], g[1], g[2], g[3])) {
                Conv2dGeometry geo = geometry(x.t(), g);
                Ref.Window win = window(g);
                assertEquals(win.outH(g[2]), geo.outH());
                assertEquals(win.outW(g[3]), geo.outW());
                Tensor cols = NnKernels.im2col(x.t(), geo);
                Compare.exact("im2col " + java.util.Arrays.toString(g) + " of " + x.name(), Ref.im2col(x.r(), win), cols);
                Twin c = Twin.layouts(rng, cols.shape()).get(1); // transposed columns
                int kk = g[4] * g[5];
                RefTensor bound = Ref.map(Ref.col2im(Ref.abs(c.r()), g[1], g[2], g[3], win), v -> 4 * kk * U * v);
                Compare.bounded("col2im " + java.util.Arrays.toString(g), Ref.col2im(c.r(), g[1], g[2], g[3], win), NnKernels.col2im(c.t(), geo), bound);
            }
    }

    @Test
    void col2imIsTheAdjointOfIm2col() {
        // <im2col(x), c> = <x, col2im(c)> for every x and c: the identity backward relies on.
        for (int[] g : GEOMETRIES) {
            Twin x = Twin.random(rng, g[0], g[1], g[2], g[3]);
            Conv2dGeometry geo = geometry(x.t(), g);
            Tensor cols = NnKernels.im2col(x.t(), geo);
            Twin c = Twin.random(rng, cols.shape());
            Tensor back = NnKernels.col2im(c.t(), geo);
            double lhs = 0, rhs = 0, scale = 0;
            float[] cv = cols.toFloatArray(), bv = back.toFloatArray();
            for (int i = 0; i < cv.length; i++) {
                lhs += cv[i] * c.r().data[i];
                scale += Math.abs(cv[i] * c.r().data[i]);
            }
            for (int i = 0; i < bv.length; i++) rhs += x.r().data[i] * bv[i];
            assertEquals(lhs, rhs, 4 * g[4] * g[5] * U * scale + 1e-12, "adjoint identity " + java.util.Arrays.toString(g));
        }
    }

    @Test
    void convolutionAsWeightTimesIm2colMatchesTheDirectReference() {
        for (int[] g : GEOMETRIES) {
            int out = 5;
            for (Twin x : List.of(Twin.random(rng, g[0], g[1], g[2], g[3]), Twin.layouts(rng, g[0], g[1], g[2], g[3]).get(2))) {
                Twin w = Twin.random(rng, out, g[1], g[4], g[5]);
                Conv2dGeometry geo = geometry(x.t(), g);
                Tensor cols = NnKernels.im2col(x.t(), geo);
                Tensor y = w.t().view(out, g[1] * g[4] * g[5]).matmul(cols).view(g[0], out, geo.outH(), geo.outW());
                int k = g[1] * g[4] * g[5];
                RefTensor bound = Ref.map(Ref.conv2d(x.r(), w.r(), window(g), true), v -> 4 * k * U * v);
                Compare.bounded("conv " + java.util.Arrays.toString(g) + " of " + x.name(), Ref.conv2d(x.r(), w.r(), window(g), false), y, bound);
            }
        }
    }

    // ------------------------------------------------------------------ pooling

    /** kernel, stride, padding (square). */
    static final int[][] POOLS = {{2, 2, 0}, {3, 1, 1}, {3, 2, 1}, {2, 1, 0}, {2, 2, 1}, {1, 1, 0}, {3, 3, 0}};

    @Test
    void maxPoolValuesIndicesAndBackward() {
        for (int[] p : POOLS)
            for (int[] shape : new int[][]{{2, 3, 7, 9}, {1, 1, 8, 8}, {1, 2, 3, 5}, {2, 16, 40, 40}})
                for (Twin x : Twin.layouts(rng, shape)) {
                    Ref.Window win = new Ref.Window(p[0], p[0], p[1], p[1], p[2], p[2]);
                    if (shape[2] + 2 * p[2] < p[0] || shape[3] + 2 * p[2] < p[0]) continue;
                    checkMaxPool(x, p, win);
                }
        // Ties: the first maximum in the window (row by row) wins; a NaN beats every number.
        Twin ties = Twin.random(rng, Twin.Values.ints(0, 2), 2, 2, 6, 6);
        for (int[] p : POOLS) checkMaxPool(ties, p, new Ref.Window(p[0], p[0], p[1], p[1], p[2], p[2]));
        Twin nan = Twin.random(rng, Twin.Values.SPECIAL, 1, 2, 8, 8);
        for (int[] p : POOLS) checkMaxPool(nan, p, new Ref.Window(p[0], p[0], p[1], p[1], p[2], p[2]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NnKernels.maxPool2d(Tensor.zeros(1, 1, 4, 4), 2, 1, 2));
        assertTrue(e.getMessage().contains("maxPool2d") && e.getMessage().contains("padding"), e.getMessage());
    }

    private void checkMaxPool(Twin x, int[] p, Ref.Window win) {
        String what = "maxPool2d k" + p[0] + " s" + p[1] + " p" + p[2] + " of " + x.name();
        NnKernels.PoolResult r = NnKernels.maxPool2d(x.t(), p[0], p[1], p[2]);
        Ref.Pool e = Ref.maxPool2d(x.r(), win);
        Compare.exact(what, e.out(), r.out());
        assertEquals(DType.INT32, r.indices().dtype());
        assertArrayEquals(e.indices(), r.indices().toIntArray(), what + " indices");
        Twin g = Twin.layouts(rng, r.out().shape()).get(1);
        Conv2dGeometry geo = NnKernels.geometry("test", x.t(), p[0], p[0], p[1], p[2]);
        Tensor gin = NnKernels.maxPool2dBackward(g.t(), r.indices(), geo);
        int h = x.r().shape[2], w = x.r().shape[3];
        RefTensor bound = Ref.map(Ref.maxPool2dBackward(Ref.abs(g.r()), e.indices(), h, w), v -> 4 * p[0] * p[0] * U * v);
        Compare.bounded(what + " backward", Ref.maxPool2dBackward(g.r(), e.indices(), h, w), gin, bound);
    }

    @Test
    void avgPoolCountsPaddingAndItsBackwardSpreadsEvenly() {
        for (int[] p : POOLS)
            for (int[] shape : new int[][]{{2, 3, 7, 9}, {1, 1, 8, 8}, {1, 2, 3, 5}, {2, 16, 40, 40}})
                for (Twin x : Twin.layouts(rng, shape)) {
                    if (shape[2] + 2 * p[2] < p[0] || shape[3] + 2 * p[2] < p[0]) continue;
                    Ref.Window win = new Ref.Window(p[0], p[0], p[1], p[1], p[2], p[2]);
                    int kk = p[0] * p[0];
                    String what = "avgPool2d k" + p[0] + " s" + p[1] + " p" + p[2] + " of " + x.name();
                    Tensor y = NnKernels.avgPool2d(x.t(), p[0], p[1], p[2]);
                    RefTensor bound = Ref.map(Ref.avgPool2d(Ref.abs(x.r()), win), v -> (4 * kk + 2) * U * v);
                    Compare.bounded(what, Ref.avgPool2d(x.r(), win), y, bound);
                    Twin g = Twin.layouts(rng, y.shape()).get(1);
                    Conv2dGeometry geo = NnKernels.geometry("test", x.t(), p[0], p[0], p[1], p[2]);
                    int h = shape[2], w = shape[3];
                    RefTensor gb = Ref.map(Ref.avgPool2dBackward(Ref.abs(g.r()), h, w, win), v -> (4 * kk + 2) * U * v);
                    Compare.bounded(what + " backward", Ref.avgPool2dBackward(g.r(), h, w, win), NnKernels.avgPool2dBackward(g.t(), geo), gb);
                }
    }
}
