package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.SavedTensor;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.NnKernels;
import io.github.dropitjvm.tensor.Tensor;

/** Softmax, log-softmax, layer norm and batch norm. */
public final class Norms {
    private Norms() {}

    /** Keeps its output y: dx = y·(g − Σ g·y). */
    public static Variable softmax(Variable x, int dim) {
        GradFn f = GradFn.of("softmax", x);
        Tensor y = x.data().softmax(dim);
        SavedTensor sy = f.save(y);
        return f.output(y, g -> {
            Tensor s = sy.get();
            return new Tensor[]{s.mul(g.sub(g.mul(s).sum(dim, true)))};
        });
    }

    /** Keeps its output y: dx = g − exp(y)·Σ g. */
    public static Variable logSoftmax(Variable x, int dim) {
        GradFn f = GradFn.of("logSoftmax", x);
        Tensor y = x.data().logSoftmax(dim);
        SavedTensor sy = f.save(y);
        return f.output(y, g -> new Tensor[]{g.sub(sy.get().exp().mul(g.sum(dim, true)))});
    }

    /**
     * Layer norm over the trailing normalizedShape; keeps its input, mean and rstd (and the weight parameter).
     * With x̂ = (x − μ)·rstd and ĝ = g·w: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dw = Σ g·x̂, db = Σ g.
     */
    public static Variable layerNorm(Variable x, int[] normalizedShape, Variable weight, Variable bias, double eps) {
        NnKernels.NormResult r = NnKernels.layerNorm(x.data(), normalizedShape, weight == null ? null : weight.data(), bias == null ? null : bias.data(), eps);
        GradFn f = GradFn.of("layerNorm", x, weight, bias);
        boolean needX = f.needs(0) || f.needs(1);
        SavedTensor sx = needX ? f.save(x) : null, sm = needX ? f.save(r.mean()) : null, sr = needX ? f.save(r.rstd()) : null;
        SavedTensor sw = f.needs(0) && weight != null ? f.save(weight) : null;
        int k = normalizedShape.length;
        return f.output(r.out(), g -> {
            if (!needX) return new Tensor[]{null, null, f.needs(2) ? g.sum(range(0, g.rank() - k), false) : null};
            NnKernels.NormGrads d = NnKernels.layerNormBackward(g, sx.get(), sm.get(), sr.get(), sw == null ? null : sw.get(), k,
                    f.needs(0), f.needs(1), f.needs(2));
            return new Tensor[]{d.gx(), d.gw(), d.gb()};
        });
    }

    /**
     * Batch norm of x (N, C, ...) per channel. Training: batch statistics; keeps its input, the batch mean and
     * rstd. Inference: normalizes with the running statistics; keeps its input and the running rstd. The
     * running statistics are not updated (see the overload with a momentum).
     */
    public static Variable batchNorm(Variable x, Variable weight, Variable bias, Tensor runningMean, Tensor runningVar,
                                     boolean training, double eps) {
        return batchNorm(x, weight, bias, runningMean, runningVar, training, Double.NaN, eps);
    }

    /**
     * Batch norm that in training also updates the running statistics in place, as PyTorch does: running = (1 −
     * momentum)·running + momentum·batch, the batch variance unbiased (× m/(m − 1) for m values per channel). The
     * batch statistics are the kernel's own, the variance recovered as 1/rstd² − eps (clamped at 0), so x is not
     * read twice more: its error is a few ulp of var + eps, the sum inference takes the root of. (A NaN momentum
     * leaves the running statistics alone.)
     */
    public static Variable batchNorm(Variable x, Variable weight, Variable bias, Tensor runningMean, Tensor runningVar,
                                     boolean training, double momentum, double eps) {
        NnKernels.NormResult r = NnKernels.batchNorm(x.data(), weight == null ? null : weight.data(), bias == null ? null : bias.data(),
                runningMean, runningVar, training, eps);
        if (training && !Double.isNaN(momentum)) {
            long m = x.data().numel() / x.size(1);
            Tensor var = r.rstd().mul(r.rstd()).pow(-1.0).sub(eps).clamp(0, Double.POSITIVE_INFINITY).mul((double) m / (m - 1));
            runningMean.mulInPlace(1 - momentum).addInPlace(r.mean().mul(momentum));
            runningVar.mulInPlace(1 - momentum).addInPlace(var.mul(momentum));
        }
        GradFn f = GradFn.of("batchNorm", x, weight, bias);
        int c = x.size(1);
        int[] statShape = new int[x.rank()];
        java.util.Arrays.fill(statShape, 1);
        statShape[1] = c;
        int[] reduce = new int[x.rank() - 1];
        reduce[0] = 0;
        for (int i = 2; i < x.rank(); i++) reduce[i - 1] = i;
        Tensor mean = training ? r.mean() : runningMean.copy();
        Tensor rstd = training ? r.rstd() : runningVar.add(eps).rsqrt();
        boolean needX = f.needs(0) || f.needs(1);
        SavedTensor sx = needX ? f.save(x) : null, sm = needX ? f.save(mean) : null, sr = needX ? f.save(rstd) : null;
        SavedTensor sw = f.needs(0) && weight != null ? f.save(weight) : null;
        return f.output(r.out(), g -> {
            if (!needX) return new Tensor[]{null, null, f.needs(2) ? g.sum(reduce, false) : null};
            NnKernels.NormGrads d = NnKernels.batchNormBackward(g, sx.get(), sm.get(), sr.get(), sw == null ? null : sw.get(), training,
                    f.needs(0), f.needs(1), f.needs(2));
            return new Tensor[]{d.gx(), d.gw(), d.gb()};
        });
    }

    static int[] range(int from, int to) {
        int[] r = new int[Math.max(0, to - from)];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }
}
