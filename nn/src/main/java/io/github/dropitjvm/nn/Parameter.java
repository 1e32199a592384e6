package io.github.dropitjvm.nn;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Tensor;

/**
 * A trainable tensor of a module. Holds the leaf {@link Variable} ops use; optimizers update {@link #data()} in
 * place. Freezing swaps in a constant leaf, so a frozen parameter records no gradient and makes no op save
 * anything for it.
 */
public final class Parameter {
    private final Tensor data;
    private Variable variable;

    public Parameter(Tensor data) {
        this.data = data;
        this.variable = Variable.param(data);
    }

    public Tensor data() {
        return data;
    }

    /** The leaf to use in forward. */
    public Variable variable() {
        return variable;
    }

    public Tensor grad() {
        return variable.grad();
    }

    public void zeroGrad() {
        variable.zeroGrad();
    }

    public boolean trainable() {
        return variable.requiresGrad();
    }

    public void setTrainable(boolean on) {
        if (on != variable.requiresGrad()) variable = on ? Variable.param(data) : Variable.constant(data);
    }

    public int[] shape() {
        return data.shape();
    }

    public long numel() {
        return data.numel();
    }
}
