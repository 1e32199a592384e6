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

    /**
     * The fused pack (CPU: count pass, then one compare-and-compress pass): its mask is exactly {|x| >= t} for t its
     * smallest kept |x| (an upper set, nothing kept below anything dropped), its values are x there in flat order
     * (bf16: rounded to nearest even), its kept count is within the tolerance — on sizes around vector and word
     * boundaries, past the size the CPU splits into parallel parts, and on a transposed (non-contiguous) view.
     */
    @Test
    void packIsTheThresholdSetWithItsValuesInFlatOrder() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(21);
        for (int n : new int[]{1, 17, 33, 1000, 65_537, 2_100_017}) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * Math.exp(rng.nextDouble(-3, 3)));
            for (boolean transposed : new boolean[]{false, true}) {
                if (transposed && n % 17 != 0 && n != 1000) continue;
                Tensor x = Tensor.fromArray(v, n);
                if (transposed) x = n == 1000 ? x.reshape(40, 25).transpose(0, 1) : x.reshape(n / 17, 17).transpose(0, 1);
                float[] logical = x.contiguous().toFloatArray();
                for (double gamma : new double[]{0, 0.5, 0.9, 0.99}) {
                    long k = DropItKernels.keepCount(n, gamma);
                    String what = "n " + n + (transposed ? " transposed" : "") + " γ " + gamma;
                    for (DType vt : new DType[]{DType.FLOAT32, DType.BF16}) {
                        DropItKernels.Pack p = DropItKernels.packApproxTopAbs(x, k, DropItKernels.APPROX_SAMPLE, 5, 1, 2, vt, "fc");
                        boolean[] kept = bits(p.mask());
                        float minKept = Float.POSITIVE_INFINITY;
                        int count = 0;
                        for (int i = 0; i < n; i++) if (kept[i]) { minKept = Math.min(minKept, Math.abs(logical[i])); count++; }
                        assertEquals(count, p.kept(), what);
                        assertEquals(count, DropItKernels.countKept(p.mask()), what);
                        assertEquals(vt, p.values().dtype());
                        assertEquals(vt.bytesFor(count), p.values().storage().bytes(), what);
                        assertTrue(Math.abs(count - k) <= DropItKernels.approxKeepTolerance(n, k, DropItKernels.APPROX_SAMPLE), what + ": kept " + count + " of k " + k);
                        for (int i = 0; i < n; i++)
                            if (kept[i] != (Math.abs(logical[i]) >= minKept)) throw new AssertionError(what + ": element " + i + " breaks the threshold set");
                        float[] values = p.values().toFloatArray();
                        for (int i = 0, j = 0; i < n; i++) {
                            if (!kept[i]) continue;
                            float expected = vt == DType.FLOAT32 ? logical[i] : Float.intBitsToFloat(roundBf16(logical[i]) << 16);
                            if (Float.floatToRawIntBits(values[j]) != Float.floatToRawIntBits(expected))
                                throw new AssertionError(what + " " + vt + ": value " + j + " (element " + i + ") " + values[j] + " vs " + expected);
                            j++;
                        }
                    }
                    assertArrayEquals(bits(p(x, k)), bits(DropItKernels.selectApproxTopAbs(x, k, DropItKernels.APPROX_SAMPLE, 5, 1, 2, "fc")), what + ": select = pack's mask");
                }
            }
        }
        Tensor x = Tensor.randn(new Generator(3), 2_100_017);
        float[] w = x.toFloatArray();
        w[2_100_000] = Float.NaN; // in the last part
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DropItKernels.packApproxTopAbs(Tensor.fromArray(w, w.length), 1000, 4096, 1, 0, 0, DType.FLOAT32, "blocks.0.attn.qkv"));
        assertTrue(e.getMessage().contains("blocks.0.attn.qkv") && e.getMessage().contains("1 NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DropItKernels.packApproxTopAbs(Tensor.fromArray(w, w.length), 0, 4096, 1, 0, 0, DType.FLOAT32, "fc"));
        assertTrue(e.getMessage().contains("1 NaN"), "k = 0 still refuses a NaN: " + e.getMessage());
    }

    /** Ties at t are all kept, however many (the CPU's scratch for the values then outgrows its k-based size). */
    @Test
    void tiesAtTheThresholdAreAllKept() {
        for (int n : new int[]{1001, 2_100_017})
            for (DType vt : new DType[]{DType.FLOAT32, DType.BF16}) {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = i % 7 == 3 ? 0.25f : -1.5f;
                DropItKernels.Pack p = DropItKernels.packApproxTopAbs(Tensor.fromArray(v, n), n / 10, 4096, 2, 0, 0, vt, "fc");
                int expected = n - (n + 3) / 7;
                assertEquals(expected, p.kept(), "n " + n + " " + vt);
                assertEquals(expected, DropItKernels.countKept(p.mask()));
                float[] values = p.values().toFloatArray();
                for (float f : values) assertEquals(-1.5f, f);
                boolean[] kept = bits(p.mask());
                for (int i = 0; i < n; i++) assertEquals(i % 7 != 3, kept[i], "element " + i);
            }
    }

    private static Tensor p(Tensor x, long k) {
        return DropItKernels.packApproxTopAbs(x, k, DropItKernels.APPROX_SAMPLE, 5, 1, 2, DType.FLOAT32, "fc").mask();
    }

    /** bf16 bits of f, round to nearest even, written out here (no NaN reaches a pack). */
    private static int roundBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        return ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16) & 0xFFFF;
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
