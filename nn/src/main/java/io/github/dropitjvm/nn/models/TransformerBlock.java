package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.LayerNorm;
import io.github.dropitjvm.tensor.Generator;

/** Pre-norm Transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)). */
public final class TransformerBlock extends Module {
    private final LayerNorm norm1, norm2;
    private final Attention attn;
    private final Mlp mlp;

    public TransformerBlock(int dim, int heads, double mlpRatio, boolean qkvBias, Generator g) {
        this.norm1 = child("norm1", new LayerNorm(dim, 1e-6));
        this.attn = child("attn", new Attention(dim, heads, qkvBias, g));
        this.norm2 = child("norm2", new LayerNorm(dim, 1e-6));
        this.mlp = child("mlp", new Mlp(dim, (int) Math.round(dim * mlpRatio), g));
    }

    @Override
    protected Variable compute(Variable x) {
        x = x.add(attn.forward(norm1.forward(x)));
        return x.add(mlp.forward(norm2.forward(x)));
    }
}
