package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.tensor.Tensor;

import java.util.Arrays;

/** Helpers shared by backward functions. */
public final class Grads {
    private Grads() {}

    /** Sums a broadcast gradient back to the shape of the input that was broadcast. */
    public static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        int count = 0;
        int[] dims = new int[gs.length];
        for (int i = 0; i < gs.length; i++)
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) dims[count++] = i;
        Tensor s = g.sum(Arrays.copyOf(dims, count), true);
        return s.reshape(shape);
    }
}
