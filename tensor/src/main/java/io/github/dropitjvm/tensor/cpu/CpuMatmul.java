package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.Tensor;

import java.util.Arrays;

/**
 * Batched matrix product over strided operands. Each batch packs B into row arrays so the inner loop
 * (c[j] += a·b[j] over one row) reads and writes at the same index, which the JIT vectorizes; A is read
 * through its strides, so transposed views cost no copy. (The register-blocked Vector-API kernel is the
 * fast-CPU issue's work; this one is the simple, correct baseline.)
 */
final class CpuMatmul {
    private CpuMatmul() {}

    static void matmul(Tensor a, Tensor b, Tensor out, float beta) {
        float[] A = CpuBackend.cpu(a).floats(), B = CpuBackend.cpu(b).floats(), C = CpuBackend.cpu(out).floats();
        int r = out.rank();
        int m = out.size(r - 2), n = out.size(r - 1), k = a.size(r - 1);
        long[] as = a.strides(), bs = b.strides(), cs = out.strides();
        int ar = (int) as[r - 2], ac = (int) as[r - 1], br = (int) bs[r - 2], bc = (int) bs[r - 1];
        int cr = (int) cs[r - 2], cc = (int) cs[r - 1];
        int[] batchShape = Arrays.copyOf(out.shape(), r - 2);
        long[][] batchStrides = {Arrays.copyOf(as, r - 2), Arrays.copyOf(bs, r - 2), Arrays.copyOf(cs, r - 2)};
        float[][] packed = new float[k][n];
        float[] row = new float[n];
        Loop loop = Loop.of(batchShape.length == 0 ? new int[]{1} : batchShape,
                batchShape.length == 0 ? new long[][]{{0}, {0}, {0}} : batchStrides,
                new long[]{a.offset(), b.offset(), out.offset()});
        int nb = loop.n, sa = loop.step[0], sb = loop.step[1], sc = loop.step[2];
        loop.forEachRow(base -> {
            for (int t = 0, pa = base[0], pb = base[1], pc = base[2]; t < nb; t++, pa += sa, pb += sb, pc += sc) {
                for (int p = 0; p < k; p++) {
                    float[] dst = packed[p];
                    int src = pb + p * br;
                    for (int j = 0; j < n; j++) dst[j] = B[src + j * bc];
                }
                for (int i = 0; i < m; i++) {
                    Arrays.fill(row, 0f);
                    int ai = pa + i * ar;
                    for (int p = 0; p < k; p++) {
                        float av = A[ai + p * ac];
                        float[] bp = packed[p];
                        for (int j = 0; j < n; j++) row[j] += av * bp[j];
                    }
                    int ci = pc + i * cr;
                    if (beta == 0f) for (int j = 0; j < n; j++) C[ci + j * cc] = row[j];
                    else for (int j = 0; j < n; j++) C[ci + j * cc] = beta * C[ci + j * cc] + row[j];
                }
            }
        });
    }
}
