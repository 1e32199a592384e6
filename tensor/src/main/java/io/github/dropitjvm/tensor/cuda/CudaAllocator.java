package io.github.dropitjvm.tensor.cuda;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator of device memory (cuMemFree synchronizes the whole device, so freeing per tensor would stall
 * every step): requested sizes round up to a bucket (256 B, then four buckets per power of two, at most 25% waste),
 * freed blocks wait on their bucket's free list for the next request of that bucket. The cache holds at most
 * {@code cacheLimit} bytes; a block freed beyond that goes back to the driver at once, and when the driver refuses
 * an allocation the whole cache is released and the allocation retried once. Above {@code collectAbove} device
 * bytes, a request the cache cannot serve first runs the garbage collector, so a training loop that never closes its
 * intermediate tensors stays bounded (unreferenced tensors free their blocks only through their Cleaners). The same
 * policy as the OpenCL backend's allocator.
 *
 * <p>The driver is behind {@link Device}, so the bucket and cache logic is tested without a GPU. Thread-safe: a
 * storage's Cleaner may free from another thread.
 */
final class CudaAllocator {
    /** What the allocator needs from the driver: device pointers are longs. */
    interface Device {
        /** A new block of exactly {@code bytes} bytes; throws IllegalStateException when the device is out of memory. */
        long alloc(long bytes);

        void free(long ptr);
    }

    /** A device block and the bucket it belongs to. */
    record Block(long ptr, long bucket) {}

    private final Device device;
    private final long cacheLimit;
    private final long collectAbove;
    private final Map<Long, ArrayDeque<Long>> free = new TreeMap<>();
    private long cachedBytes, deviceBytes, created, reused;

    CudaAllocator(Device device, long cacheLimit, long collectAbove) {
        this.device = device;
        this.cacheLimit = cacheLimit;
        this.collectAbove = collectAbove;
    }

    /** The bucket a request of {@code bytes} bytes is served from. */
    static long bucket(long bytes) {
        if (bytes <= 256) return 256;
        int p = 63 - Long.numberOfLeadingZeros(bytes - 1); // 2^p < bytes <= 2^(p+1)
        long quarter = 1L << (p - 2);
        long base = 1L << p;
        return base + ((bytes - base + quarter - 1) / quarter) * quarter;
    }

    Block allocate(long bytes) {
        long b = bucket(bytes);
        Block cached = takeCached(b);
        if (cached != null) return cached;
        if (deviceBytes() + b > collectAbove) {
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

    private synchronized Block takeCached(long b) {
        ArrayDeque<Long> list = free.get(b);
        if (list == null || list.isEmpty()) return null;
        cachedBytes -= b;
        reused++;
        return new Block(list.pop(), b);
    }

    private synchronized Block createBlock(long b) {
        long ptr;
        try {
            ptr = device.alloc(b);
        } catch (IllegalStateException e) {
            releaseCache();
            ptr = device.alloc(b);
        }
        deviceBytes += b;
        created++;
        return new Block(ptr, b);
    }

    synchronized void free(Block block) {
        if (cachedBytes + block.bucket() > cacheLimit) {
            device.free(block.ptr());
            deviceBytes -= block.bucket();
            return;
        }
        free.computeIfAbsent(block.bucket(), k -> new ArrayDeque<>()).push(block.ptr());
        cachedBytes += block.bucket();
    }

    /** Gives every cached block back to the driver. */
    synchronized void releaseCache() {
        for (var e : free.entrySet()) {
            for (long m : e.getValue()) {
                device.free(m);
                deviceBytes -= e.getKey();
            }
            e.getValue().clear();
        }
        cachedBytes = 0;
    }

    synchronized long cachedBytes() { return cachedBytes; }

    /** Bytes of every block this allocator holds from the driver (in use or cached). */
    synchronized long deviceBytes() { return deviceBytes; }

    /** Number of cuMemAlloc calls so far. */
    synchronized long createdBlocks() { return created; }

    /** Number of requests served from the cache. */
    synchronized long reusedBlocks() { return reused; }
}
