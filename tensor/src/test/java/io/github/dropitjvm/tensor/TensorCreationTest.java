package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.RefBits;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** zeros / ones / full / arange / fromArray / rand / randn and the seeded {@link Generator}. */
class TensorCreationTest {

    @Test
    void zerosOnesFullOfEveryRankAndDtype() {
        for (int[] shape : TensorViewsTest.SHAPES) {
            int n = (int) Shape.numel(shape);
            Tensor z = Tensor.zeros(shape), o = Tensor.ones(shape), f = Tensor.full(-2.25, shape);
            assertArrayEquals(shape, z.shape());
            assertTrue(z.isContiguous());
            assertEquals(0, z.offset());
            assertArrayEquals(new float[n], z.toFloatArray());
            float[] ones = new float[n], fs = new float[n];
            java.util.Arrays.fill(ones, 1f);
            java.util.Arrays.fill(fs, -2.25f);
            assertArrayEquals(ones, o.toFloatArray());
            assertArrayEquals(fs, f.toFloatArray());
        }
        assertEquals(3.5f, Tensor.scalar(3.5).item());
        assertEquals(0, Tensor.scalar(3.5).rank());
        for (DType d : DType.values()) {
            Tensor t = Tensor.full(Backends.defaultBackend(), d, 1, 37);
            assertEquals(d, t.dtype());
            float[] expected = new float[37];
            java.util.Arrays.fill(expected, 1f);
            assertArrayEquals(expected, t.toFloatArray(), d.toString());
            assertArrayEquals(new float[37], Tensor.zeros(Backends.defaultBackend(), d, 37).toFloatArray(), d.toString());
        }
        assertArrayEquals(new float[]{16777216f, 16777216f}, Tensor.full(16777217, 2).toFloatArray(), "rounded to float");
        assertArrayEquals(new int[]{-7, -7}, Tensor.full(Backends.defaultBackend(), DType.INT32, -7, 2).toIntArray());
        assertArrayEquals(new long[]{1L << 40}, Tensor.full(Backends.defaultBackend(), DType.INT64, 0x1p40, 1).toLongArray());
        assertTrue(Float.isNaN(Tensor.full(Double.NaN, 1).item()));
        assertEquals(Float.NEGATIVE_INFINITY, Tensor.full(Double.NEGATIVE_INFINITY, 1).item());
        assertEquals(0, Tensor.zeros(0).numel());
        assertEquals(0, Tensor.zeros(3, 0, 2).toFloatArray().length);
    }

