package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.cpu.CpuBackend;
import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The packed, register-blocked SGEMM behind Backend.matmul, at the sizes where its blocking changes: around the
 * micro-tile (6 rows × 2 vectors: 15, 16, 17, 31, 32, 33 columns), past one KC depth slice (K > 256), past one NC
 * column block (N > 2048), past one MC row block, with transposed and strided operands, beta accumulation and a
 * strided output; a product at most one vector wide (the narrow micro-kernel) has the wide kernel's bits. Bound
 * as in {@link MatmulTest}: |Δ| <= 4·K·2⁻²⁴·(|A|·|B|)ᵢⱼ. Also: results are bit-identical for
 * 1, 2 and 3 threads and for the serial and parallel strategies.
 */
class MatmulKernelTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0303L);
    private final int threadsBefore = CpuBackend.threads();

    @AfterEach
    void restoreThreads() {
        CpuBackend.setThreads(threadsBefore);
    }

    private static RefTensor bound(Twin a, Twin b) {
        int k = a.r().shape[a.r().rank() - 1];
        return Ref.map(Ref.matmul(Ref.abs(a.r()), Ref.abs(b.r())), v -> 4.0 * k * Compare.U * v);
    }

    @Test
    void sizesAroundTheMicroTileAndTheBlocks() {
        int[][] mkn = {{1, 1, 15}, {6, 16, 16}, {7, 17, 17}, {5, 1, 33}, {13, 300, 31}, {97, 257, 32}, {200, 513, 65},
                {3, 40, 2100}, {193, 96, 288}, {12, 1000, 1}, {1, 1000, 1000}};
        for (int[] s : mkn) {
            Twin a = Twin.random(rng, s[0], s[1]), b = Twin.random(rng, s[1], s[2]);
            Compare.bounded("matmul " + java.util.Arrays.toString(s), Ref.matmul(a.r(), b.r()),
                    a.t().matmul(b.t()), bound(a, b));
            Twin at = Twin.random(rng, s[1], s[0]).transpose(0, 1), bt = Twin.random(rng, s[2], s[1]).transpose(0, 1);
            Compare.bounded("matmul transposed " + java.util.Arrays.toString(s), Ref.matmul(at.r(), bt.r()),
                    at.t().matmul(bt.t()), bound(at, bt));
            // A read in place with a row stride wider than k (a column slice), its last rows at the array's end.
            Twin as = Twin.random(rng, s[0], s[1] + 3).narrow(1, 3, s[1]);
            Compare.bounded("matmul column-slice A " + java.util.Arrays.toString(s), Ref.matmul(as.r(), b.r()),
                    as.t().matmul(b.t()), bound(as, b));
        }
    }

    @Test
    void betaAccumulatesIntoAStridedOutput() {
        for (int[] s : new int[][]{{7, 300, 33}, {64, 64, 64}, {1, 5, 1}}) {
            Twin a = Twin.random(rng, s[0], s[1]), b = Twin.random(rng, s[1], s[2]);
            for (float beta : new float[]{0f, 1f, 0.5f}) {
                // out is the transpose of a (n, m) buffer: column stride m, row stride 1.
                Twin c0 = Twin.random(rng, s[2], s[0]).transpose(0, 1);
                Tensor out = c0.t().contiguous();
                Tensor strided = Tensor.zeros(s[2], s[0]).transpose(0, 1).copyFrom(c0.t());
                CpuBackend.INSTANCE.matmul(a.t(), b.t(), out, beta);
                CpuBackend.INSTANCE.matmul(a.t(), b.t(), strided, beta);
                RefTensor expected = Ref.zip(Ref.matmul(a.r(), b.r()), c0.r(), (x, c) -> x + beta * c);
                RefTensor bnd = Ref.zip(bound(a, b), c0.r(), (x, c) -> x + 2 * Compare.U * Math.abs(c) * Math.abs(beta));
                Compare.bounded("beta " + beta + " contiguous out", expected, out, bnd);
                Compare.bounded("beta " + beta + " strided out", expected, strided, bnd);
            }
        }
        // beta = 0 overwrites: NaN in out is not read.
        Tensor out = Tensor.full(Float.NaN, 7, 33);
        Twin a = Twin.random(rng, 7, 9), b = Twin.random(rng, 9, 33);
        CpuBackend.INSTANCE.matmul(a.t(), b.t(), out, 0f);
        Compare.bounded("beta 0 over NaN", Ref.matmul(a.r(), b.r()), out, bound(a, b));
    }

    @Test
    void batchedSmallAndLarge() {
        for (int[][] p : new int[][][]{{{48, 17, 16}, {48, 16, 19}}, {{3, 130, 300}, {3, 300, 70}}, {{2, 1, 64, 64}, {1, 5, 64, 64}}}) {
            Twin a = Twin.random(rng, p[0]), b = Twin.random(rng, p[1]);
            Compare.bounded("batched", Ref.matmul(a.r(), b.r()), a.t().matmul(b.t()), bound(a, b));
        }
    }

    @Test
    void aProductOneVectorWideHasTheBitsOfTheWideKernel() {
        // At most one vector of columns (16 floats at 512 bits, 8 at 256) runs on the narrow kernel, two row panels
        // at a time; the same columns inside a 64-wide product run on the wide one. Same FMA chains, same bits: for
        // odd and even panel counts, a short last panel, two row blocks (m > 96) and two depth slices (k > 256).
        for (int threads : new int[]{1, 2}) {
            CpuBackend.setThreads(threads);
            for (int m : new int[]{1, 6, 7, 11, 12, 13, 19, 96, 97, 200})
                for (int k : new int[]{5, 300}) {
                    Tensor a = Tensor.randn(new Generator(m * 1000 + k), m, k), wide = Tensor.randn(new Generator(k), k, 64);
                    float[] all = a.matmul(wide).toFloatArray();
                    for (int w : new int[]{1, 5, 8, 16}) {
                        float[] got = a.matmul(wide.narrow(1, 0, w).contiguous()).toFloatArray(), expected = new float[m * w];
                        for (int i = 0; i < m; i++) System.arraycopy(all, i * 64, expected, i * w, w);
                        assertArrayEquals(expected, got, "m " + m + ", k " + k + ", " + w + " columns, " + threads + " thread(s)");
                    }
                }
        }
    }

    @Test
    void bitIdenticalForEveryThreadCount() {
        int[][] mkn = {{512, 300, 512}, {3200, 96, 288}, {40, 600, 2100}, {1, 1000, 1000}};
        for (int[] s : mkn) {
            Tensor a = Tensor.randn(new Generator(s[0]), s[0], s[1]), b = Tensor.randn(new Generator(s[2]), s[2], s[1]).transpose(0, 1);
            float[] ref = null;
            for (int t : new int[]{1, 2, 3}) {
                CpuBackend.setThreads(t);
                Tensor c = a.matmul(b);
                float[] got = c.toFloatArray();
                c.storage().close();
                if (ref == null) ref = got;
                else assertArrayEquals(ref, got, "threads " + t + " differ for " + java.util.Arrays.toString(s));
            }
            // Released now rather than by the Cleaner later, which would disturb MemoryAccountingTest's checks.
            a.storage().close();
            b.storage().close();
        }
        // Batched: the per-batch (serial) strategy and the one-product (parallel) strategy agree bit for bit.
        Tensor a = Tensor.randn(new Generator(1), 8, 130, 200), b = Tensor.randn(new Generator(2), 8, 200, 150);
        CpuBackend.setThreads(2);
        float[] batched = a.matmul(b).toFloatArray();
        for (int i = 0; i < 8; i++) {
            float[] one = a.select(0, i).matmul(b.select(0, i)).toFloatArray();
            float[] part = java.util.Arrays.copyOfRange(batched, i * 130 * 150, (i + 1) * 130 * 150);
            assertArrayEquals(one, part, "batch " + i);
        }
    }
}
