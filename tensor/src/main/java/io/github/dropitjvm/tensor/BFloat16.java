package io.github.dropitjvm.tensor;

/** bfloat16 conversions: the upper 16 bits of a float32, rounded to nearest even (NaN stays a quiet NaN). */
public final class BFloat16 {
    private BFloat16() {}

    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    public static float toFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }
}
