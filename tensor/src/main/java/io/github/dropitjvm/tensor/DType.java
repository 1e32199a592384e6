package io.github.dropitjvm.tensor;

/**
 * Element types. FLOAT32 is the compute type; the others exist for what DropIT caches and what indexing
 * needs: INT32 positions, INT64 arg-indices, BIT masks (1 bit per element, bit i of the mask is bit
 * (i mod 32) of 32-bit word i/32), and BF16 values (a storage format, rounded to nearest even).
 */
public enum DType {
    FLOAT32(32, "f32"),
    INT32(32, "i32"),
    INT64(64, "i64"),
    BIT(1, "bit"),
    BF16(16, "bf16");

    private final int bits;
    private final String shortName;

    DType(int bits, String shortName) {
        this.bits = bits;
        this.shortName = shortName;
    }

    /** Bits per element. */
    public int bits() {
        return bits;
    }

    /** Exact bytes a storage of {@code elements} elements of this type occupies (BIT rounds up to whole 32-bit words). */
    public long bytesFor(long elements) {
        if (this == BIT) return ((elements + 31) >>> 5) * 4L;
        return elements * (bits / 8);
    }

    public boolean isFloating() {
        return this == FLOAT32 || this == BF16;
    }

    public String shortName() {
        return shortName;
    }
}
