package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.SavedTensor;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

/** Matrix products. */
public final class Linalg {
    private Linalg() {}

    /** Batched matmul (rank >= 2, batch dims broadcast); keeps both operands. dA = g·Bᵀ, dB = Aᵀ·g. */
    public static Variable matmul(Variable a, Variable b) {
        if (a.rank() < 2 || b.rank() < 2)
            throw new IllegalArgumentException("matmul: autograd matmul needs rank >= 2 operands, got " + Shape.str(a.shape()) + " and " + Shape.str(b.shape()));
        GradFn f = GradFn.of("matmul", a, b);
        SavedTensor sa = f.needs(1) ? f.save(a) : null, sb = f.needs(0) ? f.save(b) : null;
        int[] as = a.shape(), bs = b.shape();
        return f.output(a.data().matmul(b.data()), g -> new Tensor[]{
                f.needs(0) ? Grads.sumTo(g.matmul(sb.get().transpose(-1, -2)), as) : null,
                f.needs(1) ? Grads.sumTo(sa.get().transpose(-1, -2).matmul(g), bs) : null});
    }

    /**
     * y = x·Wᵀ + b over the last dimension of x (any leading dims), W of shape (out, in); keeps its input x (and
     * W, a parameter). dx = g·W, dW = gᵀ·x over all leading positions, db = Σ g.
     */
    public static Variable linear(Variable x, Variable weight, Variable bias) {
        return linear(x, weight, bias, null);
    }

    /**
     * Linear whose saved input goes through the given hooks (null: the thread's hooks). dW is computed from
     * whatever the hooks give back, while dx and db never touch the saved input — the property DropIT uses.
     */
    public static Variable linear(Variable x, Variable weight, Variable bias, io.github.dropitjvm.autograd.SavedTensorHooks inputHooks) {
        int in = weight.size(1), out = weight.size(0);
        if (weight.rank() != 2 || x.rank() < 1 || x.size(-1) != in)
            throw new IllegalArgumentException("linear: input " + Shape.str(x.shape()) + " does not match weight " + Shape.str(weight.shape()) + " (expected last dimension " + in + ")");
        if (bias != null && (bias.rank() != 1 || bias.size(0) != out))
            throw new IllegalArgumentException("linear: bias " + Shape.str(bias.shape()) + " does not match " + out + " outputs");
        GradFn f = GradFn.of("linear", x, weight, bias);
        SavedTensor sx = !f.needs(1) ? null : inputHooks == null ? f.save(x) : f.save(x, inputHooks);
        SavedTensor sw = f.needs(0) ? f.save(weight) : null;
        int[] xs = x.shape();
        Tensor y = forward(x.data(), weight.data(), bias == null ? null : bias.data());
        return f.output(y, g -> {
            Tensor g2 = g.reshape(-1, out);
            return new Tensor[]{
                    f.needs(0) ? g2.matmul(sw.get()).reshape(xs) : null,
                    f.needs(1) ? weightGrad(g2, sx, in) : null,
                    f.needs(2) ? g2.sum(0, false) : null};
        });
    }

    /**
     * dW = gᵀ·x: from the packed saved input directly when its hooks offer that
     * ({@link io.github.dropitjvm.autograd.SavedTensorHooks.LinearWeightGrad}, e.g. DropIT's sparse path), else from
     * the unpacked x.
     */
    private static Tensor weightGrad(Tensor g2, SavedTensor sx, int in) {
        Tensor dw = sx.linearWeightGrad(g2);
        if (dw != null) {
            if (dw.rank() != 2 || dw.size(0) != g2.size(1) || dw.size(1) != in)
                throw new IllegalStateException("linear: packed input returned a weight gradient " + Shape.str(dw.shape()) + ", expected (" + g2.size(1) + ", " + in + ")");
            return dw;
        }
        return g2.transpose(0, 1).matmul(sx.get().reshape(-1, in));
    }

    /** The linear forward on tensors (shared with DropIT's linear, whose forward is the same). */
    public static Tensor forward(Tensor x, Tensor weight, Tensor bias) {
        int[] xs = x.shape();
        int out = weight.size(0);
        Tensor y = x.reshape(-1, weight.size(1)).matmul(weight.transpose(0, 1));
        if (bias != null) y.addInPlace(bias); // y is the matmul's fresh result: no second output array
        int[] ys = xs.clone();
        ys[ys.length - 1] = out;
        return y.reshape(ys);
    }
}
