package io.github.dropitjvm.tensor;

import java.util.Arrays;

/**
 * Index-driven ops (gather, scatter, indexSelect) and joining/splitting (cat, stack, split). Out-of-range
 * indices are refused with an {@link IndexOutOfBoundsException} naming the op, never read past a buffer.
 */
public final class Indexing {
    private Indexing() {}

    /** out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (likewise for other dims); out has index's shape. */
    public static Tensor gather(Tensor x, int dim, Tensor index) {
        Tensor.requireFloat("gather", x);
        Tensor.requireDType("gather", "index", index, DType.INT32, DType.INT64);
        Tensor.sameBackend("gather", x, index);
        int d = checkIndexShape("gather", x, dim, index);
        Tensor out = x.newZeros(DType.FLOAT32, index.shape());
        x.backend().gather(x, d, index, out);
        return out;
    }

    /** A copy of dst with src's values written (or added, when accumulate) at index along dim. */
    public static Tensor scatter(Tensor dst, int dim, Tensor index, Tensor src, boolean accumulate) {
        Tensor out = dst.copy();
        scatterInPlace(out, dim, index, src, accumulate);
        return out;
    }

    /** dst[..index[i][j]..] (+)= src[i][j] along dim, in place (bumps dst's version). */
    public static void scatterInPlace(Tensor dst, int dim, Tensor index, Tensor src, boolean accumulate) {
        Tensor.requireFloat("scatter", dst);
        Tensor.requireFloat("scatter", src);
        Tensor.requireDType("scatter", "index", index, DType.INT32, DType.INT64);
        Tensor.sameBackend("scatter", dst, index);
        Tensor.sameBackend("scatter", dst, src);
        int d = checkIndexShape("scatter", dst, dim, index);
        int[] is = index.shape(), ss = src.shape();
        for (int i = 0; i < is.length; i++)
            if (ss.length != is.length || ss[i] < is[i])
                throw new IllegalArgumentException("scatter: source " + Shape.str(ss) + " smaller than index " + Shape.str(is));
        dst.backend().scatter(dst, d, index, src, accumulate);
        dst.storage().bumpVersion();
    }

    private static int checkIndexShape(String op, Tensor x, int dim, Tensor index) {
        int d = Shape.dim(op, dim, x.shape());
        if (index.rank() != x.rank())
            throw new IllegalArgumentException(op + ": index rank " + index.rank() + " differs from input rank " + x.rank() + " (" + Shape.str(index.shape()) + " vs " + Shape.str(x.shape()) + ")");
        for (int i = 0; i < x.rank(); i++)
            if (i != d && index.size(i) > x.size(i))
                throw new IllegalArgumentException(op + ": index " + Shape.str(index.shape()) + " larger than input " + Shape.str(x.shape()) + " in dimension " + i);
        return d;
    }

    /** x restricted to the listed positions along dim (1-D INT32/INT64 index). */
    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        Tensor.requireFloat("indexSelect", x);
        Tensor.requireDType("indexSelect", "index", index, DType.INT32, DType.INT64);
        Tensor.sameBackend("indexSelect", x, index);
        if (index.rank() != 1) throw new IllegalArgumentException("indexSelect: index must be 1-D, got " + Shape.str(index.shape()));
        int d = Shape.dim("indexSelect", dim, x.shape());
        int[] s = x.shape();
        s[d] = index.size(0);
        Tensor out = x.newZeros(DType.FLOAT32, s);
        x.backend().indexSelect(x, d, index, out);
        return out;
    }

    /** Concatenates along dim; all other sizes must match. */
    public static Tensor cat(int dim, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("cat: no tensors given");
        Tensor first = parts[0];
        int d = Shape.dim("cat", dim, first.shape());
        int total = 0;
        for (Tensor p : parts) {
            Tensor.sameBackend("cat", first, p);
            if (p.dtype() != first.dtype())
                throw new IllegalArgumentException("cat: dtypes differ: " + first.dtype() + " and " + p.dtype());
            if (p.rank() != first.rank())
                throw new IllegalArgumentException("cat: ranks differ: " + Shape.str(first.shape()) + " and " + Shape.str(p.shape()));
            for (int i = 0; i < first.rank(); i++)
                if (i != d && p.size(i) != first.size(i))
                    throw new IllegalArgumentException("cat: shapes " + Shape.str(first.shape()) + " and " + Shape.str(p.shape()) + " differ outside dimension " + d);
            total = Math.addExact(total, p.size(d));
        }
        int[] s = first.shape();
        s[d] = total;
        Tensor out = first.newZeros(first.dtype(), s);
        int at = 0;
        for (Tensor p : parts) {
            first.backend().copy(p, out.narrow(d, at, p.size(d)));
            at += p.size(d);
        }
        return out;
    }

    /** Stacks equal-shaped tensors along a new dimension dim. */
    public static Tensor stack(int dim, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("stack: no tensors given");
        for (Tensor p : parts)
            if (!Arrays.equals(p.shape(), parts[0].shape()))
                throw new IllegalArgumentException("stack: shapes differ: " + Shape.str(parts[0].shape()) + " and " + Shape.str(p.shape()));
        Tensor[] u = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) u[i] = parts[i].unsqueeze(dim);
        return cat(dim, u);
    }

    /** Views of consecutive pieces of the given sizes along dim; the sizes must add up to the dimension. */
    public static Tensor[] split(Tensor x, int dim, int... sizes) {
        int d = Shape.dim("split", dim, x.shape());
        long sum = 0;
        for (int s : sizes) {
            if (s < 0) throw new IllegalArgumentException("split: negative size in " + Arrays.toString(sizes));
            sum += s;
        }
        if (sum != x.size(d))
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " add up to " + sum + ", dimension " + d + " of " + Shape.str(x.shape()) + " is " + x.size(d));
        Tensor[] out = new Tensor[sizes.length];
        int at = 0;
        for (int i = 0; i < sizes.length; i++) {
            out[i] = x.narrow(d, at, sizes[i]);
            at += sizes[i];
        }
        return out;
    }

    /** Equal chunks of size chunk along dim (the last may be smaller). */
    public static Tensor[] chunks(Tensor x, int dim, int chunk) {
        int d = Shape.dim("split", dim, x.shape());
        if (chunk <= 0) throw new IllegalArgumentException("split: chunk size must be positive, got " + chunk);
        int n = x.size(d), count = Math.max(1, (n + chunk - 1) / chunk);
        int[] sizes = new int[count];
        for (int i = 0; i < count; i++) sizes[i] = Math.min(chunk, n - i * chunk);
        if (n == 0) sizes[0] = 0;
        return split(x, d, sizes);
    }
}
