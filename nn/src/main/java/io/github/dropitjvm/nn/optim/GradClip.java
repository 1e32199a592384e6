package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Tensor;

/** Gradient clipping. */
public final class GradClip {
    private GradClip() {}

    /**
     * PyTorch's {@code clip_grad_norm_} (L2, {@code error_if_nonfinite=False}) except for non-finite norms:
     * computes the global norm {@code sqrt(Σ‖g‖²)} over every parameter that has a gradient and, when it exceeds
     * {@code maxNorm}, scales the gradients in place by {@code maxNorm / (norm + 1e-6)} (PyTorch's epsilon, so the
     * clipped norm lands just under {@code maxNorm}). Parameters without a gradient are skipped.
     *
     * <p>A NaN or infinite norm is returned and the gradients are left as they are (PyTorch would turn them all
     * into NaN or zero): the caller sees the non-finite norm and can skip the step.
     *
     * @return the global norm before clipping
     */
    public static double clipGlobalNorm(Iterable<Parameter> params, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm))
            throw new IllegalArgumentException("clipGlobalNorm: maxNorm must be finite and > 0, got " + maxNorm);
        double sumSq = 0;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            // per-tensor sums come back as float32; accumulating them in double keeps many tensors from losing digits
            sumSq += g.mul(g).sum().item();
        }
        double norm = Math.sqrt(sumSq);
        if (!Double.isFinite(norm)) return norm;
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0) {
            for (Parameter p : params) {
                Tensor g = p.grad();
                if (g != null) g.mulInPlace(coef);
            }
        }
        return norm;
    }
}
