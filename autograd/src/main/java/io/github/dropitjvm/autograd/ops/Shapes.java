package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Indexing;
import io.github.dropitjvm.tensor.Tensor;

/** Shape ops: views forward, their inverse backward; none keeps anything for backward. */
public final class Shapes {
    private Shapes() {}

    public static Variable reshape(Variable x, int... shape) {
        GradFn f = GradFn.of("reshape", x);
        int[] xs = x.shape();
        return f.output(x.data().reshape(shape), g -> new Tensor[]{g.reshape(xs)});
    }

    public static Variable permute(Variable x, int... dims) {
        GradFn f = GradFn.of("permute", x);
        int[] inverse = new int[dims.length];
        for (int i = 0; i < dims.length; i++) inverse[Math.floorMod(dims[i], dims.length)] = i;
        return f.output(x.data().permute(dims), g -> new Tensor[]{g.permute(inverse)});
    }

    public static Variable transpose(Variable x, int d0, int d1) {
        GradFn f = GradFn.of("transpose", x);
        return f.output(x.data().transpose(d0, d1), g -> new Tensor[]{g.transpose(d0, d1)});
    }

    /** length elements from start along dim; gradient is zero outside. */
    public static Variable narrow(Variable x, int dim, int start, int length) {
        Tensor out = x.data().narrow(dim, start, length); // checks dim, start and length
        GradFn f = GradFn.of("narrow", x);
        if (f.recording()) f.sliceOfInput(Math.floorMod(dim, x.rank()), start);
        return f.output(out, g -> new Tensor[]{g}); // the engine adds g into the slice of x's gradient
    }

    /** Index along dim, removing it. */
    public static Variable select(Variable x, int dim, int index) {
        int d = Math.floorMod(dim, x.rank());
        return squeeze(narrow(x, d, index, 1), d);
    }

    /**
     * A contiguous copy with its own storage (gradient passes through). Use it before saving a small view of a
     * large tensor: an op that saves a view keeps the whole storage alive (e.g. a classifier head on the class
     * token of a (B, N, D) output would hold all N tokens).
     */
    public static Variable copy(Variable x) {
        GradFn f = GradFn.of("copy", x);
        return f.output(x.data().copy(), g -> new Tensor[]{g});
    }

    public static Variable squeeze(Variable x, int dim) {
        GradFn f = GradFn.of("squeeze", x);
        int[] xs = x.shape();
        return f.output(x.data().squeeze(dim), g -> new Tensor[]{g.reshape(xs)});
    }

    public static Variable unsqueeze(Variable x, int dim) {
        GradFn f = GradFn.of("unsqueeze", x);
        int[] xs = x.shape();
        return f.output(x.data().unsqueeze(dim), g -> new Tensor[]{g.reshape(xs)});
    }

    /** Broadcast view; gradient sums over the broadcast dimensions. */
    public static Variable expand(Variable x, int... shape) {
        GradFn f = GradFn.of("expand", x);
        int[] xs = x.shape();
        return f.output(x.data().expand(shape), g -> new Tensor[]{Grads.sumTo(g, xs)});
    }

    /** Concatenation along dim; gradient is split back. */
    public static Variable cat(int dim, Variable... parts) {
        GradFn f = GradFn.of("cat", parts);
        Tensor[] data = new Tensor[parts.length];
        int[] sizes = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            data[i] = parts[i].data();
            sizes[i] = parts[i].size(dim);
        }
        return f.output(Indexing.cat(dim, data), g -> {
            Tensor[] pieces = Indexing.split(g, dim, sizes);
            for (int i = 0; i < pieces.length; i++) pieces[i] = f.needs(i) ? pieces[i] : null;
            return pieces;
        });
    }
}
