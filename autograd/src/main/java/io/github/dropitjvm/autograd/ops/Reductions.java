package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Tensor;

/** Sum and mean; neither keeps anything for backward. */
public final class Reductions {
    private Reductions() {}

    public static Variable sum(Variable x) {
        return sum(x, Norms.range(0, x.rank()), false);
    }

    public static Variable mean(Variable x) {
        return mean(x, Norms.range(0, x.rank()), false);
    }

    public static Variable sum(Variable x, int[] dims, boolean keepdim) {
        GradFn f = GradFn.of("sum", x);
        int[] xs = x.shape(), kept = keptShape(xs, dims);
        return f.output(x.data().sum(dims, keepdim), g -> new Tensor[]{g.reshape(kept).expand(xs).contiguous()});
    }

    public static Variable mean(Variable x, int[] dims, boolean keepdim) {
        GradFn f = GradFn.of("mean", x);
        int[] xs = x.shape(), kept = keptShape(xs, dims);
        long count = 1;
        for (int i = 0; i < xs.length; i++) if (kept[i] != xs[i] || (xs[i] == 1 && contains(dims, i, xs.length))) count *= xs[i];
        double scale = 1.0 / count;
        return f.output(x.data().mean(dims, keepdim), g -> new Tensor[]{g.reshape(kept).mul(scale).expand(xs).contiguous()});
    }

    private static int[] keptShape(int[] xs, int[] dims) {
        int[] k = xs.clone();
        for (int d : dims) k[Math.floorMod(d, xs.length)] = 1;
        return k;
    }

    private static boolean contains(int[] dims, int i, int rank) {
        for (int d : dims) if (Math.floorMod(d, rank) == i) return true;
        return false;
    }
}
