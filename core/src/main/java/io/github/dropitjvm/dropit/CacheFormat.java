package io.github.dropitjvm.dropit;

import io.github.dropitjvm.tensor.DType;

import java.util.Locale;

/**
 * How a DropIT cache stores the kept elements: positions as ascending int32 indices or as a 1-bit-per-element
 * mask, values as fp32 or bf16. {@link #AUTO} picks, per cached tensor, whichever of the two position layouts is
 * smaller for the value type asked for (the bitmask wins above γ ≈ 3%).
 */
public enum CacheFormat {
    INDEX32_FP32("index32-fp32", false, DType.FLOAT32),
    BITMASK_FP32("bitmask-fp32", true, DType.FLOAT32),
    INDEX32_BF16("index32-bf16", false, DType.BF16),
    BITMASK_BF16("bitmask-bf16", true, DType.BF16),
    AUTO("auto", true, DType.FLOAT32);

    private final String id;
    private final boolean bitmask;
    private final DType values;

    CacheFormat(String id, boolean bitmask, DType values) {
        this.id = id;
        this.bitmask = bitmask;
        this.values = values;
    }

    public String id() {
        return id;
    }

    public boolean bitmask() {
        return bitmask;
    }

    public DType valueType() {
        return values;
    }

    /** The concrete format for a tensor of n elements with k kept (AUTO resolves; others return themselves). */
    public CacheFormat resolve(long n, long k, boolean bf16Values) {
        if (this != AUTO) return this;
        long valueBytes = bf16Values ? 2 : 4;
        long indexBytes = k * 4, maskBytes = ((n + 31) / 32) * 4;
        boolean mask = maskBytes <= indexBytes;
        if (bf16Values) return mask ? BITMASK_BF16 : INDEX32_BF16;
        return mask ? BITMASK_FP32 : INDEX32_FP32;
    }

    /** Exact bytes of a cache of k kept out of n elements (the cache arithmetic of ARCHITECTURE.md, with words rounded up). */
    public long bytes(long n, long k) {
        long v = values.bytesFor(k);
        return bitmask ? DType.BIT.bytesFor(n) + v : 4 * k + v;
    }

    public static CacheFormat parse(String s) {
        for (CacheFormat f : values()) if (f.id.equals(s.toLowerCase(Locale.ROOT))) return f;
        throw new IllegalArgumentException("unknown cache format '" + s + "'; formats: index32-fp32, bitmask-fp32, index32-bf16, bitmask-bf16, auto");
    }
}
