package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Elementwise;
import io.github.dropitjvm.autograd.ops.Linalg;
import io.github.dropitjvm.autograd.ops.Norms;
import io.github.dropitjvm.autograd.ops.Shapes;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Shape;

/** Multi-head self-attention over (B, N, D), timm layout: one qkv projection, then proj. */
public final class Attention extends Module {
    private final int heads, headDim;
    private final double scale;
    private final Linear qkv, proj;

    public Attention(int dim, int heads, boolean qkvBias, Generator g) {
        if (dim % heads != 0) throw new IllegalArgumentException("Attention: dim " + dim + " is not divisible by " + heads + " heads");
        this.heads = heads;
        this.headDim = dim / heads;
        this.scale = 1.0 / Math.sqrt(headDim);
        this.qkv = child("qkv", new Linear(dim, 3 * dim, qkvBias, g).timmInit(g));
        this.proj = child("proj", new Linear(dim, dim, true, g).timmInit(g));
    }

    @Override
    protected Variable compute(Variable x) {
        if (x.rank() != 3) throw new IllegalArgumentException("Attention: input must be (B, N, D), got " + Shape.str(x.shape()));
        int b = x.size(0), n = x.size(1), d = x.size(2);
        Variable t = Shapes.permute(Shapes.reshape(qkv.forward(x), b, n, 3, heads, headDim), 2, 0, 3, 1, 4); // (3, B, H, N, hd)
        Variable q = Shapes.select(t, 0, 0), k = Shapes.select(t, 0, 1), v = Shapes.select(t, 0, 2);
        Variable attn = Norms.softmax(Elementwise.mul(Linalg.matmul(q, Shapes.transpose(k, -2, -1)), scale), -1);
        Variable o = Shapes.reshape(Shapes.transpose(Linalg.matmul(attn, v), 1, 2), b, n, d);
        return proj.forward(o);
    }
}
