package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.BFloat16;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Tensor;

/**
 * Sparse weight gradient from a DropIT cache: dWᵀ = x̂ᵀ·g without building the dense x̂. For every kept element
 * x̂[m][i] = v (the set bits of the mask, in flat order, paired with the compact values) it adds v·g[m][:] to row
 * i of dWᵀ: one contiguous axpy of length {@code out} per kept element, so the work is k·out multiply-adds instead
 * of M·in·out, and nothing of size M·in is written.
 */
final class CpuSparse {
    private CpuSparse() {}

    /**
     * @param g      (M, out) FLOAT32, contiguous
     * @param values k kept values (FLOAT32 or BF16), contiguous, flat order of x̂
     * @param mask   BIT mask of M·in bits (bit p set: x̂ flat position p = m·in + i is kept)
     * @param dwT    (in, out) FLOAT32, contiguous, zeroed by the caller; receives x̂ᵀ·g
     */
    static void sparseWeightGrad(Tensor g, Tensor values, Tensor mask, Tensor dwT) {
        float[] gd = CpuBackend.cpu(g).floats(), acc = CpuBackend.cpu(dwT).floats();
        int[] words = CpuBackend.cpu(mask).ints();
        int out = g.size(1), in = dwT.size(0);
        int go = (int) g.offset(), ao = (int) dwT.offset(), vo = (int) values.offset();
        boolean bf16 = values.dtype() == DType.BF16;
        float[] vf = bf16 ? null : CpuBackend.cpu(values).floats();
        short[] vs = bf16 ? CpuBackend.cpu(values).shorts() : null;
        long n = mask.numel();
        int j = 0;
        for (int w = 0; (long) w * 32 < n; w++) {
            int bits = words[w];
            while (bits != 0) {
                long p = (long) w * 32 + Integer.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (p >= n) break;
                float v = bf16 ? BFloat16.toFloat(vs[vo + j]) : vf[vo + j];
                j++;
                int m = (int) (p / in), i = (int) (p - (long) m * in);
                int a = ao + i * out, b = go + m * out;
                for (int o = 0; o < out; o++) acc[a + o] += v * gd[b + o];
            }
        }
    }
}