    @Test
    void fullKeepsTheSignOfNegativeZero() {
        float v = Tensor.full(-0.0, 3).toFloatArray()[2];
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(v), "full(-0.0) must hold −0, not +0");
        // x·(−0) is −0 for positive x: the scalar operand must keep its sign too.
        float p = Tensor.full(2, 1).mul(-0.0).item();
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(p));
    }

    @Test
    void arangeCountsLikeNumpy() {
        assertArrayEquals(new float[]{0, 1, 2, 3, 4, 5, 6}, Tensor.arange(0, 7, 1).toFloatArray());
        assertArrayEquals(new float[]{5, 4, 3, 2, 1}, Tensor.arange(5, 0, -1).toFloatArray());
        assertArrayEquals(new float[]{-1, 1, 3}, Tensor.arange(-1, 4, 2).toFloatArray());
        assertArrayEquals(new float[]{-1, 1, 3, 5}, Tensor.arange(-1, 5.5, 2).toFloatArray());
        assertEquals(0, Tensor.arange(3, 3, 1).numel());
        assertEquals(0, Tensor.arange(3, 0, 1).numel(), "wrong direction: empty, not negative");
        Tensor tenths = Tensor.arange(0, 1, 0.1);
        assertEquals(10, tenths.numel());
        for (int i = 0; i < 10; i++) assertEquals((float) (i * 0.1), tenths.toFloatArray()[i]);
        Tensor big = Tensor.arange(0, 1031, 1);
        float[] b = big.toFloatArray();
        for (int i = 0; i < b.length; i++) assertEquals(i, b[i]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 1, 0));
        assertTrue(e.getMessage().contains("arange") && e.getMessage().contains("step"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 1, Double.NaN));
    }

    @Test
    void fromArrayCopiesAndChecksTheLength() {
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.fromArray(data, 2, 3);
        data[0] = 99;
        assertEquals(1f, t.get(0, 0), "fromArray copies");
        assertEquals(6f, t.get(1, 2));
        assertEquals(DType.INT32, Tensor.fromArray(new int[]{1, 2}, 2).dtype());
        assertEquals(DType.INT64, Tensor.fromArray(new long[]{1, 2}, 2).dtype());
        assertEquals(7f, Tensor.fromArray(new float[]{7}).item(), "one value, rank 0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("fromArray") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new float[0], -1, 0));
        assertTrue(e.getMessage().contains("fromArray") && e.getMessage().contains("negative"), e.getMessage());
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> Tensor.zeros(2).item());
        assertTrue(s.getMessage().contains("item") && s.getMessage().contains("[2]"), s.getMessage());
    }

    @Test
    void randIsPhiloxUniformInZeroOneAndReproducible() {
        long seed = 0x0123_4567_89AB_CDEFL;
        Generator g = new Generator(seed);
        Tensor a = Tensor.rand(g, 3, 333);
        Tensor b = Tensor.rand(g, 3, 333);
        float[] av = a.toFloatArray(), bv = b.toFloatArray();
        // Element i of draw s is the top 24 bits of the first Philox word for counter (i, 0, s) under the seed.
        for (int s = 0; s < 2; s++) {
            float[] v = s == 0 ? av : bv;
            for (int i = 0; i < v.length; i++) {
                int w = RefBits.philox4x32x10(new int[]{i, 0, s, 0}, new int[]{(int) seed, (int) (seed >>> 32)})[0];
                assertEquals((float) RefBits.uniform(w), v[i], "draw " + s + " element " + i);
                assertTrue(v[i] >= 0 && v[i] < 1);
            }
        }
        assertArrayEquals(av, Tensor.rand(new Generator(seed), 3, 333).toFloatArray(), "same seed, same values");
        assertFalse(java.util.Arrays.equals(av, bv), "consecutive draws differ");
        assertFalse(java.util.Arrays.equals(av, Tensor.rand(new Generator(seed + 1), 3, 333).toFloatArray()), "other seed, other values");
    }

    @Test
    void randStatisticsOverAHundredThousandSamples() {
        float[] u = Tensor.rand(new Generator(11), 100_000).toFloatArray();
        double sum = 0, min = 1, max = 0;
        int[] bins = new int[10];
        for (float v : u) {
            assertTrue(v >= 0 && v < 1, "in [0, 1): " + v);
            sum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
            bins[(int) (v * 10)]++;
        }
        // mean 0.5 with standard error 0.29/√1e5 ≈ 0.0009: allow ~5.5 σ.
        assertEquals(0.5, sum / u.length, 0.005);
        assertTrue(min < 1e-3 && max > 1 - 1e-3);
        // χ² over 10 bins, 9 degrees of freedom: 40 is far beyond the 1e-5 tail.
        double chi2 = 0;
        for (int c : bins) chi2 += (c - 10_000.0) * (c - 10_000.0) / 10_000.0;
        assertTrue(chi2 < 40, "uniform bins χ² = " + chi2);
    }

    @Test
    void randnHasMeanZeroVarianceOneAndMatchesBoxMullerOnPhilox() {
        long seed = 2024;
        Generator g = new Generator(seed);
        float[] z = Tensor.randn(g, 100_000).toFloatArray();
        double sum = 0, sq = 0, quart = 0;
        int within1 = 0;
        for (float v : z) {
            assertTrue(Float.isFinite(v));
            sum += v;
            sq += (double) v * v;
            quart += (double) v * v * v * v;
            if (Math.abs(v) < 1) within1++;
        }
        double mean = sum / z.length, var = sq / z.length - mean * mean;
        assertEquals(0, mean, 0.02, "mean");          // standard error 0.0032
        assertEquals(1, var, 0.03, "variance");       // standard error ≈ 0.0045
        assertEquals(3, quart / z.length, 0.15, "fourth moment of a normal is 3");
        assertEquals(0.6827, within1 / (double) z.length, 0.01, "P(|z| < 1)");
        // The documented construction, element by element (Box–Muller on the first two Philox words).
        int[] key = {(int) seed, (int) (seed >>> 32)};
        for (int i = 0; i < 2000; i++) {
            int[] w = RefBits.philox4x32x10(new int[]{i, 0, 0, 0}, key);
            double u1 = ((w[0] >>> 8) + 1) / 16777216.0, u2 = (w[1] >>> 8) / 16777216.0;
            double expected = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
            assertEquals(expected, z[i], 2 * Math.ulp((float) expected), "element " + i);
        }
        assertArrayEquals(z, Tensor.randn(new Generator(seed), 100_000).toFloatArray(), "same seed, same values");
    }

    @Test
    void generatorsSplitAndForkIntoDifferentReproducibleStreams() {
        Generator g = new Generator(7);
        Generator c1 = g.split(), c2 = g.split();
        assertNotEquals(c1.seed(), c2.seed());
        assertNotEquals(g.seed(), c1.seed());
        float[] r1 = Tensor.rand(c1, 64).toFloatArray(), r2 = Tensor.rand(c2, 64).toFloatArray();
        assertFalse(java.util.Arrays.equals(r1, r2), "split generators differ");
        Generator h = new Generator(7);
        assertEquals(c1.seed(), h.split().seed(), "split is deterministic given the history");
        assertEquals(c2.seed(), h.split().seed());
        Generator f = new Generator(7);
        long next = f.nextStream();
        assertEquals(new Generator(7).fork(3).seed(), f.fork(3).seed(), "fork does not depend on the history");
        assertEquals(next + 1, f.nextStream(), "fork does not advance");
        assertNotEquals(f.fork(3).seed(), f.fork(4).seed());
        assertFalse(java.util.Arrays.equals(Tensor.rand(f.fork(3), 64).toFloatArray(), Tensor.rand(f.fork(4), 64).toFloatArray()));
    }
}
