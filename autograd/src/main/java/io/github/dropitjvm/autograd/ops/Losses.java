package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.SavedTensor;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Indexing;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

/** Losses. */
public final class Losses {
    private Losses() {}

    /**
     * Mean cross-entropy of logits (N, C) against integer targets (N) with label smoothing ε: the target
     * distribution is q = (1 − ε)·onehot + ε/C (PyTorch's convention). Keeps log-softmax(logits) and the targets.
     * dlogits = (softmax − q)/N.
     */
    public static Variable crossEntropy(Variable logits, Tensor targets, double labelSmoothing) {
        if (logits.rank() != 2)
            throw new IllegalArgumentException("crossEntropy: logits must be (N, C), got " + Shape.str(logits.shape()));
        int n = logits.size(0), c = logits.size(1);
        if (targets.rank() != 1 || targets.size(0) != n)
            throw new IllegalArgumentException("crossEntropy: targets " + Shape.str(targets.shape()) + " do not match logits " + Shape.str(logits.shape()));
        if (targets.dtype() != DType.INT32 && targets.dtype() != DType.INT64)
            throw new IllegalArgumentException("crossEntropy: targets must be INT32 or INT64 class indices, got " + targets.dtype());
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new IllegalArgumentException("crossEntropy: label smoothing must be in [0, 1], got " + labelSmoothing);
        Tensor logp = logits.data().logSoftmax(1);
        Tensor idx = targets.reshape(n, 1);
        Tensor picked = Indexing.gather(logp, 1, idx); // refuses targets outside [0, C)
        double eps = labelSmoothing;
        Tensor perSample = picked.reshape(n).mul(-(1 - eps)).sub(logp.sum(1, false).mul(eps / c));
        Tensor loss = perSample.mean();
        GradFn f = GradFn.of("crossEntropy", logits);
        SavedTensor sp = f.save(logp), st = f.save(idx);
        return f.output(loss, g -> {
            Tensor q = g.newZeros(DType.FLOAT32, n, c).add(eps / c);
            Tensor onehot = Indexing.scatter(g.newZeros(DType.FLOAT32, n, c), 1, st.get(), Tensor.full(g.backend(), DType.FLOAT32, 1 - eps, n, 1), true);
            q = q.add(onehot);
            return new Tensor[]{sp.get().exp().sub(q).mul(g.div(n))};
        });
    }
}
