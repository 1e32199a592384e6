package io.github.dropitjvm.tensor.ref;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reference checked on its own, against hand-worked examples and published constants. */
class RefSelfTest {

    @Test
    void erfAndErfcMatchPublishedValues() {
        // High-precision table values; the quadrature is good to ~1e-14 relative, 10⁶ times finer than float32.
        assertEquals(0.5204998778130465, RefSpecial.erf(0.5), 1e-14);
        assertEquals(0.8427007929497149, RefSpecial.erf(1), 1e-14);
        assertEquals(0.9953222650189527, RefSpecial.erf(2), 1e-14);
        assertEquals(-0.9999779095030014, RefSpecial.erf(-3), 1e-14);
        assertEquals(2.209049699858544e-05, RefSpecial.erfc(3), 1e-14 * 2.209049699858544e-05);
        assertEquals(1.5374597944280349e-12, RefSpecial.erfc(5), 1e-12 * 1.5374597944280349e-12);
        assertEquals(2.088487583762545e-45, RefSpecial.erfc(10), 1e-10 * 2.088487583762545e-45);
        assertEquals(0.0, RefSpecial.erfc(Double.POSITIVE_INFINITY));
        assertEquals(2.0, RefSpecial.erfc(Double.NEGATIVE_INFINITY));
        assertEquals(1e-30 * 1.1283791670955126, RefSpecial.erf(1e-30), 1e-45);
        assertEquals(0.0, RefSpecial.erf(0));
        assertEquals(1.0, RefSpecial.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, RefSpecial.erf(Double.NEGATIVE_INFINITY));
        // Both routes agree where they meet.
        assertEquals(RefSpecial.erf(1.0), 1 - RefSpecial.erfc(1.0), 1e-14);
        assertEquals(0.5, RefSpecial.normalCdf(0), 1e-15);
        assertEquals(0.15865525393145707, RefSpecial.normalCdf(-1), 1e-15);
        assertEquals(6.22096057427178e-16, RefSpecial.normalCdf(-8), 1e-10 * 6.22096057427178e-16);
    }

    @Test
    void bf16ReferenceOnHandWorkedCases() {
        assertEquals((short) 0x3F80, RefBits.bf16Bits(1f));
        assertEquals((short) 0x3F80, RefBits.bf16Bits(Float.intBitsToFloat(0x3F80_8000)), "tie to even down");
        assertEquals((short) 0x3F82, RefBits.bf16Bits(Float.intBitsToFloat(0x3F81_8000)), "tie to even up");
        assertEquals((short) 0x7F80, RefBits.bf16Bits(Float.MAX_VALUE), "overflow");
        assertEquals((short) 0xC049, RefBits.bf16Bits((float) -Math.PI), "−π = −3.140625 in bf16");
        assertEquals(-3.140625f, RefBits.bf16ToFloat(RefBits.bf16Bits((float) -Math.PI)));
    }

    @Test
    void viewsAndReductionsOnHandWorkedExamples() {
        RefTensor x = new RefTensor(new int[]{2, 3}, new double[]{1, 2, 3, 4, 5, 6});
        assertArrayEquals(new double[]{1, 4, 2, 5, 3, 6}, Ref.transpose(x, 0, 1).data);
        assertArrayEquals(new double[]{2, 5}, Ref.slice(x, 1, 1, 3, 2).data);
        assertArrayEquals(new double[]{3, 6}, Ref.slice(x, 1, -1, 3, 1).data);
        assertArrayEquals(new double[]{4, 5, 6}, Ref.select(x, 0, 1).data);
        assertArrayEquals(new double[]{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, Ref.expand(x, 2, 2, 3).data);
        assertArrayEquals(new double[]{5, 7, 9}, Ref.reduce(x, new int[]{0}, false, Ref.SUM).data);
        assertArrayEquals(new int[]{2, 1}, Ref.reduce(x, new int[]{1}, true, Ref.SUM).shape);
        assertArrayEquals(new double[]{2, 2}, Ref.reduce(x, new int[]{1}, false, Ref.ARGMAX).data);
        assertArrayEquals(new double[]{1, 1}, Ref.reduce(x, new int[]{1}, false, Ref.var(1)).data);
        assertArrayEquals(new int[]{4, 2, 3}, Ref.broadcastShape(new int[]{4, 1, 3}, new int[]{2, 1}));
        assertThrows(IllegalArgumentException.class, () -> Ref.broadcastShape(new int[]{2, 3}, new int[]{4}));
        RefTensor m = Ref.matmul(x, Ref.transpose(x, 0, 1));
        assertArrayEquals(new double[]{14, 32, 32, 77}, m.data);
        assertArrayEquals(new double[]{14}, Ref.matmul(new RefTensor(new int[]{3}, new double[]{1, 2, 3}), new RefTensor(new int[]{3}, new double[]{1, 2, 3})).data);
        RefTensor p = Ref.softmax(new RefTensor(new int[]{2}, new double[]{0, Math.log(3)}), 0, false);
        assertEquals(0.25, p.data[0], 1e-15);
        assertEquals(0.75, p.data[1], 1e-15);
    }

    @Test
    void im2colOfATinyImage() {
        // 1×1×2×2 image, 2×2 kernel, padding 1, stride 1: 3×3 outputs; the kernel's top-left tap sees x[oy−1][ox−1].
        RefTensor x = new RefTensor(new int[]{1, 1, 2, 2}, new double[]{1, 2, 3, 4});
        RefTensor cols = Ref.im2col(x, new Ref.Window(2, 2, 1, 1, 1, 1));
        assertArrayEquals(new int[]{1, 4, 9}, cols.shape);
        assertArrayEquals(new double[]{0, 0, 0, 0, 1, 2, 0, 3, 4}, java.util.Arrays.copyOfRange(cols.data, 0, 9));
        assertArrayEquals(new double[]{1, 2, 0, 3, 4, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(cols.data, 27, 36));
        RefTensor back = Ref.col2im(Ref.map(cols, v -> 1), 1, 2, 2, new Ref.Window(2, 2, 1, 1, 1, 1));
        assertArrayEquals(new double[]{4, 4, 4, 4}, back.data, "each pixel is read by all four taps");
        Ref.Pool pool = Ref.maxPool2d(x, new Ref.Window(2, 2, 2, 2, 0, 0));
        assertArrayEquals(new double[]{4}, pool.out().data);
        assertArrayEquals(new int[]{3}, pool.indices());
    }

    @Test
    void topAbsSelectionBreaksTiesTowardsTheLowerIndex() {
        double[] x = {1, -3, 3, 0, -0.0, 2, -3};
        assertArrayEquals(new boolean[]{false, true, true, false, false, false, false}, RefDropIt.keepTopAbs(x, 2));
        assertArrayEquals(new boolean[]{false, true, true, false, false, false, true}, RefDropIt.keepTopAbs(x, 3));
        assertArrayEquals(new boolean[]{true, true, true, true, false, true, true}, RefDropIt.keepTopAbs(x, 6), "+0 before −0 by index");
        boolean[] keep = RefDropIt.keepTopAbs(x, 3);
        assertArrayEquals(new double[]{-3, 3, -3}, RefDropIt.compact(x, keep));
        assertArrayEquals(new int[]{1, 2, 6}, RefDropIt.positions(keep));
        assertArrayEquals(new double[]{0, -3, 3, 0, 0, 0, -3}, RefDropIt.scatter(RefDropIt.compact(x, keep), keep));
        assertTrue(RefDropIt.fromWords(new int[]{0x8000_0001, 1}, 33)[32]);
    }
}
