package io.github.dropitjvm.tensor.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator of OpenCL buffers: requested sizes round up to a bucket (256 B, then four buckets per power
 * of two, so at most 25% is wasted), freed buffers wait on their bucket's free list for the next request of that
 * bucket instead of going back to the driver. The cache holds at most {@code cacheLimit} bytes; a buffer freed
 * beyond that is released at once, and when the driver refuses an allocation the whole cache is released and the
 * allocation retried once. Above {@code collectAbove} device bytes, a request the cache cannot serve first runs
 * the garbage collector, so a training loop that never closes its intermediate tensors stays bounded.
 *
 * <p>This counts device bytes (buckets, cached ones included); the backend's {@code MemoryTracker} counts what
 * storages asked for (exact element bytes, like the CPU backend), which is the figure the rest of the project
 * reports. Thread-safe: a storage's Cleaner may free from another thread.
 */
final class ClAllocator {
    /** A device buffer and the bucket it belongs to. */
    record Block(MemorySegment mem, long bucket) {}

    private final MemorySegment context;
    private final long cacheLimit;
    private final long collectAbove;
    private final Map<Long, ArrayDeque<MemorySegment>> free = new TreeMap<>();
    private long cachedBytes, deviceBytes, created, reused;

    /**
     * @param collectAbove device bytes above which a request that the cache cannot serve first asks the JVM to
     *                     collect garbage: tensors nobody references free their buffers only through their Cleaner,
     *                     and the Java heap, where a tensor object is small, gives the collector no reason to run
     */
    ClAllocator(MemorySegment context, long cacheLimit, long collectAbove) {
        this.context = context;
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
            // Unreachable tensors still hold device buffers until their Cleaners run: collect, give the Cleaner
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

    private synchronized Block takeCached(long b) {
        ArrayDeque<MemorySegment> list = free.get(b);
        if (list == null || list.isEmpty()) return null;
        cachedBytes -= b;
        reused++;
        return new Block(list.pop(), b);
    }

    private synchronized Block createBlock(long b) {
        MemorySegment mem;
        try {
            mem = create(b);
        } catch (IllegalStateException e) {
            releaseCache();
            mem = create(b);
        }
        deviceBytes += b;
        created++;
        return new Block(mem, b);
    }

    private MemorySegment create(long b) {
        try (Arena a = Arena.ofConfined()) {
            return Cl.handle(a, Cl.lib().createBuffer, "clCreateBuffer(" + b + " bytes)", context, Cl.CL_MEM_READ_WRITE, b, MemorySegment.NULL);
        }
    }

    synchronized void free(Block block) {
        if (cachedBytes + block.bucket() > cacheLimit) {
            release(block.mem());
            deviceBytes -= block.bucket();
            return;
        }
        free.computeIfAbsent(block.bucket(), k -> new ArrayDeque<>()).push(block.mem());
        cachedBytes += block.bucket();
    }

    /** Releases every cached buffer to the driver. */
    synchronized void releaseCache() {
        for (var e : free.entrySet()) {
            for (MemorySegment m : e.getValue()) {
                release(m);
                deviceBytes -= e.getKey();
            }
            e.getValue().clear();
        }
        cachedBytes = 0;
    }

    private static void release(MemorySegment m) {
        Cl.call(Cl.lib().releaseMemObject, "clReleaseMemObject", m);
    }

    /** Bytes of idle buffers waiting in the cache. */
    synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Bytes of every buffer this allocator holds from the driver (in use or cached). */
    synchronized long deviceBytes() {
        return deviceBytes;
    }

    /** Number of clCreateBuffer calls so far. */
    synchronized long createdBuffers() {
        return created;
    }

    /** Number of requests served from the cache. */
    synchronized long reusedBuffers() {
        return reused;
    }
}
