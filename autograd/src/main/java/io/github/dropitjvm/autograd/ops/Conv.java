package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.SavedTensor;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.NnKernels;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

/** 2-D convolution (weight · im2col, see {@link NnKernels#conv2d}) and pooling. */
public final class Conv {
    private Conv() {}

    /**
     * conv2d of x (N, C, H, W) with weight (O, C, kh, kw), square stride and zero padding; keeps its input x
     * (not the im2col columns, which backward rebuilds) and the weight parameter.
     */
    public static Variable conv2d(Variable x, Variable weight, Variable bias, int stride, int padding) {
        return conv2d(x, weight, bias, stride, padding, null);
    }

    /** conv2d whose saved input goes through the given hooks (null: the thread's), as DropIT's conv uses. */
    public static Variable conv2d(Variable x, Variable weight, Variable bias, int stride, int padding,
                                  io.github.dropitjvm.autograd.SavedTensorHooks inputHooks) {
        if (weight.rank() != 4 || x.rank() != 4 || x.size(1) != weight.size(1))
            throw new IllegalArgumentException("conv2d: input " + Shape.str(x.shape()) + " and weight " + Shape.str(weight.shape())
                    + " do not match (expected input (N, C, H, W) and weight (O, C, kh, kw) with equal C)");
        int o = weight.size(0);
        if (bias != null && (bias.rank() != 1 || bias.size(0) != o))
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias.shape()) + " does not match " + o + " output channels");
        Conv2dGeometry geo = NnKernels.geometry("conv2d", x.data(), weight.size(2), weight.size(3), stride, padding);
        GradFn f = GradFn.of("conv2d", x, weight, bias);
        SavedTensor sx = !f.needs(1) ? null : inputHooks == null ? f.save(x) : f.save(x, inputHooks);
        SavedTensor sw = f.needs(0) ? f.save(weight) : null;
        Tensor y = forward(x.data(), weight.data(), bias == null ? null : bias.data(), geo);
        return f.output(y, g -> new Tensor[]{
                f.needs(0) ? NnKernels.conv2dInputGrad(sw.get(), g, geo) : null,
                f.needs(1) ? NnKernels.conv2dWeightGrad(sx.get(), g, geo) : null,
                f.needs(2) ? g.reshape(geo.n(), o, -1).sum(new int[]{0, 2}, false) : null});
    }

    /** The conv2d forward on tensors (shared with DropIT's conv). */
    public static Tensor forward(Tensor x, Tensor weight, Tensor bias, Conv2dGeometry geo) {
        Tensor y = NnKernels.conv2d(x, weight, geo);
        return bias == null ? y : y.addInPlace(bias.reshape(weight.size(0), 1, 1)); // y is fresh: add where it lies
    }

    /** Max pooling; keeps the INT32 argmax positions. */
    public static Variable maxPool2d(Variable x, int kernel, int stride, int padding) {
        NnKernels.PoolResult r = NnKernels.maxPool2d(x.data(), kernel, stride, padding);
        Conv2dGeometry geo = NnKernels.geometry("maxPool2d", x.data(), kernel, kernel, stride, padding);
        GradFn f = GradFn.of("maxPool2d", x);
        SavedTensor si = f.save(r.indices());
        return f.output(r.out(), g -> new Tensor[]{NnKernels.maxPool2dBackward(g, si.get(), geo)});
    }

    /** Average pooling; keeps nothing. */
    public static Variable avgPool2d(Variable x, int kernel, int stride, int padding) {
        Tensor out = NnKernels.avgPool2d(x.data(), kernel, stride, padding);
        Conv2dGeometry geo = NnKernels.geometry("avgPool2d", x.data(), kernel, kernel, stride, padding);
        GradFn f = GradFn.of("avgPool2d", x);
        return f.output(out, g -> new Tensor[]{NnKernels.avgPool2dBackward(g, geo)});
    }
}
