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
        // Tasks own disjoint column ranges of dWᵀ (whole vectors), and each walks every kept element: no reduction
        // between tasks, and every output element sums the same terms in the same order for any thread count.
        int vecs = (out + L - 1) / L;
        WorkerPool pool = WorkerPool.shared();
        long work = (long) values.numel() * out;
        int tasks = (int) Math.max(1, Math.min(Math.min(pool.threads(), vecs), work / MIN_TASK_WORK));
        pool.parallelFor(tasks, t -> {
            int lo = vecs * t / tasks * L, hi = Math.min(out, vecs * (t + 1) / tasks * L);
            accumulate(gd, go, acc, ao, words, vf, vs, vo, rows, in, out, lo, hi);
        });
    }

    /** Columns [lo, hi) of dWᵀ += v·g[m][lo:hi] for every kept x̂[m][i] = v, in flat order. */
    private static void accumulate(float[] gd, int go, float[] acc, int ao, int[] words, float[] vf, short[] vs, int vo,
                                   int rows, int in, int out, int lo, int hi) {
        long n = (long) rows * in;
        int j = vo, m = 0, b = go;
        long rowStart = 0, rowEnd = in;
        int vecEnd = lo + (hi - lo) / L * L;
        for (int w = 0; (long) w * 32 < n; w++) {
            int bits = words[w];
            while (bits != 0) {
                long p = (long) w * 32 + Integer.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (p >= n) break;
                float v = vf != null ? vf[j] : BFloat16.toFloat(vs[j]);
                j++;
                while (p >= rowEnd) { // rows advance in flat order: no division per element
                    m++;
                    rowStart = rowEnd;
                    rowEnd += in;
                    b += out;
                }
                int a = ao + (int) (p - rowStart) * out;
                FloatVector vv = FloatVector.broadcast(FS, v);
                int o = lo;
                for (; o < vecEnd; o += L)
                    FloatVector.fromArray(FS, gd, b + o).fma(vv, FloatVector.fromArray(FS, acc, a + o)).intoArray(acc, a + o);
                for (; o < hi; o++) acc[a + o] += v * gd[b + o];
            }
        }
    }
}
