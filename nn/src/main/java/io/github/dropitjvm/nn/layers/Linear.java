package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.SavedTensorHooks;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Linalg;
import io.github.dropitjvm.nn.Init;
import io.github.dropitjvm.nn.InputCache;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Generator;

/** y = x·Wᵀ + b over the last dimension; weight (out, in). Keeps its input for backward. */
public class Linear extends Module {
    protected final Parameter weight;
    protected final Parameter bias;
    private final int in, out;
    private InputCache inputCache;

    public Linear(int in, int out, boolean bias, Generator g) {
        this.in = in;
        this.out = out;
        this.weight = parameter("weight", Init.pytorchDefault(g, in, out, in));
        this.bias = bias ? parameter("bias", Init.pytorchDefault(g, in, out)) : null;
    }

    /** Re-initializes as timm does for ViT: weight trunc-normal(0.02), bias 0. */
    public Linear timmInit(Generator g) {
        weight.data().copyFrom(Init.truncNormal(g, 0.02, out, in));
        if (bias != null) bias.data().fillInPlace(0);
        return this;
    }

    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }
    public int inFeatures() { return in; }
    public int outFeatures() { return out; }

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
        return Linalg.linear(x, weight.variable(), bias == null ? null : bias.variable(), hooks);
    }

}
