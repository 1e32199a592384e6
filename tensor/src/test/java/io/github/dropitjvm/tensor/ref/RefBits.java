package io.github.dropitjvm.tensor.ref;

/**
 * Bit-level references: bfloat16 rounding by comparing exact distances to the two neighbouring bf16 values,
 * and Philox-4x32-10 written from the paper with unsigned longs (key bumped before rounds 2..10, as Random123
 * does). Neither shares code with the main implementations, which round by adding a bias and compute with ints.
 */
public final class RefBits {
    private RefBits() {}

    private static final long MASK = 0xFFFF_FFFFL;

    /**
     * The bf16 bit pattern nearest to f, ties to an even last bit; beyond the largest finite bf16 the next
     * "value" up is 2^128 (infinity), as IEEE rounding treats overflow. NaN maps to a quiet NaN of f's sign.
     */
    public static short bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        if (Float.isNaN(f)) return (short) (sign | 0x7FC0);
        if (Float.isInfinite(f)) return (short) (sign | 0x7F80);
        double a = Math.abs((double) f);
        int lo = (bits & 0x7FFF_FFFF) >>> 16; // truncation: the bf16 just below or at |f|
        int hi = lo + 1;                      // the next bf16 up in magnitude (0x7F80 = infinity)
        double vLo = bf16Value(lo), vHi = hi == 0x7F80 ? 0x1p128 : bf16Value(hi);
        // Both distances are exact in double: they are differences of nearby floats.
        double dLo = a - vLo, dHi = vHi - a;
        int r;
        if (dLo < dHi) r = lo;
        else if (dHi < dLo) r = hi;
        else r = (lo & 1) == 0 ? lo : hi;
        return (short) (sign | r);
    }

    /** The value of a non-negative bf16 pattern (0..0x7F7F). */
    private static double bf16Value(int pattern) {
        return Float.intBitsToFloat(pattern << 16);
    }

    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** Philox-4x32-10 of counter (4 words) under key (2 words). */
    public static int[] philox4x32x10(int[] counter, int[] key) {
        long c0 = counter[0] & MASK, c1 = counter[1] & MASK, c2 = counter[2] & MASK, c3 = counter[3] & MASK;
        long k0 = key[0] & MASK, k1 = key[1] & MASK;
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 = (k0 + 0x9E3779B9L) & MASK;
                k1 = (k1 + 0xBB67AE85L) & MASK;
            }
            // Products of two 32-bit values are below 2^64: the long's 64 bits hold them exactly (unsigned).
            long p0 = 0xD2511F53L * c0, p1 = 0xCD9E8D57L * c2;
            long n0 = (p1 >>> 32) ^ c1 ^ k0, n1 = p1 & MASK, n2 = (p0 >>> 32) ^ c3 ^ k1, n3 = p0 & MASK;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
        }
        return new int[]{(int) c0, (int) c1, (int) c2, (int) c3};
    }

    /** Uniform in [0, 1) from the top 24 bits of a word. */
    public static double uniform(int word) {
        return (word >>> 8) / 16777216.0;
    }
}
