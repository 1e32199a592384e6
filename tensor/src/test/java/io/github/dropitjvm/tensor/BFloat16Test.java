package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.RefBits;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bfloat16 round-to-nearest-even against the reference, which compares exact distances to the two neighbouring
 * bf16 values instead of adding a rounding bias. Exhaustive over every float whose upper half lies in chosen
 * ranges (each with all 65,536 lower halves), plus ties, overflow, subnormals and NaN.
 */
class BFloat16Test {

    private static void check(int bits) {
        float f = Float.intBitsToFloat(bits);
        short got = BFloat16.fromFloat(f);
        if (Float.isNaN(f)) {
            assertTrue(Float.isNaN(BFloat16.toFloat(got)), "NaN stays NaN: " + Integer.toHexString(bits));
            assertEquals(bits >>> 31, (got >>> 15) & 1, "NaN keeps its sign");
            return;
        }
        short expected = RefBits.bf16Bits(f);
        if (expected != got)
            throw new AssertionError("bf16 of " + f + " (0x" + Integer.toHexString(bits) + "): expected 0x" + Integer.toHexString(expected & 0xFFFF)
                    + ", got 0x" + Integer.toHexString(got & 0xFFFF));
    }

    @Test
    void exhaustiveOverSelectedUpperHalves() {
        // Upper halves: zero and subnormals, around 1, the largest finite values (overflow), infinity and NaNs,
        // and their negatives.
        int[] uppers = {0x0000, 0x0001, 0x007F, 0x0080, 0x3F7F, 0x3F80, 0x3F81, 0x4049, 0x7F7E, 0x7F7F, 0x7F80, 0x7F81, 0x7FC0, 0x7FFF};
        for (int u : uppers)
            for (int sign : new int[]{0, 0x8000})
                for (int low = 0; low < 0x10000; low++) check(((u | sign) << 16) | low);
    }

    @Test
    void randomFloats() {
        SplittableRandom rng = new SplittableRandom(0x5EED_0009L);
        for (int t = 0; t < 2_000_000; t++) check(rng.nextInt());
    }

    @Test
    void tiesRoundToEvenAndOverflowGoesToInfinity() {
        assertEquals((short) 0x3F80, BFloat16.fromFloat(Float.intBitsToFloat(0x3F80_8000)), "1 + half an ulp: tie to even (down)");
        assertEquals((short) 0x3F82, BFloat16.fromFloat(Float.intBitsToFloat(0x3F81_8000)), "tie to even (up)");
        assertEquals((short) 0x3F81, BFloat16.fromFloat(Float.intBitsToFloat(0x3F80_8001)), "just above the tie");
        assertEquals((short) 0x3F80, BFloat16.fromFloat(Float.intBitsToFloat(0x3F80_7FFF)), "just below the tie");
        assertEquals((short) 0x7F80, BFloat16.fromFloat(Float.MAX_VALUE), "MAX_VALUE rounds up to +inf");
        assertEquals((short) 0x7F7F, BFloat16.fromFloat(Float.intBitsToFloat(0x7F7F_7FFF)), "below the overflow tie");
        assertEquals((short) 0x7F80, BFloat16.fromFloat(Float.intBitsToFloat(0x7F7F_8000)), "the overflow tie goes to even = inf");
        assertEquals((short) 0xFF80, BFloat16.fromFloat(-Float.MAX_VALUE));
        assertEquals((short) 0x7F80, BFloat16.fromFloat(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x8000, BFloat16.fromFloat(-0f), "−0 keeps its sign");
        assertEquals((short) 0x0000, BFloat16.fromFloat(Float.MIN_VALUE), "the smallest subnormal rounds to 0");
        assertEquals((short) 0x0002, BFloat16.fromFloat(Float.intBitsToFloat(0x0001_8000)), "subnormal tie to even (up)");
        assertEquals((short) 0x0000, BFloat16.fromFloat(Float.intBitsToFloat(0x0000_8000)), "subnormal tie to even (down)");
        assertTrue(Float.isNaN(BFloat16.toFloat(BFloat16.fromFloat(Float.intBitsToFloat(0x7F80_0001)))), "a NaN with only low payload bits stays NaN");
        assertEquals(1.0f, BFloat16.toFloat((short) 0x3F80));
        assertEquals(-2.0f, BFloat16.toFloat((short) 0xC000));
    }

    @Test
    void tensorConversionUsesTheSameRounding() {
        SplittableRandom rng = new SplittableRandom(0x5EED_000AL);
        float[] f = new float[4099];
        for (int i = 0; i < f.length; i++) f[i] = Float.intBitsToFloat(rng.nextInt());
        Tensor bf = Tensor.fromArray(f, f.length).to(DType.BF16);
        short[] raw = new short[f.length];
        bf.backend().read(bf.storage(), bf.offset(), raw, 0, raw.length);
        for (int i = 0; i < f.length; i++) {
            if (Float.isNaN(f[i])) assertTrue(Float.isNaN(BFloat16.toFloat(raw[i])));
            else assertEquals(RefBits.bf16Bits(f[i]), raw[i], "element " + i + " = " + f[i]);
        }
        assertEquals(2L * f.length, bf.storage().bytes());
    }
}
