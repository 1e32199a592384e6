package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.cpu.CpuBackend;
import io.github.dropitjvm.tensor.ref.RefDropIt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The CPU radix select's three routes against the stable-sort reference: small inputs (11-bit first histogram),
 * large inputs whose threshold bucket is gathered into a buffer (16-bit histogram, two passes), and large inputs
 * with mass ties in the threshold bucket (second histogram, third pass); inputs large enough to split over the
 * worker pool, and the same mask for 1, 2 and 3 threads.
 */
class SelectTopAbsKernelTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0305L);
    private final int threadsBefore = CpuBackend.threads();

    @AfterEach
    void restoreThreads() {
        CpuBackend.setThreads(threadsBefore);
    }

    private static int[] check(String what, float[] x, long k) {
        Tensor xt = Tensor.fromArray(x, x.length);
        Tensor mask = DropItKernels.selectTopAbs(xt, k, "layer");
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        boolean[] expected = RefDropIt.keepTopAbs(d, (int) k);
        int[] words = mask.toIntArray(); // one 0/1 per element
        assertEquals(k, DropItKernels.countKept(mask));
        // Released now rather than by the Cleaner later, which would disturb MemoryAccountingTest's live-byte checks.
        xt.storage().close();
        mask.storage().close();
        for (int i = 0; i < x.length; i++) {
            boolean kept = words[i] != 0;
            if (kept != expected[i])
                throw new AssertionError(what + " k=" + k + " n=" + x.length + ": element " + i + " (x = " + x[i] + ") expected "
                        + (expected[i] ? "kept" : "dropped"));
        }
        return words;
    }

    private float[] normal(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rng.nextGaussian());
        return x;
    }

    /** ReLU-like: a fraction zeros (both signs), the rest few distinct values, so ties cross every bucket. */
    private float[] reluTies(int n, double zeros) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = rng.nextDouble() < zeros ? (rng.nextBoolean() ? 0f : -0f) : (1 + rng.nextInt(40)) * 0.125f;
        return x;
    }

    @Test
    void largeInputsOnEveryRoute() {
        int n = (1 << 21) + 17;
        float[] x = normal(n);
        for (long k : new long[]{17, DropItKernels.keepCount(n, 0.9), n - 1})
            check("normal", x, k);
        float[] relu = reluTies(n, 0.6);
        int nonZero = 0;
        for (float v : relu) if (v != 0) nonZero++;
        // k inside the zeros (the bucket of zeros is huge: mass-ties route) and inside a value of the tail.
        for (long k : new long[]{nonZero + 12345, n - 3, nonZero / 2})
            check("relu ties", relu, k);
        float[] constant = new float[(1 << 18) + 5];
        java.util.Arrays.fill(constant, -2.5f);
        check("all equal", constant, 1000);
        // Mass ties in a bucket other than zero's: ±(1 + u·2⁻⁸) share their top 16 bits and differ (with ties) in the
        // low 15, which the second histogram then orders; zeros between them.
        float[] oneBucket = new float[(1 << 18) + 33];
        for (int i = 0; i < oneBucket.length; i++)
            oneBucket[i] = rng.nextDouble() < 0.3 ? 0f : (rng.nextBoolean() ? 1 : -1) * (1 + rng.nextInt(1 << 12) * 0x1p-20f);
        for (long k : new long[]{1, 50_000, 150_000})
            check("one bucket", oneBucket, k);
    }

    /**
     * NaN detection comes from the histogram's top bins, which a NaN shares with +∞: infinities alone are selected
     * like any value, one NaN (of either sign, whatever its payload) anywhere is reported, on both histogram widths
     * and with the input split over parts.
     */
    @Test
    void infinitiesAreValuesAndOneNanIsFoundOnEveryWidth() {
        CpuBackend.setThreads(2);
        for (int n : new int[]{5000, (1 << 18) + 7, (3 << 20) + 1}) {
            float[] x = normal(n);
            x[n / 2] = Float.POSITIVE_INFINITY;
            x[n - 1] = Float.NEGATIVE_INFINITY;
            check("infinities", x, 1);
            check("infinities", x, DropItKernels.keepCount(n, 0.9));
            for (int nanBits : new int[]{0x7F80_0001, 0xFFC0_0000, 0x7FFF_FFFF}) {
                float[] y = x.clone();
                y[n - 2] = Float.intBitsToFloat(nanBits);
                Tensor yt = Tensor.fromArray(y, n);
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> DropItKernels.selectTopAbs(yt, DropItKernels.keepCount(n, 0.9), "fc"));
                org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("1 NaN"), e.getMessage());
                yt.storage().close();
            }
        }
    }

    @Test
    void oddSizesAroundTheVectorWidth() {
        for (int n : new int[]{1, 15, 16, 17, 31, 32, 33, 63, 65, 1000, 1025, (1 << 18) - 1, 1 << 18, (1 << 18) + 33})
            for (long k : new long[]{0, 1, n / 3, n - 1, n}) {
                if (k < 0) continue;
                check("normal", normal(n), k);
                check("relu", reluTies(n, 0.5), k);
            }
    }

    private static int[] maskOf(float[] x, long k) {
        Tensor xt = Tensor.fromArray(x, x.length);
        Tensor mask = DropItKernels.selectTopAbs(xt, k, "l");
        int[] bits = mask.toIntArray();
        xt.storage().close();
        mask.storage().close();
        return bits;
    }

    @Test
    void sameMaskForEveryThreadCount() {
        int n = (3 << 20) + 100;
        float[] x = normal(n), relu = reluTies(n, 0.7);
        int[] ref = null, refTies = null;
        for (int t : new int[]{1, 2, 3}) {
            CpuBackend.setThreads(t);
            int[] m = maskOf(x, DropItKernels.keepCount(n, 0.9));
            int[] mt = maskOf(relu, n - 5);
            if (ref == null) {
                ref = m;
                refTies = mt;
            } else {
                assertArrayEquals(ref, m, "threads " + t);
                assertArrayEquals(refTies, mt, "threads " + t + " (ties)");
            }
        }
        check("normal, reference", x, DropItKernels.keepCount(n, 0.9));
    }
}
