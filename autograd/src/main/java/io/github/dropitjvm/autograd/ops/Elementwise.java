package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.SavedTensor;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Tensor;

/**
 * Differentiable elementwise ops with broadcasting. What each keeps for backward is stated per op (as PyTorch
 * keeps it, so that memory figures compare: add keeps nothing, GELU its input, ReLU and dropout a 1-bit mask).
 */
public final class Elementwise {
    private Elementwise() {}

    /** Keeps nothing. */
    public static Variable add(Variable a, Variable b) {
        GradFn f = GradFn.of("add", a, b);
        int[] as = a.shape(), bs = b.shape();
        return f.output(a.data().add(b.data()), g -> new Tensor[]{
                f.needs(0) ? Grads.sumTo(g, as) : null,
                f.needs(1) ? Grads.sumTo(g, bs) : null});
    }

    /** Keeps nothing. */
    public static Variable sub(Variable a, Variable b) {
        GradFn f = GradFn.of("sub", a, b);
        int[] as = a.shape(), bs = b.shape();
        return f.output(a.data().sub(b.data()), g -> new Tensor[]{
                f.needs(0) ? Grads.sumTo(g, as) : null,
                f.needs(1) ? Grads.sumTo(g.neg(), bs) : null});
    }

    /** Keeps each operand the other one's gradient needs. */
    public static Variable mul(Variable a, Variable b) {
        GradFn f = GradFn.of("mul", a, b);
        SavedTensor sa = f.needs(1) ? f.save(a) : null, sb = f.needs(0) ? f.save(b) : null;
        int[] as = a.shape(), bs = b.shape();
        return f.output(a.data().mul(b.data()), g -> new Tensor[]{
                f.needs(0) ? Grads.sumTo(g.mul(sb.get()), as) : null,
                f.needs(1) ? Grads.sumTo(g.mul(sa.get()), bs) : null});
    }

    /** Keeps b, and a when b needs a gradient. */
    public static Variable div(Variable a, Variable b) {
        GradFn f = GradFn.of("div", a, b);
        SavedTensor sa = f.needs(1) ? f.save(a) : null, sb = f.recording() ? f.save(b) : null;
        int[] as = a.shape(), bs = b.shape();
        return f.output(a.data().div(b.data()), g -> {
            Tensor bv = sb.get();
            return new Tensor[]{
                    f.needs(0) ? Grads.sumTo(g.div(bv), as) : null,
                    f.needs(1) ? Grads.sumTo(g.mul(sa.get()).div(bv.mul(bv)).neg(), bs) : null};
        });
    }

    /** Keeps nothing. */
    public static Variable add(Variable a, double v) {
        GradFn f = GradFn.of("add-scalar", a);
        return f.output(a.data().add(v), g -> new Tensor[]{g});
    }

    /** Keeps nothing. */
    public static Variable mul(Variable a, double v) {
        GradFn f = GradFn.of("mul-scalar", a);
        return f.output(a.data().mul(v), g -> new Tensor[]{g.mul(v)});
    }

    /** Keeps nothing. */
    public static Variable neg(Variable a) {
        GradFn f = GradFn.of("neg", a);
        return f.output(a.data().neg(), g -> new Tensor[]{g.neg()});
    }

    /** x^p for a constant p; keeps x. */
    public static Variable pow(Variable a, double p) {
        GradFn f = GradFn.of("pow", a);
        SavedTensor sx = f.save(a);
        return f.output(a.data().pow(p), g -> new Tensor[]{g.mul(sx.get().pow(p - 1).mul(p))});
    }

    /** Keeps its output. */
    public static Variable exp(Variable a) {
        GradFn f = GradFn.of("exp", a);
        Tensor y = a.data().exp();
        SavedTensor sy = f.save(y);
        return f.output(y, g -> new Tensor[]{g.mul(sy.get())});
    }

    /** Keeps x. */
    public static Variable log(Variable a) {
        GradFn f = GradFn.of("log", a);
        SavedTensor sx = f.save(a);
        return f.output(a.data().log(), g -> new Tensor[]{g.div(sx.get())});
    }

    /** Keeps its output. */
    public static Variable sqrt(Variable a) {
        GradFn f = GradFn.of("sqrt", a);
        Tensor y = a.data().sqrt();
        SavedTensor sy = f.save(y);
        return f.output(y, g -> new Tensor[]{g.div(sy.get().mul(2))});
    }

    /** Keeps its output: d tanh = 1 − y². */
    public static Variable tanh(Variable a) {
        GradFn f = GradFn.of("tanh", a);
        Tensor y = a.data().tanh();
        SavedTensor sy = f.save(y);
        return f.output(y, g -> {
            Tensor t = sy.get();
            return new Tensor[]{g.mul(t.mul(t).neg().add(1))};
        });
    }

    /** Keeps its output: d σ = y(1 − y). */
    public static Variable sigmoid(Variable a) {
        GradFn f = GradFn.of("sigmoid", a);
        Tensor y = a.data().sigmoid();
        SavedTensor sy = f.save(y);
        return f.output(y, g -> {
            Tensor t = sy.get();
            return new Tensor[]{g.mul(t.mul(t.neg().add(1)))};
        });
    }

    /**
     * Keeps a 1-bit mask (x > 0), not x or the output: a conv fed by this ReLU is then the only holder of the
     * activation, which is what lets DropIT really free memory in CNNs.
     */
    public static Variable relu(Variable a) {
        GradFn f = GradFn.of("relu", a);
        Tensor x = a.data();
        SavedTensor sm = f.recording() ? f.save(x.gt(0)) : null;
        return f.output(x.relu(), g -> new Tensor[]{Tensor.where(sm.get(), g, g.newZeros(DType.FLOAT32))});
    }

    /** Exact (erf) GELU; keeps x. d/dx x·Φ(x) = Φ(x) + x·φ(x). */
    public static Variable gelu(Variable a) {
        GradFn f = GradFn.of("gelu", a);
        SavedTensor sx = f.save(a);
        // g·(Φ(x) + x·φ(x)) in one fused pass (was 9 elementwise passes with a scalar erf, then 2)
        return f.output(a.data().gelu(), g -> new Tensor[]{sx.get().geluBackward(g)});
    }

    /**
     * Inverted dropout: keeps each element with probability 1 − p and scales kept ones by 1/(1 − p). The keep
     * decision is Philox-4x32-10 keyed by the seed with counter (index, layer, step), as DropIT's random strategy
     * draws (DropItKernels), so it is reproducible at any thread count and on every backend.
     * Keeps the 1-bit mask. In eval mode (training = false) or with p = 0 it is the identity.
     */
    public static Variable dropout(Variable a, double p, boolean training, long seed, int layer, int step) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout: probability must be in [0, 1), got " + p);
        if (!training || p == 0) return a;
        Tensor x = a.data();
        Backend be = x.backend();
        Tensor mask = DropItKernels.randomKeepMask(be, x.numel(), seed, layer, step, p).view(x.shape());
        double scale = 1.0 / (1.0 - p);
        GradFn f = GradFn.of("dropout", a);
        SavedTensor sm = f.save(mask);
        Tensor zero = x.newZeros(DType.FLOAT32);
        return f.output(Tensor.where(mask, x.mul(scale), zero), g -> new Tensor[]{Tensor.where(sm.get(), g.mul(scale), g.newZeros(DType.FLOAT32))});
    }
}
