package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Norms;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Tensor;

/** Layer norm over the last dimension with affine weight (1) and bias (0). */
public final class LayerNorm extends Module {
    private final Parameter weight, bias;
    private final int dim;
    private final double eps;

    public LayerNorm(int dim, double eps) {
        this.dim = dim;
        this.eps = eps;
        this.weight = parameter("weight", Tensor.ones(dim));
        this.bias = parameter("bias", Tensor.zeros(dim));
    }

    @Override
    protected Variable compute(Variable x) {
        return Norms.layerNorm(x, new int[]{dim}, weight.variable(), bias.variable(), eps);
    }
}
