package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Tensor;

import java.util.List;

/**
 * Adam with decoupled weight decay, PyTorch's {@code torch.optim.AdamW} semantics (no amsgrad, no maximize): per
 * parameter, with its own step count {@code t} (1 on its first update), the group's weight decay {@code wd},
 * <pre>
 *   p = p·(1 − lr·wd)                       decoupled decay, before the Adam update
 *   m = β1·m + (1 − β1)·g
 *   v = β2·v + (1 − β2)·g²
 *   p = p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * </pre>
 * eps sits outside the square root and is added after the bias correction, exactly where PyTorch adds it. Use
 * {@link ParamGroups#timmWeightDecay} for timm's no-decay grouping. State: {@code exp_avg.<name>},
 * {@code exp_avg_sq.<name>} and {@code step.<name>} (the per-parameter count that the bias correction uses:
 * PyTorch counts per parameter too, so a parameter skipped on some steps is corrected by its own count).
 */
public final class AdamW extends Optimizer {
    private final double beta1, beta2, eps;

    public AdamW(List<ParamGroup> groups, double lr, double beta1, double beta2, double eps) {
        super(groups, lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new IllegalArgumentException("adamw: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("adamw: eps must be finite and >= 0, got " + eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8. */
    public AdamW(List<ParamGroup> groups, double lr) {
        this(groups, lr, 0.9, 0.999, 1e-8);
    }

    @Override
    public String kind() {
        return "adamw";
    }

    @Override
    protected List<String> bufferKinds() {
        return List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    protected boolean perParameterSteps() {
        return true;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double eps() {
        return eps;
    }

    @Override
    protected void update(String name, Tensor p, Tensor g, ParamGroup group, long step) {
        Tensor m = buffer("exp_avg", name), v = buffer("exp_avg_sq", name);
        if (m == null) {
            m = p.newZeros(DType.FLOAT32, p.shape());
            v = p.newZeros(DType.FLOAT32, p.shape());
            putBuffer("exp_avg", name, m);
            putBuffer("exp_avg_sq", name, v);
        }
        double lr = lr(), wd = group.weightDecay();
        if (wd != 0) p.mulInPlace(1 - lr * wd);
        m.mulInPlace(beta1).addInPlace(g.mul(1 - beta1));
        v.mulInPlace(beta2).addInPlace(g.mul(g).mul(1 - beta2));
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1;
        Tensor denom = v.sqrt().div(Math.sqrt(bc2)).add(eps);
        p.addInPlace(m.div(denom).mul(-stepSize));
    }
}
