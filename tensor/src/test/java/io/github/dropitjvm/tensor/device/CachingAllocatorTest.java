package io.github.dropitjvm.tensor.device;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The caching allocator's bucket and cache logic against a fake driver (no GPU needed). */
class CachingAllocatorTest {
    /** Hands out fake addresses, counts live bytes, and can refuse allocations above a capacity. */
    static final class FakeDevice implements CachingAllocator.Device<Long> {
        long next = 0x1000, live, capacity = Long.MAX_VALUE, allocs, frees;
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        @Override public Long alloc(long bytes) {
            if (live + bytes > capacity) throw new IllegalStateException("cuda: cuMemAlloc failed with CUDA_ERROR_OUT_OF_MEMORY (2)");
            long p = next;
            next += bytes;
            live += bytes;
            allocs++;
            sizes.put(p, bytes);
            return p;
        }

        @Override public void free(Long ptr) {
            Long b = sizes.remove(ptr);
            if (b == null) throw new AssertionError("double or foreign free " + ptr);
            live -= b;
            frees++;
        }
    }

    @Test
    void bucketsRoundUpByAtMostAQuarter() {
        assertEquals(256, CachingAllocator.bucket(1));
        assertEquals(256, CachingAllocator.bucket(256));
        assertEquals(320, CachingAllocator.bucket(257));
        assertEquals(1024, CachingAllocator.bucket(1024));
        assertEquals(1280, CachingAllocator.bucket(1025));
        for (long b = 1; b < 1 << 22; b = b * 3 / 2 + 7) {
            long k = CachingAllocator.bucket(b);
            assertTrue(k >= b && (b <= 256 || k <= b * 1.25 + 1), b + " -> " + k);
            assertEquals(k, CachingAllocator.bucket(k), "a bucket is its own bucket");
        }
    }

    @Test
    void freedBlocksAreReusedForTheSameBucketWithoutDriverCalls() {
        FakeDevice dev = new FakeDevice();
        CachingAllocator<Long> al = new CachingAllocator<Long>(dev, 1 << 20, Long.MAX_VALUE);
        CachingAllocator.Block<Long> a = al.allocate(1000), b = al.allocate(1000);
        assertNotEquals(a.handle(), b.handle());
        al.free(a);
        assertEquals(a.bucket(), al.cachedBytes());
        CachingAllocator.Block<Long> c = al.allocate(900); // same bucket (1024)
        assertEquals(a.handle(), c.handle());
        assertEquals(2, dev.allocs);
        assertEquals(0, dev.frees);
        assertEquals(1, al.reusedBlocks());
        assertEquals(2048, al.deviceBytes());
        // a steady loop of allocate/free never grows
        for (int i = 0; i < 1000; i++) {
            CachingAllocator.Block<Long> x = al.allocate(5000), y = al.allocate(70_000);
            al.free(x);
            al.free(y);
        }
        assertEquals(4, dev.allocs);
    }

    @Test
    void theCacheIsBoundedAndReleasedWhenTheDeviceRunsOut() {
        FakeDevice dev = new FakeDevice();
        CachingAllocator<Long> al = new CachingAllocator<Long>(dev, 4096, Long.MAX_VALUE);
        CachingAllocator.Block<Long> a = al.allocate(4096), b = al.allocate(4096);
        al.free(a);
        al.free(b); // beyond the 4 KiB cache: back to the driver at once
        assertEquals(1, dev.frees);
        assertEquals(4096, al.cachedBytes());
        assertEquals(4096, dev.live);
        dev.capacity = 8192;
        CachingAllocator.Block<Long> big = al.allocate(8192); // refused at first: the cache is released and the call retried
        assertEquals(8192, dev.live);
        assertEquals(0, al.cachedBytes());
        assertEquals(8192, al.deviceBytes());
        assertThrows(IllegalStateException.class, () -> al.allocate(100));
        al.free(big);
        al.releaseCache();
        assertEquals(0, dev.live);
        assertEquals(0, al.deviceBytes());
    }

    @Test
    void aboveTheCollectThresholdUnreachableBlocksAreCollectedBeforeGrowing() {
        FakeDevice dev = new FakeDevice();
        CachingAllocator<Long> al = new CachingAllocator<Long>(dev, 1 << 30, 64 << 10);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            // A block handed to a Cleaner-like owner that is dropped without free: the GC path must recover it.
            CachingAllocator.Block<Long> blk = al.allocate(16 << 10);
            seen.add(blk.handle());
            java.lang.ref.Cleaner.create().register(new Object(), () -> al.free(blk));
        }
        assertTrue(al.deviceBytes() <= (64 << 10) + (16 << 10) * 8, "device bytes " + al.deviceBytes() + " over " + seen.size() + " blocks");
    }
}
