package io.github.dropitjvm.tensor.device;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * The GPU backends' caching allocator of device memory (cuMemFree synchronizes the whole device and clCreateBuffer is
 * slow, so allocating and freeing per tensor would stall every step): requested sizes round up to a bucket (256 B,
 * then four buckets per power of two, so at most 25% is wasted), freed blocks wait on their bucket's free list for the
 * next request of that bucket. The cache holds at most {@code cacheLimit} bytes; a block freed beyond that goes back
 * to the driver at once, and when the driver refuses an allocation the whole cache is released and the allocation
 * retried once. Above {@code collectAbove} device bytes, a request the cache cannot serve first runs the garbage
 * collector, so a training loop that never closes its intermediate tensors stays bounded.
 *
 * <p>This counts device bytes (buckets, cached ones included); the backend's {@code MemoryTracker} counts what
 * storages asked for (exact element bytes, like the CPU backend), which is the figure the rest of the project
 * reports. The driver is behind {@link Device}, so the bucket and cache logic is tested without a GPU. Thread-safe:
 * a storage's Cleaner may free from another thread.
 *
 * @param <H> the driver's handle of a block (a CUdeviceptr as Long, a cl_mem segment)
 */
public final class CachingAllocator<H> {
    /** What the allocator needs from the driver. */
    public interface Device<H> {
        /** A new block of exactly {@code bytes} bytes; throws IllegalStateException when the device is out of memory. */
        H alloc(long bytes);

        void free(H block);
    }

    /** A device block and the bucket it belongs to. */
    public record Block<H>(H handle, long bucket) {}

    private final Device<H> device;
    private final long cacheLimit;
    private final long collectAbove;
    private final Map<Long, ArrayDeque<H>> free = new TreeMap<>();
    private long cachedBytes, deviceBytes, created, reused;

    /**
     * @param collectAbove device bytes above which a request that the cache cannot serve first asks the JVM to
     *                     collect garbage: tensors nobody references free their blocks only through their Cleaner,
     *                     and the Java heap, where a tensor object is small, gives the collector no reason to run
     */
    public CachingAllocator(Device<H> device, long cacheLimit, long collectAbove) {
        this.device = device;
        this.cacheLimit = cacheLimit;
        this.collectAbove = collectAbove;
    }

    /** The bucket a request of {@code bytes} bytes is served from. */
    public static long bucket(long bytes) {
        if (bytes <= 256) return 256;
        int p = 63 - Long.numberOfLeadingZeros(bytes - 1); // 2^p < bytes <= 2^(p+1)
        long quarter = 1L << (p - 2);
        long base = 1L << p;
        return base + ((bytes - base + quarter - 1) / quarter) * quarter;
    }

    public Block<H> allocate(long bytes) {
        long b = bucket(bytes);
        Block<H> cached = takeCached(b);
        if (cached != null) return cached;
        if (deviceBytes() + b > collectAbove) {
            // Unreachable tensors still hold device blocks until their Cleaners run: collect, give the Cleaner
            // thread a moment to return them to the cache, and try the cache again before growing.
            System.gc();
            for (int i = 0; i < 20; i++) {
                cached = takeCached(b);
                if (cached != null) return cached;
                if (deviceBytes() + b <= collectAbove) break;
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return createBlock(b);
    }

    private synchronized Block<H> takeCached(long b) {
        ArrayDeque<H> list = free.get(b);
        if (list == null || list.isEmpty()) return null;
        cachedBytes -= b;
        reused++;
        return new Block<>(list.pop(), b);
    }

    private synchronized Block<H> createBlock(long b) {
        H h;
        try {
            h = device.alloc(b);
        } catch (IllegalStateException e) {
            releaseCache();
            h = device.alloc(b);
        }
        deviceBytes += b;
        created++;
        return new Block<>(h, b);
    }

    public synchronized void free(Block<H> block) {
        if (cachedBytes + block.bucket() > cacheLimit) {
            device.free(block.handle());
            deviceBytes -= block.bucket();
            return;
        }
        free.computeIfAbsent(block.bucket(), k -> new ArrayDeque<>()).push(block.handle());
        cachedBytes += block.bucket();
    }

    /** Gives every cached block back to the driver. */
    public synchronized void releaseCache() {
        for (var e : free.entrySet()) {
            for (H h : e.getValue()) {
                device.free(h);
                deviceBytes -= e.getKey();
            }
            e.getValue().clear();
        }
        cachedBytes = 0;
    }

    /** Bytes of idle blocks waiting in the cache. */
    public synchronized long cachedBytes() { return cachedBytes; }

    /** Bytes of every block this allocator holds from the driver (in use or cached). */
    public synchronized long deviceBytes() { return deviceBytes; }

    /** Number of blocks created by the driver so far (the rest were served from the cache). */
    public synchronized long createdBlocks() { return created; }

    /** Number of requests served from the cache. */
    public synchronized long reusedBlocks() { return reused; }
}
