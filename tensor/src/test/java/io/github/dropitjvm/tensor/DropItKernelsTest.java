package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.RefBits;
import io.github.dropitjvm.tensor.ref.RefDropIt;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DropIT's primitives against the reference definitions: the kept set of exact min-k equals a stable sort's
 * (|x| descending, ties to the lower flat index); compaction, index lists and scatters round-trip; the bitmask
 * layout is bit i = bit (i mod 32) of word i/32, read straight from the storage words; the random strategy's
 * mask is Philox-4x32-10 keyed by the seed with counter (i, 0, layer, step).
 */
class DropItKernelsTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0007L);

    private static int[] words(Tensor mask) {
        // Raw storage words through the public host-transfer API, so the test runs on every backend.
        int[] w = new int[(int) ((mask.numel() + 31) / 32)];
        mask.backend().read(mask.storage(), 0, w, 0, w.length);
        return w;
    }

    /** The mask's bits, read from the raw words by the documented layout; bits past n must be clear. */
    private static boolean[] bits(Tensor mask) {
        int n = (int) mask.numel();
        int[] w = words(mask);
        assertEquals((n + 31) / 32, w.length, "one 32-bit word per 32 elements");
        if (n % 32 != 0) assertEquals(0, w[w.length - 1] >>> (n % 32), "padding bits of the last word stay clear");
        return RefDropIt.fromWords(w, n);
    }

    @Test
    void keepCountRoundsHalfUpInDouble() {
        assertEquals(8, DropItKernels.keepCount(10, 0.25));
        assertEquals(13, DropItKernels.keepCount(20, 0.35), "(0.65·20 + 0.5) = 13.5 floors to 13");
        assertEquals(10, DropItKernels.keepCount(10, 0));
        assertEquals(0, DropItKernels.keepCount(10, 1));
        assertEquals(1, DropItKernels.keepCount(1, 0.5), "0.5·1 + 0.5 = 1");
        assertEquals(0, DropItKernels.keepCount(1, 0.51));
        assertEquals(0, DropItKernels.keepCount(0, 0.3));
        assertEquals(4, DropItKernels.keepCount(7, 0.5), "3.5 + 0.5 = 4: halves round up");
        for (long n : new long[]{1, 2, 3, 7, 10, 33, 1000, 1031, 50_000, 123_456_789L})
            for (double g : new double[]{0, 0.1, 0.25, 1.0 / 3, 0.35, 0.5, 0.7, 0.9, 0.95, 1})
                assertEquals((long) Math.floor((1.0 - g) * n + 0.5), DropItKernels.keepCount(n, g), "n " + n + " gamma " + g);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DropItKernels.keepCount(10, 1.5));
        assertTrue(e.getMessage().contains("gamma"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DropItKernels.keepCount(10, -0.1));
        assertThrows(IllegalArgumentException.class, () -> DropItKernels.keepCount(10, Double.NaN));
    }

    /** Inputs that stress the selection: random, half zeros, ±0, few distinct values, huge ranges. */
    private List<Twin> selectionInputs(int... shape) {
        int n = RefTensor.numel(shape);
        List<Twin> out = new ArrayList<>();
        out.add(Twin.random(rng, Twin.Values.UNIFORM, shape).named("uniform"));
        out.add(Twin.random(rng, Twin.Values.WIDE, shape).named("wide"));
        float[] half = Twin.draw(rng, Twin.Values.UNIFORM, n);
        for (int i = 0; i < n; i++) if (rng.nextBoolean()) half[i] = 0;
        out.add(Twin.of("50% zeros (after ReLU)", half, shape));
        float[] zeros = new float[n];
        for (int i = 0; i < n; i++) zeros[i] = rng.nextInt(4) == 0 ? 1 : rng.nextBoolean() ? 0f : -0f;
        out.add(Twin.of("±0 and ones", zeros, shape));
        out.add(Twin.random(rng, Twin.Values.ints(-3, 4), shape).named("repeated values"));
        float[] ties = Twin.draw(rng, Twin.Values.ints(-2, 3), n);
        for (int i = 0; i < n; i++) ties[i] *= 0.5f; // ±0.5, ±1: sign differs, |x| ties
        out.add(Twin.of("signed ties", ties, shape));
        float[] sp = Twin.draw(rng, Twin.Values.SPECIAL, n);
        for (int i = 0; i < n; i++) if (Float.isNaN(sp[i])) sp[i] = Float.MIN_VALUE;
        out.add(Twin.of("inf, subnormal, huge", sp, shape));
        float[] close = new float[n];
        for (int i = 0; i < n; i++) close[i] = Math.nextUp(1f) * (1 + rng.nextInt(3) * 0x1p-23f) * (rng.nextBoolean() ? 1 : -1);
        out.add(Twin.of("neighbouring floats", close, shape));
        return out;
    }

    private static void checkSelection(Twin x, long k) {
        Tensor mask = DropItKernels.selectTopAbs(x.t(), k, "layer");
        assertEquals(DType.BIT, mask.dtype());
        assertEquals(x.t().numel(), mask.numel());
        boolean[] expected = RefDropIt.keepTopAbs(x.r().data, (int) k);
        boolean[] actual = bits(mask);
        for (int i = 0; i < expected.length; i++)
            if (expected[i] != actual[i])
                throw new AssertionError("selectTopAbs k=" + k + " of " + x.name() + Shape.str(x.t().shape()) + ": element " + i
                        + " (x = " + x.r().data[i] + ") expected " + (expected[i] ? "kept" : "dropped"));
        assertEquals(k, DropItKernels.countKept(mask));
    }

    @Test
    void selectTopAbsKeepsExactlyTheStableSortSet() {
        for (int[] shape : new int[][]{{1}, {7}, {33}, {1031}, {7, 33}, {4, 5, 6}})
            for (Twin x : selectionInputs(shape)) {
                long n = x.t().numel();
                for (long k : new long[]{0, 1, n / 3, n / 2, n - 1, n, DropItKernels.keepCount(n, 0.35), DropItKernels.keepCount(n, 0.9)})
                    if (k >= 0 && k <= n) checkSelection(x, k);
            }
    }

    @Test
    void selectTopAbsOnNonContiguousInputUsesRowMajorLogicalOrder() {
        for (Twin x : Twin.layouts(rng, Twin.Values.ints(-5, 6), 9, 37))
            for (long k : new long[]{0, 1, 100, 166, 333}) checkSelection(x, k);
        Twin big = Twin.random(rng, Twin.Values.ints(-50, 51), 300, 700).transpose(0, 1);
        checkSelection(big, DropItKernels.keepCount(big.t().numel(), 0.9));
    }

    @Test
    void selectTopAbsOfAMillionElements() {
        Twin x = Twin.random(rng, Twin.Values.WIDE, 1 << 20);
        checkSelection(x, DropItKernels.keepCount(x.t().numel(), 0.9));
    }

    @Test
    void selectTopAbsRefusesNanNamingTheLayerAndBadK() {
        float[] v = Twin.draw(rng, Twin.Values.UNIFORM, 40);
        v[17] = Float.NaN;
        Tensor x = Tensor.fromArray(v, 5, 8);
        for (long k : new long[]{0, 10, 40}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DropItKernels.selectTopAbs(x, k, "blocks.3.mlp.fc1"));
            assertTrue(e.getMessage().contains("blocks.3.mlp.fc1") && e.getMessage().contains("NaN") && e.getMessage().contains("[5, 8]"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DropItKernels.selectTopAbs(Tensor.zeros(4), 5, "conv1"));
        assertTrue(e.getMessage().contains("conv1") && e.getMessage().contains("k = 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DropItKernels.selectTopAbs(Tensor.zeros(4), -1, "conv1"));
        // A negative NaN (sign bit set) is a NaN too.
        float[] w = new float[10];
        w[3] = Float.intBitsToFloat(0xFFC0_0001);
        assertThrows(IllegalArgumentException.class, () -> DropItKernels.selectTopAbs(Tensor.fromArray(w, 10), 5, "fc"));
    }

    @Test
    void bitmaskLayoutIsBitIModThirtyTwoOfWordIOverThirtyTwo() {
        // Keep exactly the elements with the largest |x|: positions 0, 31, 32, 33, 64, 69 of 70.
        float[] v = new float[70];
        int[] kept = {0, 31, 32, 33, 64, 69};
        for (int p : kept) v[p] = 10 + p;
        Tensor mask = DropItKernels.selectTopAbs(Tensor.fromArray(v, 70), kept.length, "layer");
        int[] w = words(mask);
        assertEquals(3, w.length);
        assertEquals(0x8000_0001, w[0], "bits 0 and 31 of word 0");
        assertEquals(0x0000_0003, w[1], "elements 32, 33 are bits 0, 1 of word 1");
        assertEquals(0x0000_0021, w[2], "elements 64, 69 are bits 0, 5 of word 2");
        assertEquals(DType.BIT.bytesFor(70), mask.storage().bytes());
        assertEquals(12, mask.storage().bytes());
    }

    @Test
    void compactMaskToIndexAndScattersRoundTrip() {
        for (int[] shape : new int[][]{{1}, {7}, {33}, {64}, {1031}, {7, 33}})
            for (Twin x : Twin.layouts(rng, Twin.Values.WIDE, shape)) {
                long n = x.t().numel();
                for (long k : new long[]{0, 1, DropItKernels.keepCount(n, 0.5), n}) {
                    String what = x.name() + " k " + k;
                    Tensor mask = DropItKernels.selectTopAbs(x.t(), k, "layer");
                    boolean[] keep = RefDropIt.keepTopAbs(x.r().data, (int) k);
                    double[] values = RefDropIt.compact(x.r().data, keep);

                    Tensor f32 = DropItKernels.compact(x.t(), mask, DType.FLOAT32);
                    assertEquals(DType.FLOAT32, f32.dtype());
                    Compare.exact("compact fp32 " + what, new RefTensor(new int[]{values.length}, values), f32);
                    Tensor bf = DropItKernels.compact(x.t(), mask, DType.BF16);
                    assertEquals(DType.BF16, bf.dtype());
                    short[] raw = new short[(int) bf.numel()];
                    bf.backend().read(bf.storage(), bf.offset(), raw, 0, raw.length);
                    for (int j = 0; j < values.length; j++)
                        assertEquals(RefBits.bf16Bits((float) values[j]), raw[j], "compact bf16 " + what + " value " + j);

                    Tensor index = DropItKernels.maskToIndex(mask);
                    assertEquals(DType.INT32, index.dtype());
                    assertArrayEquals(RefDropIt.positions(keep), index.toIntArray(), "maskToIndex " + what);

                    RefTensor dense = new RefTensor(x.r().shape, RefDropIt.scatter(values, keep));
                    Compare.exact("scatterMasked " + what, dense, DropItKernels.scatterMasked(f32, mask, x.t().shape()));
                    Compare.exact("scatterIndexed " + what, dense, DropItKernels.scatterIndexed(f32, index, x.t().shape()));
                    double[] bfValues = new double[values.length];
                    for (int j = 0; j < values.length; j++) bfValues[j] = RefBits.bf16ToFloat(RefBits.bf16Bits((float) values[j]));
                    RefTensor bfDense = new RefTensor(x.r().shape, RefDropIt.scatter(bfValues, keep));
                    Compare.exact("scatterMasked bf16 " + what, bfDense, DropItKernels.scatterMasked(bf, mask, x.t().shape()));
                    Compare.exact("scatterIndexed bf16 " + what, bfDense, DropItKernels.scatterIndexed(bf, index, x.t().shape()));
                }
            }
    }

    /**
     * The vectorised, part-parallel compaction, index list and scatters on arbitrary (Philox) masks of every density,
     * at sizes around word and vector boundaries and past the size where the CPU splits the work into parts.
     */
    @Test
    void compactMaskToIndexAndScattersOnAnyMaskAndSize() {
        for (int n : new int[]{1, 15, 16, 17, 31, 32, 33, 100, 4097, 2_100_017}) {
            float[] v = Twin.draw(rng, Twin.Values.WIDE, n);
            Tensor x = Tensor.fromArray(v, n);
            for (double gamma : new double[]{0, 0.5, 0.9, 0.999, 1}) {
                String what = "n " + n + " γ " + gamma;
                Tensor mask = DropItKernels.randomKeepMask(x.backend(), n, 17, 2, 3, gamma);
                boolean[] keep = bits(mask);
                int k = RefDropIt.count(keep);
                float[] f32 = DropItKernels.compact(x, mask, DType.FLOAT32).toFloatArray();
                assertEquals(k, f32.length, what);
                Tensor bf = DropItKernels.compact(x, mask, DType.BF16);
                short[] raw = new short[(int) bf.numel()];
                bf.backend().read(bf.storage(), bf.offset(), raw, 0, raw.length);
                int[] index = DropItKernels.maskToIndex(mask).toIntArray();
                assertArrayEquals(RefDropIt.positions(keep), index, "maskToIndex " + what);
                float[] dense = DropItKernels.scatterMasked(Tensor.fromArray(f32, k), mask, n).toFloatArray();
                float[] denseBf = DropItKernels.scatterMasked(bf, mask, n).toFloatArray();
                for (int i = 0, j = 0; i < n; i++) {
                    if (keep[i]) {
                        if (Float.floatToRawIntBits(v[i]) != Float.floatToRawIntBits(f32[j]))
                            throw new AssertionError("compact fp32 " + what + " value " + j + " (element " + i + ")");
                        if (RefBits.bf16Bits(v[i]) != raw[j]) throw new AssertionError("compact bf16 " + what + " value " + j);
                        j++;
                    }
                    float expected = keep[i] ? v[i] : 0f, expectedBf = keep[i] ? (float) RefBits.bf16ToFloat(RefBits.bf16Bits(v[i])) : 0f;
                    if (Float.floatToRawIntBits(dense[i]) != Float.floatToRawIntBits(expected))
                        throw new AssertionError("scatterMasked " + what + " element " + i + ": " + dense[i] + " vs " + expected);
                    if (Float.floatToRawIntBits(denseBf[i]) != Float.floatToRawIntBits(expectedBf))
                        throw new AssertionError("scatterMasked bf16 " + what + " element " + i + ": " + denseBf[i] + " vs " + expectedBf);
                }
            }
        }
    }

    /** packTopAbs = selectTopAbs's mask and the kept values, compacted, as fp32 or bf16. */
    @Test
    void packTopAbsHoldsTheExactSetAndItsValues() {
        for (int[] shape : new int[][]{{33}, {1031}, {7, 33}})
            for (Twin x : selectionInputs(shape)) {
                long n = x.t().numel();
                for (long k : new long[]{0, 1, DropItKernels.keepCount(n, 0.5), DropItKernels.keepCount(n, 0.9), n}) {
                    boolean[] keep = RefDropIt.keepTopAbs(x.r().data, (int) k);
                    double[] values = RefDropIt.compact(x.r().data, keep);
                    DropItKernels.Pack p = DropItKernels.packTopAbs(x.t(), k, DType.FLOAT32, "fc");
                    assertArrayEquals(keep, bits(p.mask()), x.name() + " k " + k);
                    assertEquals(k, p.kept());
                    Compare.exact("packTopAbs " + x.name() + " k " + k, new RefTensor(new int[]{values.length}, values), p.values());
                    DropItKernels.Pack b = DropItKernels.packTopAbs(x.t(), k, DType.BF16, "fc");
                    assertEquals(DType.BF16, b.values().dtype());
                    assertEquals(DType.BF16.bytesFor(k), b.values().storage().bytes());
                }
            }
    }

    @Test
    void scatterIndexedRefusesPositionsOutsideTheOutput() {
        Tensor values = Tensor.ones(2);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> DropItKernels.scatterIndexed(values, Tensor.fromArray(new int[]{1, 12}, 2), 3, 4));
        assertTrue(e.getMessage().contains("DropIT scatter") && e.getMessage().contains("12"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> DropItKernels.scatterIndexed(values, Tensor.fromArray(new int[]{-1, 0}, 2), 3, 4));
        IllegalArgumentException ia = assertThrows(IllegalArgumentException.class,
                () -> DropItKernels.scatterMasked(Tensor.ones(3), DropItKernels.selectTopAbs(Tensor.ones(8), 2, "l"), 8));
        assertTrue(ia.getMessage().contains("DropIT scatter") && ia.getMessage().contains("3 values") && ia.getMessage().contains("2 kept"), ia.getMessage());
        ia = assertThrows(IllegalArgumentException.class,
                () -> DropItKernels.compact(Tensor.ones(9), DropItKernels.selectTopAbs(Tensor.ones(8), 2, "l"), DType.FLOAT32));
        assertTrue(ia.getMessage().contains("DropIT compact") && ia.getMessage().contains("[9]") && ia.getMessage().contains("8 bits"), ia.getMessage());
        ia = assertThrows(IllegalArgumentException.class,
                () -> DropItKernels.compact(Tensor.ones(8), DropItKernels.selectTopAbs(Tensor.ones(8), 2, "l"), DType.INT32));
        assertTrue(ia.getMessage().contains("DropIT compact") && ia.getMessage().contains("INT32"), ia.getMessage());
    }

    @Test
    void randomKeepMaskIsPhiloxDeterministicAndKeepsAboutOneMinusGamma() {
        long seed = 0xDEAD_BEEF_1234L;
        int n = 100_003;
        // γ equal to one element's uniform: that element sits exactly on the boundary and must be kept (u >= γ).
        int[] key0 = {(int) seed, (int) (seed >>> 32)};
        double boundary = RefBits.uniform(RefBits.philox4x32x10(new int[]{5, 0, 7, 11}, key0)[0]);
        assertTrue(bits(DropItKernels.randomKeepMask(Backends.defaultBackend(), 6, seed, 7, 11, boundary))[5], "u = γ is kept");
        for (double gamma : new double[]{0, 0.3, 0.9, 1, boundary}) {
            Tensor m = DropItKernels.randomKeepMask(Backends.defaultBackend(), n, seed, 7, 11, gamma);
            boolean[] bits = bits(m);
            int[] key = {(int) seed, (int) (seed >>> 32)};
            int kept = 0;
            for (int i = 0; i < n; i++) {
                boolean expected = RefBits.uniform(RefBits.philox4x32x10(new int[]{i, 0, 7, 11}, key)[0]) >= gamma;
                if (expected != bits[i]) throw new AssertionError("random mask gamma " + gamma + " element " + i);
                if (expected) kept++;
            }
            assertEquals(kept, DropItKernels.countKept(m));
            // Binomial(n, 1−γ): standard deviation at most 158 here; 6σ ≈ 950 elements, ≈ 0.0095 of n.
            assertEquals(1 - gamma, kept / (double) n, 0.0095, "kept fraction for gamma " + gamma);
        }
        Tensor a = DropItKernels.randomKeepMask(Backends.defaultBackend(), 4096, seed, 3, 5, 0.5);
        assertArrayEquals(words(a), words(DropItKernels.randomKeepMask(Backends.defaultBackend(), 4096, seed, 3, 5, 0.5)), "same (seed, layer, step): same mask");
        assertFalse(java.util.Arrays.equals(words(a), words(DropItKernels.randomKeepMask(Backends.defaultBackend(), 4096, seed, 4, 5, 0.5))), "other layer");
        assertFalse(java.util.Arrays.equals(words(a), words(DropItKernels.randomKeepMask(Backends.defaultBackend(), 4096, seed, 3, 6, 0.5))), "other step");
        assertFalse(java.util.Arrays.equals(words(a), words(DropItKernels.randomKeepMask(Backends.defaultBackend(), 4096, seed + 1, 3, 5, 0.5))), "other seed");
        // A shorter mask is a prefix of a longer one: element i depends on i only.
        boolean[] shortBits = bits(DropItKernels.randomKeepMask(Backends.defaultBackend(), 77, seed, 3, 5, 0.5));
        boolean[] longBits = bits(a);
        for (int i = 0; i < 77; i++) assertEquals(longBits[i], shortBits[i]);
        assertThrows(IllegalArgumentException.class, () -> DropItKernels.randomKeepMask(Backends.defaultBackend(), 10, seed, 0, 0, 1.01));
    }
}
