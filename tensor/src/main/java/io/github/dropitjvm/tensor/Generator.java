package io.github.dropitjvm.tensor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A seeded, splittable source of random streams. Each draw ({@link Tensor#rand}, {@link Tensor#randn}) takes the
 * next stream number; element i of that draw is a pure function of (seed, stream, i) computed with Philox-4x32-10,
 * so a tensor's values never depend on thread count or backend. {@link #split()} derives an independent
 * generator (for a data loader, a layer's init, ...) whose seed mixes this seed and a fresh stream number.
 */
public final class Generator {
    private final long seed;
    private final AtomicLong nextStream = new AtomicLong();

    public Generator(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** The stream number the next draw will use, and advances. */
    public long nextStream() {
        return nextStream.getAndIncrement();
    }

    /** An independent child generator; deterministic given this generator's history. */
    public Generator split() {
        return new Generator(mix(seed, nextStream()));
    }

    /** A child generator for a named purpose (e.g. epoch or index); does not advance this generator. */
    public Generator fork(long index) {
        return new Generator(mix(seed ^ 0x5DEECE66DL, index));
    }

    /** SplitMix64 finalizer over (a, b): a well-spread 64-bit mix. */
    static long mix(long a, long b) {
        long z = a + 0x9E3779B97F4A7C15L * (b + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
