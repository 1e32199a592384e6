package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Linalg;
import io.github.dropitjvm.nn.Init;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Generator;

/** y = x·Wᵀ + b over the last dimension; weight (out, in). Keeps its input for backward. */
public class Linear extends WeightLayer {
    private final int in, out;

    public Linear(int in, int out, boolean bias, Generator g) {
        super(new Parameter(Init.pytorchDefault(g, in, out, in)), bias ? new Parameter(Init.pytorchDefault(g, in, out)) : null);
        this.in = in;
        this.out = out;
        register("weight", weight);
        if (this.bias != null) register("bias", this.bias);
    }

    /** Re-initializes as timm does for ViT: weight trunc-normal(0.02), bias 0. */
    public Linear timmInit(Generator g) {
        weight.data().copyFrom(Init.truncNormal(g, 0.02, out, in));
        if (bias != null) bias.data().fillInPlace(0);
        return this;
    }

    public int inFeatures() { return in; }
    public int outFeatures() { return out; }

    @Override
    protected Variable compute(Variable x) {
        return Linalg.linear(x, weight.variable(), bias == null ? null : bias.variable(), inputHooks());
    }

}
