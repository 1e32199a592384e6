package io.github.dropitjvm.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Approximate min-k: the stated tolerance on the kept count, the threshold rule, zeros, NaN, determinism. */
class ApproxSelectTest {

    private static boolean[] bits(Tensor mask) {
        boolean[] b = new boolean[(int) mask.numel()];
        for (float i : DropItKernels.maskToIndex(mask).toFloatArray()) b[(int) i] = true;
        return b;
    }

    @Test
    void keptCountIsWithinTheStatedToleranceOfK() {
        int n = 300_000;
        for (long seed = 1; seed <= 5; seed++) {
            Tensor x = Tensor.randn(new Generator(seed), 600, 500);
            for (double gamma : new double[]{0.5, 0.9, 0.99}) {
                long k = DropItKernels.keepCount(n, gamma);
                long kept = DropItKernels.countKept(DropItKernels.selectApproxTopAbs(x, k, DropItKernels.APPROX_SAMPLE, seed, 3, 7, "fc"));
                double tol = DropItKernels.approxKeepTolerance(n, k, DropItKernels.APPROX_SAMPLE);
                assertTrue(Math.abs(kept - k) <= tol, "seed " + seed + " γ " + gamma + ": kept " + kept + ", k " + k + ", tolerance " + tol);
            }
        }
        // The stated figure at γ = 0.9, s = 4096: about 19% of k.
        assertEquals(0.19, DropItKernels.approxKeepTolerance(1_000_000, 100_000, 4096) / 100_000, 0.005);
    }

    @Test
    void keepsEveryElementAtOrAboveAThreshold() {
        Tensor x = Tensor.randn(new Generator(11), 20_000).mul(3.0);
        Tensor mask = DropItKernels.selectApproxTopAbs(x, 2_000, 512, 4, 0, 0, "fc");
        boolean[] kept = bits(mask);
        float[] v = x.toFloatArray();
        double minKept = Double.POSITIVE_INFINITY, maxDropped = 0;
        for (int i = 0; i < v.length; i++) {
            if (kept[i]) minKept = Math.min(minKept, Math.abs(v[i]));
            else maxDropped = Math.max(maxDropped, Math.abs(v[i]));
        }
        assertTrue(maxDropped < minKept, "dropped " + maxDropped + " >= kept " + minKept);
    }

    @Test
    void whenTheThresholdIsZeroItKeepsExactlyTheNonzeros() {
        Tensor x = Tensor.randn(new Generator(12), 50_000).relu(); // about half zeros
        long k = DropItKernels.keepCount(50_000, 0.2);          // asks for 80%, more than the nonzeros
        Tensor mask = DropItKernels.selectApproxTopAbs(x, k, 4096, 1, 0, 0, "conv");
        float[] v = x.toFloatArray();
        boolean[] kept = bits(mask);
        for (int i = 0; i < v.length; i++) assertEquals(v[i] != 0, kept[i], "element " + i);
    }

    @Test
    void deterministicPerSeedEmptyForKZeroAndNanNamesTheLayer() {
        Tensor x = Tensor.randn(new Generator(13), 7, 999);
        long k = DropItKernels.keepCount(x.numel(), 0.9);
        Tensor a = DropItKernels.selectApproxTopAbs(x, k, 256, 9, 1, 2, "fc");
        Tensor b = DropItKernels.selectApproxTopAbs(x, k, 256, 9, 1, 2, "fc");
        assertArrayEquals(DropItKernels.maskToIndex(a).toFloatArray(), DropItKernels.maskToIndex(b).toFloatArray());
        assertEquals(0, DropItKernels.countKept(DropItKernels.selectApproxTopAbs(x, 0, 256, 9, 1, 2, "fc")));
        // positions are drawn with replacement, so even a sample the tensor's size only estimates t
        long big = DropItKernels.countKept(DropItKernels.selectApproxTopAbs(x, k, (int) x.numel(), 9, 1, 2, "fc"));
        assertTrue(Math.abs(big - k) <= DropItKernels.approxKeepTolerance(x.numel(), k, (int) x.numel()), big + " vs " + k);
        float[] w = x.toFloatArray();
        w[5] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DropItKernels.selectApproxTopAbs(Tensor.fromArray(w, 7, 999), k, 256, 9, 1, 2, "blocks.1.mlp.fc2"));
        assertTrue(e.getMessage().contains("blocks.1.mlp.fc2") && e.getMessage().contains("1 NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DropItKernels.selectApproxTopAbs(x, x.numel() + 1, 256, 9, 1, 2, "fc"));
    }
}
