package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

/**
 * gather / scatter / indexSelect. Each builds a loop over the index-shaped space in which the data operand's
 * stride along dim is 0, so the loop yields the base offset and the index value supplies the position along dim.
 */
final class CpuIndexing {
    private CpuIndexing() {}

    private static long[] zeroAt(long[] strides, int dim) {
        long[] s = strides.clone();
        s[dim] = 0;
        return s;
    }

    /** The shapes an index error names: built only when an index is out of range. */
    private interface Where {
        String shapes();
    }

    /** Reads an INT32 or INT64 index element and checks it against the dimension size. */
    private static int index(CpuStorage s, int p, int size, String op, int dim, Where where) {
        long v = s.dtype() == DType.INT64 ? s.longs()[p] : s.ints()[p];
        if (v < 0 || v >= size)
            throw new IndexOutOfBoundsException(op + ": index " + v + " out of range for dimension " + dim + " of size " + size + " (" + where.shapes() + ")");
        return (int) v;
    }

    private static Where shapes(String data, Tensor x, Tensor index) {
        return () -> data + " " + Shape.str(x.shape()) + ", index " + Shape.str(index.shape());
    }

    static void gather(Tensor x, int dim, Tensor index, Tensor out) {
        float[] a = CpuBackend.cpu(x).floats(), o = CpuBackend.cpu(out).floats();
        CpuStorage ix = CpuBackend.cpu(index);
        int size = x.size(dim), step = (int) x.stride(dim);
        Where where = shapes("input", x, index);
        Loop loop = Loop.of(index.shape(), new long[][]{index.strides(), zeroAt(x.strides(), dim), out.strides()},
                new long[]{index.offset(), x.offset(), out.offset()});
        int n = loop.n, s0 = loop.step[0], s1 = loop.step[1], s2 = loop.step[2];
        loop.forEachRow(r -> {
            for (int i = 0, p = r[0], q = r[1], t = r[2]; i < n; i++, p += s0, q += s1, t += s2)
                o[t] = a[q + index(ix, p, size, "gather", dim, where) * step];
        });
    }

    static void scatter(Tensor dst, int dim, Tensor index, Tensor src, boolean accumulate) {
        float[] d = CpuBackend.cpu(dst).floats(), s = CpuBackend.cpu(src).floats();
        CpuStorage ix = CpuBackend.cpu(index);
        int size = dst.size(dim), step = (int) dst.stride(dim);
        Where where = shapes("destination", dst, index);
        Loop loop = Loop.of(index.shape(), new long[][]{index.strides(), zeroAt(dst.strides(), dim), src.strides()},
                new long[]{index.offset(), dst.offset(), src.offset()});
        int n = loop.n, s0 = loop.step[0], s1 = loop.step[1], s2 = loop.step[2];
        // Check every index before writing anything: a refused scatter must leave its destination as it was.
        loop.forEachRow(r -> {
            for (int i = 0, p = r[0]; i < n; i++, p += s0) index(ix, p, size, "scatter", dim, where);
        });
        loop.forEachRow(r -> {
            for (int i = 0, p = r[0], q = r[1], t = r[2]; i < n; i++, p += s0, q += s1, t += s2) {
                int at = q + index(ix, p, size, "scatter", dim, where) * step;
                if (accumulate) d[at] += s[t];
                else d[at] = s[t];
            }
        });
    }

    static void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        float[] a = CpuBackend.cpu(x).floats(), o = CpuBackend.cpu(out).floats();
        CpuStorage ix = CpuBackend.cpu(index);
        int size = x.size(dim), step = (int) x.stride(dim);
        Where where = shapes("input", x, index);
        long[] idxStrides = new long[out.rank()];
        idxStrides[dim] = index.stride(0);
        Loop loop = Loop.of(out.shape(), new long[][]{idxStrides, zeroAt(x.strides(), dim), out.strides()},
                new long[]{index.offset(), x.offset(), out.offset()});
        int n = loop.n, s0 = loop.step[0], s1 = loop.step[1], s2 = loop.step[2];
        loop.forEachRow(r -> {
            for (int i = 0, p = r[0], q = r[1], t = r[2]; i < n; i++, p += s0, q += s1, t += s2)
                o[t] = a[q + index(ix, p, size, "indexSelect", dim, where) * step];
        });
    }
}
