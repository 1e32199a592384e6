package io.github.dropitjvm.tensor;

/**
 * Front ends of the neural-network kernels: layer norm, batch norm, im2col/col2im and 2-D pooling. Each checks
 * its arguments, allocates outputs and calls the backend; autograd builds the differentiable ops on these.
 */
public final class NnKernels {
    private NnKernels() {}

    /** Normalized output plus the per-group statistics backward needs. */
    public record NormResult(Tensor out, Tensor mean, Tensor rstd) {}

    /** Pooled output and, for max pooling, the INT32 argmax position within each input plane. */
    public record PoolResult(Tensor out, Tensor indices) {}

    /** Layer norm over the trailing dimensions given by normalizedShape; weight/bias (that shape) may be null. */
    public static NormResult layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        Tensor.requireFloat("layerNorm", x);
        int r = x.rank(), k = normalizedShape.length;
        if (k == 0 || k > r) throw new IllegalArgumentException("layerNorm: normalized shape " + Shape.str(normalizedShape) + " does not fit input " + Shape.str(x.shape()));
        int[] xs = x.shape();
        for (int i = 0; i < k; i++)
            if (xs[r - k + i] != normalizedShape[i])
                throw new IllegalArgumentException("layerNorm: input " + Shape.str(xs) + " does not end with normalized shape " + Shape.str(normalizedShape));
        checkAffine("layerNorm", x, weight, normalizedShape);
        checkAffine("layerNorm", x, bias, normalizedShape);
        if (!(eps >= 0)) throw new IllegalArgumentException("layerNorm: eps must be >= 0, got " + eps);
        int[] statShape = xs.clone();
        for (int i = r - k; i < r; i++) statShape[i] = 1;
        Tensor out = x.newZeros(DType.FLOAT32, xs);
        Tensor mean = x.newZeros(DType.FLOAT32, statShape), rstd = x.newZeros(DType.FLOAT32, statShape);
        x.backend().layerNorm(x, k, weight, bias, eps, out, mean, rstd);
        return new NormResult(out, mean, rstd);
    }

    /** Layer-norm gradients; a null entry was not asked for. */
    public record NormGrads(Tensor gx, Tensor gw, Tensor gb) {}

    /**
     * Layer-norm backward over the trailing normDims dimensions, from the upstream gradient g (x's shape), the
     * saved input x and the per-group mean and rstd of the forward: with x̂ = (x − mean)·rstd and ĝ = g·weight,
     * gx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), gw = Σ g·x̂ and gb = Σ g over the groups (shape of the normalized
     * dimensions). One fused kernel where the backend has it (CPU: two passes over each group), else this
     * formula in tensor ops (about ten passes).
     */
    public static NormGrads layerNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor weight, int normDims,
                                              boolean needX, boolean needW, boolean needB) {
        int r = x.rank();
        int[] norm = new int[normDims], lead = new int[r - normDims];
        for (int i = 0; i < r - normDims; i++) lead[i] = i;
        for (int i = 0; i < normDims; i++) norm[i] = r - normDims + i;
        int[] normShape = java.util.Arrays.copyOfRange(x.shape(), r - normDims, r);
        Tensor gx = needX ? x.newZeros(DType.FLOAT32, x.shape()) : null;
        Tensor gw = needW ? x.newZeros(DType.FLOAT32, normShape) : null;
        Tensor gb = needB ? x.newZeros(DType.FLOAT32, normShape) : null;
        if (x.backend().layerNormBackward(g, x, mean, rstd, weight, normDims, gx, gw, gb)) return new NormGrads(gx, gw, gb);
        for (Tensor unused : new Tensor[]{gx, gw, gb}) if (unused != null) unused.storage().close();   // GPU memory back now
        gb = needB ? g.sum(lead, false) : null;
        if (needX || needW) {
            Tensor xhat = x.sub(mean).mul(rstd);
            gw = needW ? g.mul(xhat).sum(lead, false) : null;
            if (needX) {
                Tensor gh = weight == null ? g : g.mul(weight);
                gx = rstd.mul(gh.sub(gh.mean(norm, true)).sub(xhat.mul(gh.mul(xhat).mean(norm, true))));
            }
        }
        return new NormGrads(gx, gw, gb);
    }

    /**
     * Batch-norm backward for x (N, C, ...) from the upstream gradient g, the saved input and the per-channel mean
     * and rstd ([C]) used in the forward: with x̂ = (x − mean)·rstd and ĝ = g·weight, gx = rstd·(ĝ − mean(ĝ) −
     * x̂·mean(ĝ·x̂)) in training (means over N and the spatial dimensions), gx = ĝ·rstd in inference; gw = Σ g·x̂,
     * gb = Σ g per channel. One fused kernel where the backend has it (CPU: two passes per channel), else this
     * formula in tensor ops.
     */
    public static NormGrads batchNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor weight, boolean training,
                                              boolean needX, boolean needW, boolean needB) {
        int c = x.size(1);
        Tensor gx = needX ? x.newZeros(DType.FLOAT32, x.shape()) : null;
        Tensor gw = needW ? x.newZeros(DType.FLOAT32, c) : null;
        Tensor gb = needB ? x.newZeros(DType.FLOAT32, c) : null;
        if (x.backend().batchNormBackward(g, x, mean, rstd, weight, training, gx, gw, gb)) return new NormGrads(gx, gw, gb);
        for (Tensor unused : new Tensor[]{gx, gw, gb}) if (unused != null) unused.storage().close();   // GPU memory back now
        int[] statShape = new int[x.rank()];
        java.util.Arrays.fill(statShape, 1);
        statShape[1] = c;
        int[] reduce = new int[x.rank() - 1];
        for (int i = 2; i < x.rank(); i++) reduce[i - 1] = i;
        gb = needB ? g.sum(reduce, false) : null;
        gw = gx = null;
        if (needX || needW) {
            Tensor rs = rstd.reshape(statShape);
            Tensor xhat = x.sub(mean.reshape(statShape)).mul(rs);
            if (needW) gw = g.mul(xhat).sum(reduce, false);
            if (needX) {
                Tensor gh = weight == null ? g : g.mul(weight.reshape(statShape));
                gx = training
                        ? rs.mul(gh.sub(gh.mean(reduce, true)).sub(xhat.mul(gh.mul(xhat).mean(reduce, true))))
                        : gh.mul(rs);
            }
        }
        return new NormGrads(gx, gw, gb);
    }

    /**
     * Batch norm of x (N, C, ...) per channel. Training mode uses the batch statistics (mean and rstd are
     * returned, shape [C]) and does not touch the running statistics (the caller updates them); inference uses
     * runningMean/runningVar. weight/bias ([C]) may be null.
     */
    public static NormResult batchNorm(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                       boolean training, double eps) {
        Tensor.requireFloat("batchNorm", x);
        if (x.rank() < 2) throw new IllegalArgumentException("batchNorm: input needs shape (N, C, ...), got " + Shape.str(x.shape()));
        int c = x.size(1);
        int[] cs = {c};
        checkAffine("batchNorm", x, weight, cs);
        checkAffine("batchNorm", x, bias, cs);
        if (!training) {
            if (runningMean == null || runningVar == null) throw new IllegalArgumentException("batchNorm: inference needs running mean and variance");
            checkAffine("batchNorm", x, runningMean, cs);
            checkAffine("batchNorm", x, runningVar, cs);
        } else if (x.numel() / Math.max(c, 1) < 2 && x.numel() > 0) {
            throw new IllegalArgumentException("batchNorm: training needs more than one value per channel, got input " + Shape.str(x.shape()));
        }
        Tensor out = x.newZeros(DType.FLOAT32, x.shape());
        Tensor mean = x.newZeros(DType.FLOAT32, c), rstd = x.newZeros(DType.FLOAT32, c);
        x.backend().batchNorm(x, weight, bias, runningMean, runningVar, !training, eps, out, mean, rstd);
        return new NormResult(out, mean, rstd);
    }

    private static void checkAffine(String op, Tensor x, Tensor p, int[] shape) {
        if (p == null) return;
        Tensor.requireFloat(op, p);
        Tensor.sameBackend(op, x, p);
        Tensor.requireShape(op, "parameter", p, shape);
    }

    /** The sliding-window geometry of a 4-D input for a kh×kw window. */
    public static Conv2dGeometry geometry(String op, Tensor x, int kh, int kw, int stride, int padding) {
        return geometry(op, x, kh, kw, stride, stride, padding, padding);
    }

    public static Conv2dGeometry geometry(String op, Tensor x, int kh, int kw, int strideH, int strideW, int padH, int padW) {
        if (x.rank() != 4) throw new IllegalArgumentException(op + ": input needs shape (N, C, H, W), got " + Shape.str(x.shape()));
        try {
            return new Conv2dGeometry(x.size(0), x.size(1), x.size(2), x.size(3), kh, kw, strideH, strideW, padH, padW);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + " on input " + Shape.str(x.shape()) + ": " + e.getMessage(), e);
        }
    }

    /** (N, C, H, W) → (N, C·kh·kw, OH·OW). */
    public static Tensor im2col(Tensor x, Conv2dGeometry g) {
        Tensor.requireFloat("im2col", x);
        checkInput("im2col", x, g);
        Tensor cols = x.newZeros(DType.FLOAT32, g.n(), g.c() * g.kh() * g.kw(), g.outH() * g.outW());
        x.backend().im2col(x, g, cols);
        return cols;
    }

    /** (N, C·kh·kw, OH·OW) → (N, C, H, W), summing overlapping windows. */
    public static Tensor col2im(Tensor cols, Conv2dGeometry g) {
        Tensor.requireFloat("col2im", cols);
        Tensor.requireShape("col2im", "columns", cols, g.n(), g.c() * g.kh() * g.kw(), g.outH() * g.outW());
        Tensor x = cols.newZeros(DType.FLOAT32, g.n(), g.c(), g.h(), g.w());
        cols.backend().col2im(cols, g, x);
        return x;
    }

    /**
     * Convolution without bias: y (N, O, OH, OW) = weight (O, C, kh, kw) applied to x (N, C, H, W), i.e. weight ·
     * im2col(x). Backends may fuse the two (the CPU does, image by image, so the columns stay in cache); the
     * result is the same product either way.
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Conv2dGeometry g) {
        Tensor.requireFloat("conv2d", x);
        Tensor.sameBackend("conv2d", x, weight);
        checkInput("conv2d", x, g);
        int o = checkWeight("conv2d", weight, g);
        Tensor w2 = weight.reshape(o, g.c() * g.kh() * g.kw());
        Tensor y = x.newResult(DType.FLOAT32, g.n(), o, g.outH() * g.outW());
        if (!x.backend().conv2d(x, w2, g, y)) y = w2.matmul(im2col(x, g));
        return y.reshape(g.n(), o, g.outH(), g.outW());
    }

    /**
     * The input gradient of {@link #conv2d}, (N, C, H, W): col2im(weightᵀ · gradOut). With stride 1 (and padding
     * below the kernel) it is itself a convolution, gradIn[c][iy][ix] = Σ w[o][c][ki][kj]·gradOut[o][iy + ph − ki][ix
     * + pw − kj]: gradOut padded by kh−1−ph, kw−1−pw and convolved with the weight flipped in space, its channel
     * dimensions swapped. It runs so, as {@link #conv2d} (one GEMM writing the result), rather than as a GEMM into
     * kh·kw times larger columns that col2im then adds back; the sums run in another order, within the same bound.
     */
    public static Tensor conv2dInputGrad(Tensor weight, Tensor gradOut, Conv2dGeometry g) {
        Tensor.requireFloat("conv2dInputGrad", gradOut);
        Tensor.sameBackend("conv2dInputGrad", gradOut, weight);
        int o = checkWeight("conv2dInputGrad", weight, g), c = g.c(), kh = g.kh(), kw = g.kw(), rows = c * kh * kw, spatial = g.outH() * g.outW();
        Tensor.requireShape("conv2dInputGrad", "gradient", gradOut, g.n(), o, g.outH(), g.outW());
        if (g.strideH() == 1 && g.strideW() == 1 && g.padH() < kh && g.padW() < kw) {
            int[] reversed = new int[kh * kw];
            for (int k = 0; k < reversed.length; k++) reversed[k] = reversed.length - 1 - k;
            Tensor flipped = Indexing.indexSelect(weight.transpose(0, 1).reshape(c, o, kh * kw), 2,
                    Tensor.fromArray(reversed, reversed.length).to(weight.backend())).reshape(c, o, kh, kw);
            Conv2dGeometry t = new Conv2dGeometry(g.n(), o, g.outH(), g.outW(), kh, kw, 1, 1, kh - 1 - g.padH(), kw - 1 - g.padW());
            return conv2d(gradOut, flipped, t);
        }
        Tensor w2 = weight.reshape(o, rows), g3 = gradOut.reshape(g.n(), o, spatial);
        Tensor gx = gradOut.newResult(DType.FLOAT32, g.n(), c, g.h(), g.w());
        return gradOut.backend().conv2dInputGrad(w2, g3, g, gx) ? gx : col2im(w2.transpose(0, 1).matmul(g3), g);
    }

    /**
     * The weight gradient of {@link #conv2d}, (O, C, kh, kw): Σₙ gradOut[n] · im2col(x)[n]ᵀ. Each image's product
     * is formed as columns · gradOutᵀ (the GEMM packs its right operand, then gᵀ of O columns rather than the
     * kh·kw times larger columnsᵀ) and the images are summed in order by one reduction; a backend's fused kernel
     * gives the same bits as that reduction of its per-image products.
     */
    public static Tensor conv2dWeightGrad(Tensor x, Tensor gradOut, Conv2dGeometry g) {
        Tensor.requireFloat("conv2dWeightGrad", x);
        Tensor.requireFloat("conv2dWeightGrad", gradOut);
        Tensor.sameBackend("conv2dWeightGrad", x, gradOut);
        checkInput("conv2dWeightGrad", x, g);
        int o = gradOut.size(1), rows = g.c() * g.kh() * g.kw(), spatial = g.outH() * g.outW();
        Tensor.requireShape("conv2dWeightGrad", "gradient", gradOut, g.n(), o, g.outH(), g.outW());
        Tensor g3 = gradOut.reshape(g.n(), o, spatial);
        Tensor summed = x.newResult(DType.FLOAT32, rows, o);
        if (!x.backend().conv2dWeightGrad(x, g3, g, summed)) summed = im2col(x, g).matmul(g3.transpose(1, 2)).sum(0, false);
        return summed.transpose(0, 1).reshape(o, g.c(), g.kh(), g.kw());
    }

    public static PoolResult maxPool2d(Tensor x, int kernel, int stride, int padding) {
        Tensor.requireFloat("maxPool2d", x);
        Conv2dGeometry g = geometry("maxPool2d", x, kernel, kernel, stride, padding);
        if (padding * 2 > kernel) throw new IllegalArgumentException("maxPool2d: padding " + padding + " must be at most half the kernel " + kernel);
        Tensor out = x.newZeros(DType.FLOAT32, g.n(), g.c(), g.outH(), g.outW());
        Tensor idx = x.newZeros(DType.INT32, g.n(), g.c(), g.outH(), g.outW());
        x.backend().maxPool2d(x, g, out, idx);
        return new PoolResult(out, idx);
    }

    public static Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, Conv2dGeometry g) {
        Tensor.requireFloat("maxPool2dBackward", gradOut);
        Tensor.requireShape("maxPool2dBackward", "gradient", gradOut, g.n(), g.c(), g.outH(), g.outW());
        Tensor.requireShape("maxPool2dBackward", "indices", indices, g.n(), g.c(), g.outH(), g.outW());
        Tensor.requireDType("maxPool2dBackward", "indices", indices, DType.INT32);
        Tensor gin = gradOut.newZeros(DType.FLOAT32, g.n(), g.c(), g.h(), g.w());
        gradOut.backend().maxPool2dBackward(gradOut, indices, g, gin);
        return gin;
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        Tensor.requireFloat("avgPool2d", x);
        Conv2dGeometry g = geometry("avgPool2d", x, kernel, kernel, stride, padding);
        if (padding * 2 > kernel) throw new IllegalArgumentException("avgPool2d: padding " + padding + " must be at most half the kernel " + kernel);
        Tensor out = x.newZeros(DType.FLOAT32, g.n(), g.c(), g.outH(), g.outW());
        x.backend().avgPool2d(x, g, out);
        return out;
    }

    public static Tensor avgPool2dBackward(Tensor gradOut, Conv2dGeometry g) {
        Tensor.requireFloat("avgPool2dBackward", gradOut);
        Tensor.requireShape("avgPool2dBackward", "gradient", gradOut, g.n(), g.c(), g.outH(), g.outW());
        Tensor gin = gradOut.newZeros(DType.FLOAT32, g.n(), g.c(), g.h(), g.w());
        gradOut.backend().avgPool2dBackward(gradOut, g, gin);
        return gin;
    }

    /** The output channel count of a weight that must be (O, C, kh, kw) for the geometry. */
    private static int checkWeight(String op, Tensor weight, Conv2dGeometry g) {
        Tensor.requireFloat(op, weight);
        if (weight.rank() != 4)
            throw new IllegalArgumentException(op + ": weight must have shape (O, " + g.c() + ", " + g.kh() + ", " + g.kw() + "), got " + Shape.str(weight.shape()));
        Tensor.requireShape(op, "weight", weight, weight.size(0), g.c(), g.kh(), g.kw());
        return weight.size(0);
    }

    private static void checkInput(String op, Tensor x, Conv2dGeometry g) {
        Tensor.requireShape(op, "input", x, g.n(), g.c(), g.h(), g.w());
    }
}
