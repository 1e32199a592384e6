package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Tensor;

import java.util.List;

/**
 * Stochastic gradient descent with PyTorch's {@code torch.optim.SGD} semantics (dampening 0, no maximize): per
 * parameter, with the group's weight decay {@code wd} and momentum {@code μ},
 * <pre>
 *   g = grad + wd·p
 *   b = g                 on the parameter's first update (PyTorch clones the gradient, no μ·0 term)
 *   b = μ·b + g           afterwards
 *   g = g + μ·b           (Nesterov)  or  g = b  (classic)
 *   p = p − lr·g
 * </pre>
 * Weight decay here is L2 (added to the gradient), not decoupled; use {@link AdamW} for decoupled decay. With
 * {@code μ = 0} no buffer is kept. State: {@code momentum_buffer.<name>}.
 */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final boolean nesterov;

    /**
     * @param momentum {@code μ >= 0}; 0 is plain SGD
     * @param nesterov Nesterov momentum; needs {@code μ > 0} (as in PyTorch)
     */
    public Sgd(List<ParamGroup> groups, double lr, double momentum, boolean nesterov) {
        super(groups, lr);
        if (!(momentum >= 0) || Double.isInfinite(momentum))
            throw new IllegalArgumentException("sgd: momentum must be finite and >= 0, got " + momentum);
        if (nesterov && momentum == 0) throw new IllegalArgumentException("sgd: Nesterov momentum needs momentum > 0");
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    @Override
    public String kind() {
        return "sgd";
    }

    @Override
    protected List<String> bufferKinds() {
        return List.of("momentum_buffer");
    }

    public double momentum() {
        return momentum;
    }

    public boolean nesterov() {
        return nesterov;
    }

    @Override
    protected void update(String name, Tensor p, Tensor grad, ParamGroup group, long step) {
        double wd = group.weightDecay();
        Tensor g = wd != 0 ? grad.add(p.mul(wd)) : grad;
        if (momentum != 0) {
            Tensor b = buffer("momentum_buffer", name);
            if (b == null) {
                b = g.to(DType.FLOAT32).copy();
                putBuffer("momentum_buffer", name, b);
            } else {
                b.mulInPlace(momentum).addInPlace(g);
            }
            g = nesterov ? g.add(b.mul(momentum)) : b;
        }
        p.addInPlace(g.mul(-lr()));
    }
}
