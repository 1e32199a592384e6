package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.Tensor;

/**
 * Row-wise iteration over one shape shared by several strided operands. Dimensions of size 1 are dropped and
 * neighbouring dimensions that are contiguous for every operand are merged, so a contiguous tensor becomes a
 * single row. {@link #forEachRow} calls back once per row with each operand's element offset; the row has
 * {@link #n} elements and operand o advances by {@code step[o]} per element.
 */
final class Loop {
    final int[] shape;
    final int[][] strides;
    final int[] offsets;
    /** Elements per row (the innermost merged dimension). */
    final int n;
    /** Innermost stride of each operand. */
    final int[] step;
    final long rows;

    interface Row {
        void run(int[] base);
    }

    private Loop(int[] shape, int[][] strides, int[] offsets) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
        int r = shape.length;
        this.n = shape[r - 1];
        this.step = new int[strides.length];
        for (int o = 0; o < strides.length; o++) step[o] = strides[o][r - 1];
        long total = 1;
        for (int s : shape) total *= s;
        this.rows = n == 0 ? 0 : total / n;
    }

    /** A loop over the tensors' common shape (they must all have that shape). */
    static Loop of(Tensor... ts) {
        int[] shape = ts[0].shape();
        long[][] st = new long[ts.length][];
        long[] off = new long[ts.length];
        for (int i = 0; i < ts.length; i++) {
            st[i] = ts[i].strides();
            off[i] = ts[i].offset();
        }
        return of(shape, st, off);
    }

    /** A loop over shape with raw per-operand strides and offsets (in elements). */
    static Loop of(int[] shape, long[][] strides, long[] offsets) {
        int ops = strides.length;
        int r = shape.length;
        int[] s = new int[Math.max(r, 1)];
        int[][] st = new int[ops][Math.max(r, 1)];
        int k = 0;
        for (int d = 0; d < r; d++) {
            if (shape[d] == 1) continue;
            if (shape[d] == 0) return empty(ops);
            boolean merge = k > 0;
            for (int o = 0; o < ops && merge; o++) merge = st[o][k - 1] == strides[o][d] * shape[d];
            if (merge) {
                s[k - 1] *= shape[d];
                for (int o = 0; o < ops; o++) st[o][k - 1] = (int) strides[o][d];
            } else {
                s[k] = shape[d];
                for (int o = 0; o < ops; o++) st[o][k] = (int) strides[o][d];
                k++;
            }
        }
        if (k == 0) {
            s = new int[]{1};
            for (int o = 0; o < ops; o++) st[o] = new int[]{0};
            k = 1;
        }
        int[] shp = java.util.Arrays.copyOf(s, k);
        for (int o = 0; o < ops; o++) st[o] = java.util.Arrays.copyOf(st[o], k);
        int[] offs = new int[ops];
        for (int o = 0; o < ops; o++) offs[o] = (int) offsets[o];
        return new Loop(shp, st, offs);
    }

    private static Loop empty(int ops) {
        int[][] st = new int[ops][1];
        return new Loop(new int[]{0}, st, new int[ops]);
    }

    void forEachRow(Row row) {
        forRows(0, rows, row);
    }

    /** Elements below which {@link #forEachRowParallel} stays on the calling thread. */
    private static final long PARALLEL_MIN = 1 << 16;

    /**
     * {@link #forEachRow} over the pool in blocks of whole rows, when there are several rows and enough elements to pay
     * for the hand-off (a bias broadcast over a batch, a transposed copy). Only for bodies whose rows write disjoint
     * outputs (no two rows in one mask word); each row is computed as on one thread, so results do not change.
     */
    void forEachRowParallel(Row row) {
        WorkerPool pool = WorkerPool.shared();
        if (rows < 2 || rows * n < PARALLEL_MIN || pool.threads() == 1) {
            forRows(0, rows, row);
            return;
        }
        int blocks = (int) Math.min(rows, 4L * pool.threads());
        pool.parallelFor(blocks, b -> forRows(rows * b / blocks, rows * (b + 1) / blocks, row));
    }

    /** Rows [from, to): the first row's offsets from its index (mixed radix over the outer dimensions), then stepping. */
    private void forRows(long from, long to, Row row) {
        if (from >= to) return;
        int r = shape.length, ops = offsets.length;
        int[] idx = new int[r];
        int[] base = offsets.clone();
        long rest = from;
        for (int d = r - 2; d >= 0; d--) {
            idx[d] = (int) (rest % shape[d]);
            rest /= shape[d];
            for (int o = 0; o < ops; o++) base[o] += idx[d] * strides[o][d];
        }
        for (long i = from; i < to; i++) {
            row.run(base);
            for (int d = r - 2; d >= 0; d--) {
                idx[d]++;
                for (int o = 0; o < ops; o++) base[o] += strides[o][d];
                if (idx[d] < shape[d]) break;
                for (int o = 0; o < ops; o++) base[o] -= strides[o][d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /** Whether every operand is unit-stride along rows. */
    boolean unitStride() {
        for (int s : step) if (s != 1) return false;
        return true;
    }
}
