package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Conv;
import io.github.dropitjvm.nn.Init;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Generator;

/** 2-D convolution, weight (out, in, k, k), square stride and zero padding. Keeps its input for backward. */
public class Conv2d extends WeightLayer {
    protected final int stride, padding;

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias, Generator g) {
        super(new Parameter(Init.pytorchDefault(g, in * kernel * kernel, out, in, kernel, kernel)),
                bias ? new Parameter(Init.pytorchDefault(g, in * kernel * kernel, out)) : null);
        register("weight", weight);
        if (this.bias != null) register("bias", this.bias);
        this.stride = stride;
        this.padding = padding;
    }

    public int stride() { return stride; }
    public int padding() { return padding; }

    @Override
    protected Variable compute(Variable x) {
        return Conv.conv2d(x, weight.variable(), bias == null ? null : bias.variable(), stride, padding, inputHooks());
    }
}
