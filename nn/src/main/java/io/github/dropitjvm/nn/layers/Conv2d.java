package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.SavedTensorHooks;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Conv;
import io.github.dropitjvm.nn.Init;
import io.github.dropitjvm.nn.InputCache;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Generator;

/** 2-D convolution, weight (out, in, k, k), square stride and zero padding. Keeps its input for backward. */
public class Conv2d extends Module {
    protected final Parameter weight;
    protected final Parameter bias;
    protected final int stride, padding;
    private InputCache inputCache;

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias, Generator g) {
        int fanIn = in * kernel * kernel;
        this.weight = parameter("weight", Init.pytorchDefault(g, fanIn, out, in, kernel, kernel));
        this.bias = bias ? parameter("bias", Init.pytorchDefault(g, fanIn, out)) : null;
        this.stride = stride;
        this.padding = padding;
    }

    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }
    public int stride() { return stride; }
    public int padding() { return padding; }

    /** Sets how this layer caches its input for backward (null: as is); see {@link InputCache}. */
    public void setInputCache(InputCache cache) {
        this.inputCache = cache;
    }

    public InputCache inputCache() {
        return inputCache;
    }

    @Override
    protected Variable compute(Variable x) {
        SavedTensorHooks hooks = inputCache == null ? null : inputCache.hooksFor(this);
        return Conv.conv2d(x, weight.variable(), bias == null ? null : bias.variable(), stride, padding, hooks);
    }
}
