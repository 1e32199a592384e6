package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.BFloat16;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sparse weight gradient from a DropIT cache: dWᵀ = x̂ᵀ·g without building the dense x̂. For every kept element
 * x̂[m][i] = v (the set bits of the mask, in flat order, paired with the compact values) it adds v·g[m][:] to row
 * i of dWᵀ: one contiguous axpy of length {@code out} per kept element, so the work is k·out multiply-adds instead
 * of M·in·out, and nothing of size M·in is written.
 */
final class CpuSparse {
    private CpuSparse() {}

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    /** Multiply-adds below which a second pool task costs more than it saves. */
    private static final long MIN_TASK_WORK = 1 << 18;
    /** Tasks per pool thread: DropIT keeps some input features far more often than others (outlier channels), so
     *  the feature ranges differ in work; several per thread let the pool's counter balance them. */
    private static final int TASKS_PER_THREAD = 4;

    /**
     * @param g      (M, out) FLOAT32, contiguous
     * @param values k kept values (FLOAT32 or BF16), contiguous, flat order of x̂
     * @param mask   BIT mask of M·in bits (bit p set: x̂ flat position p = m·in + i is kept)
     * @param dwT    (in, out) FLOAT32, contiguous, zeroed by the caller; receives x̂ᵀ·g
     */
    static void sparseWeightGrad(Tensor g, Tensor values, Tensor mask, Tensor dwT) {
        float[] gd = CpuBackend.cpu(g).floats(), acc = CpuBackend.cpu(dwT).floats();
        int[] words = CpuBackend.cpu(mask).ints();
        int out = g.size(1), in = dwT.size(0), rows = g.size(0);
        int go = (int) g.offset(), ao = (int) dwT.offset(), vo = (int) values.offset();
        boolean bf16 = values.dtype() == DType.BF16;
        float[] vf = bf16 ? null : CpuBackend.cpu(values).floats();
        short[] vs = bf16 ? CpuBackend.cpu(values).shorts() : null;
        // Tasks own disjoint ranges of input features, i.e. of whole rows of dWᵀ. Splitting the output columns
        // instead made both tasks write into the same dWᵀ rows: at a column split that is not on a cache-line
        // boundary (and none is reliably, the array's base being 16 bytes into its object) every kept element made
        // the two cores trade that line, and two tasks ran 3–4× slower than one. Every output element still sums
        // the same terms in the same (flat) order, so the result is identical for any split and thread count.
        long n = (long) rows * in;
        int nw = (int) ((n + 31) >>> 5);
        // before[w]: kept elements in mask words 0 .. w−1, so a task finds the value index of any position at once
        int[] before = new int[nw + 1];
        for (int w = 0; w < nw; w++) before[w + 1] = before[w] + Integer.bitCount(words[w]);
        WorkerPool pool = WorkerPool.shared();
        long work = (long) values.numel() * out;
        int tasks = pool.threads() == 1 ? 1
                : (int) Math.max(1, Math.min(Math.min((long) pool.threads() * TASKS_PER_THREAD, in), work / MIN_TASK_WORK));
        pool.parallelFor(tasks, t -> accumulate(gd, go, acc, ao, words, before, vf, vs, vo, rows, in, out,
                (int) ((long) in * t / tasks), (int) ((long) in * (t + 1) / tasks)));
    }

    /** Rows [lo, hi) of dWᵀ (input features) += v·g[m][:] for every kept x̂[m][i] = v with lo <= i < hi, m ascending. */
    private static void accumulate(float[] gd, int go, float[] acc, int ao, int[] words, int[] before, float[] vf,
                                   short[] vs, int vo, int rows, int in, int out, int lo, int hi) {
        int vecEnd = out / L * L;
        for (int m = 0; m < rows; m++) {
            long p0 = (long) m * in + lo, p1 = (long) m * in + hi;
            int w = (int) (p0 >>> 5);
            int j = vo + before[w] + Integer.bitCount(words[w] & ((1 << (p0 & 31)) - 1));
            int b = go + m * out;
            long rowStart = (long) m * in;
            for (long base = (long) w << 5; base < p1; w++, base += 32) {
                int bits = words[w];
                if (base < p0) bits &= -1 << (p0 - base);
                if (p1 - base < 32) bits &= (1 << (p1 - base)) - 1;
                while (bits != 0) {
                    long p = base + Integer.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    float v = vf != null ? vf[j] : BFloat16.toFloat(vs[j]);
                    j++;
                    int a = ao + (int) (p - rowStart) * out;
                    FloatVector vv = FloatVector.broadcast(FS, v);
                    int o = 0;
                    for (; o < vecEnd; o += L)
                        FloatVector.fromArray(FS, gd, b + o).fma(vv, FloatVector.fromArray(FS, acc, a + o)).intoArray(acc, a + o);
                    for (; o < out; o++) acc[a + o] += v * gd[b + o];
                }
            }
        }
    }
}
