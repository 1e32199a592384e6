package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Activations;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.tensor.Generator;

/** fc1 → GELU → fc2 (timm's Mlp). */
public final class Mlp extends Module {
    private final Linear fc1, fc2;
    private final Activations.GELU act;

    public Mlp(int dim, int hidden, Generator g) {
        this.fc1 = child("fc1", new Linear(dim, hidden, true, g).timmInit(g));
        this.act = child("act", new Activations.GELU());
        this.fc2 = child("fc2", new Linear(hidden, dim, true, g).timmInit(g));
    }

    @Override
    protected Variable compute(Variable x) {
        return fc2.forward(act.forward(fc1.forward(x)));
    }
}
