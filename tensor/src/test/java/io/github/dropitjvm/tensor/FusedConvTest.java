package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.cpu.CpuBackend;
import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused convolution kernels ({@link NnKernels#conv2d}, {@link NnKernels#conv2dInputGrad}, {@link
 * NnKernels#conv2dWeightGrad}) against the unfused composition they replace, im2col or col2im around a batched
 * matmul, which NnKernelsTest checks against the float64 reference: the forward and the weight gradient equal it
 * bit for bit, on every layout and thread count. The input gradient with stride 1 is computed as a convolution
 * (its sums in another order), so it is checked against float64 (bound 4·K·u·Σ|terms|, K = O·kh·kw) and for
 * being the same on every thread count; the forward is also checked against the float64 convolution directly.
 */
class FusedConvTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0C0FL);
    private final int threadsBefore = CpuBackend.threads();

    @AfterEach
    void restoreThreads() {
        CpuBackend.setThreads(threadsBefore);
    }

    /** n, c, h, w, kh, kw, sh, sw, ph, pw, out channels. */
    static final int[][] CASES = {
            {8, 3, 7, 9, 3, 3, 1, 1, 1, 1, 5}, {7, 2, 8, 8, 2, 2, 2, 2, 0, 0, 3}, {9, 1, 9, 7, 3, 3, 2, 2, 1, 1, 4},
            {8, 3, 5, 6, 1, 1, 1, 1, 0, 0, 7}, {8, 2, 6, 11, 2, 3, 1, 2, 1, 0, 2}, {8, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1},
            {8, 4, 33, 7, 5, 3, 3, 2, 2, 1, 6}, {8, 1, 3, 3, 3, 3, 1, 1, 2, 2, 2},
            {8, 2, 9, 8, 5, 3, 1, 1, 1, 1, 3}, {8, 2, 6, 5, 3, 5, 1, 1, 2, 2, 4}, {8, 2, 7, 6, 3, 2, 1, 1, 0, 1, 3},
            // resnet20's stage shapes, large enough for the worker pool; and a batch too small to fuse on 2+ threads
            {8, 16, 28, 28, 3, 3, 1, 1, 1, 1, 16}, {8, 16, 28, 28, 3, 3, 2, 2, 1, 1, 32}, {3, 8, 12, 12, 3, 3, 1, 1, 1, 1, 8},
            {3, 4, 9, 9, 3, 3, 2, 2, 1, 1, 5},
            // more output positions than one span (256), spans starting mid-row
            {8, 2, 40, 30, 3, 3, 1, 1, 0, 0, 3}, {8, 2, 30, 20, 5, 3, 1, 1, 1, 1, 3}};

    private static Conv2dGeometry geometry(Tensor x, int[] g) {
        return NnKernels.geometry("test", x, g[4], g[5], g[6], g[7], g[8], g[9]);
    }

    @Test
    void fusedKernelsEqualIm2colAndMatmulOrTheFloat64Bound() {
        for (int[] g : CASES) {
            int n = g[0], c = g[1], o = g[10];
            // x channels-last, weight and gradient transposed in their last two dimensions: every operand strided
            Twin x = Twin.layouts(rng, n, c, g[2], g[3]).get(2), w = Twin.layouts(rng, o, c, g[4], g[5]).get(1);
            Conv2dGeometry geo = geometry(x.t(), g);
            int rows = c * g[4] * g[5], spatial = geo.outH() * geo.outW();
            Twin gy = Twin.layouts(rng, n, o, geo.outH(), geo.outW()).get(1);
            Ref.Window win = new Ref.Window(g[4], g[5], g[6], g[7], g[8], g[9]);

            RefTensor w2 = Ref.transpose(Ref.reshape(w.r(), o, rows), 0, 1), g3 = Ref.reshape(gy.r(), n, o, spatial);
            RefTensor dxRef = Ref.col2im(Ref.matmul(w2, g3), c, g[2], g[3], win);
            RefTensor dxBound = Ref.map(Ref.col2im(Ref.matmul(Ref.abs(w2), Ref.abs(g3)), c, g[2], g[3], win), v -> 4 * o * g[4] * g[5] * Compare.U * v);
            float[] dx1 = null;
            for (int threads : new int[]{1, 2, 3}) {
                CpuBackend.setThreads(threads);
                String what = Arrays.toString(g) + " on " + threads + " thread(s)";
                Tensor cols = NnKernels.im2col(x.t(), geo), wt = w.t().reshape(o, rows), g3t = gy.t().reshape(n, o, spatial);
                float[] y = wt.matmul(cols).toFloatArray();
                float[] dw = cols.matmul(g3t.transpose(1, 2)).sum(0, false).transpose(0, 1).reshape(o, c, g[4], g[5]).toFloatArray();
                assertArrayEquals(y, NnKernels.conv2d(x.t(), w.t(), geo).toFloatArray(), "conv2d " + what);
                assertArrayEquals(dw, NnKernels.conv2dWeightGrad(x.t(), gy.t(), geo).toFloatArray(), "weight gradient " + what);
                Tensor dx = NnKernels.conv2dInputGrad(w.t(), gy.t(), geo);
                Compare.bounded("input gradient " + what, dxRef, dx, dxBound);
                if (dx1 == null) dx1 = dx.toFloatArray();
                else assertArrayEquals(dx1, dx.toFloatArray(), "input gradient on 1 thread vs " + what);
            }
        }
    }

    @Test
    void theCpuFusesEveryBatchOnOneThreadAndLeavesSmallBatchesToTheSplitProduct() {
        // The equality test above proves nothing about the fused kernels unless they run: they must on one thread.
        // (On the CPU backend whichever backend the suite runs on by default.)
        CpuBackend.setThreads(1);
        Backend cpu = Backends.cpu();
        Tensor x = Tensor.randn(new Generator(1), 1, 2, 5, 5).to(cpu), w = Tensor.randn(new Generator(2), 3, 2 * 3 * 3).to(cpu);
        Conv2dGeometry geo = NnKernels.geometry("test", x, 3, 3, 1, 1, 1, 1);
        Tensor y = Tensor.zeros(cpu, DType.FLOAT32, 1, 3, 25), gi = Tensor.zeros(cpu, DType.FLOAT32, 1, 2, 5, 5);
        Tensor pw = Tensor.zeros(cpu, DType.FLOAT32, 18, 3);
        assertTrue(cpu.conv2d(x, w, geo, y));
        assertTrue(cpu.conv2dInputGrad(w, y, geo, gi));
        assertTrue(cpu.conv2dWeightGrad(x, y, geo, pw));
        // One image on two threads: the product split across the threads is the faster path.
        CpuBackend.setThreads(2);
        assertFalse(cpu.conv2d(x, w, geo, y));
        // An input gradient whose per-image columns exceed the kept buffer's limit is left to the unfused path.
        CpuBackend.setThreads(1);
        Tensor big = Tensor.zeros(cpu, DType.FLOAT32, 1, 64, 48, 48);
        Conv2dGeometry large = NnKernels.geometry("test", big, 3, 3, 1, 1, 0, 0); // 576 rows × 2116 positions
        assertFalse(cpu.conv2dInputGrad(Tensor.zeros(cpu, DType.FLOAT32, 2, 576), Tensor.zeros(cpu, DType.FLOAT32, 1, 2, 2116), large, big));
    }

    @Test
    void badShapesAreRefusedNamingThem() {
        Tensor x = Tensor.zeros(2, 3, 8, 8);
        Conv2dGeometry geo = NnKernels.geometry("test", x, 3, 3, 1, 1, 1, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> NnKernels.conv2d(x, Tensor.zeros(4, 2, 3, 3), geo));
        assertEquals("conv2d: weight must have shape [4, 3, 3, 3], got [4, 2, 3, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NnKernels.conv2d(x, Tensor.zeros(4, 27), geo));
        assertEquals("conv2d: weight must have shape (O, 3, 3, 3), got [4, 27]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NnKernels.conv2dInputGrad(Tensor.zeros(4, 3, 3, 3), Tensor.zeros(2, 5, 8, 8), geo));
        assertEquals("conv2dInputGrad: gradient must have shape [2, 4, 8, 8], got [2, 5, 8, 8]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NnKernels.conv2dWeightGrad(Tensor.zeros(2, 3, 7, 8), Tensor.zeros(2, 4, 8, 8), geo));
        assertEquals("conv2dWeightGrad: input must have shape [2, 3, 8, 8], got [2, 3, 7, 8]", e.getMessage());
    }

    @Test
    void fusedForwardWithinTheFloat64Bound() {
        CpuBackend.setThreads(2);
        for (int[] g : CASES) {
            Twin x = Twin.random(rng, g[0], g[1], g[2], g[3]), w = Twin.random(rng, g[10], g[1], g[4], g[5]);
            Conv2dGeometry geo = geometry(x.t(), g);
            Ref.Window win = new Ref.Window(g[4], g[5], g[6], g[7], g[8], g[9]);
            int k = g[1] * g[4] * g[5];
            RefTensor bound = Ref.map(Ref.conv2d(x.r(), w.r(), win, true), v -> 4 * k * Compare.U * v);
            Compare.bounded("fused conv " + Arrays.toString(g), Ref.conv2d(x.r(), w.r(), win, false), NnKernels.conv2d(x.t(), w.t(), geo), bound);
        }
    }
}
