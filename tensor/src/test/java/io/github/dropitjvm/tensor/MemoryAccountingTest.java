package io.github.dropitjvm.tensor;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Exact byte accounting. A private backend (a proxy that only answers name() and memory()) gives a tracker no
 * other code touches, so its numbers can be asserted exactly. On the shared CPU backend the garbage collector may
 * release other tests' storages at any moment, so each delta is measured a few times and must come out exact at
 * least once — a wrong byte count can never do that.
 */
class MemoryAccountingTest {

    /** A storage of a private backend: accounting only, no memory behind it. */
    private static final class CountedStorage extends Storage {
        CountedStorage(Backend backend, DType dtype, long length) {
            super(backend, dtype, length, null);
        }

        void use() {
            checkOpen();
        }
    }

    private static Backend privateBackend(MemoryTracker tracker) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (p, m, a) -> switch (m.getName()) {
            case "name" -> "private";
            case "memory" -> tracker;
            case "hashCode" -> System.identityHashCode(p);
            case "equals" -> p == a[0];
            case "toString" -> "private backend";
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    @Test
    void bytesForIsExactPerDtypeAndBitRoundsUpToWholeWords() {
        assertEquals(4 * 7L, DType.FLOAT32.bytesFor(7));
        assertEquals(4 * 7L, DType.INT32.bytesFor(7));
        assertEquals(8 * 7L, DType.INT64.bytesFor(7));
        assertEquals(2 * 7L, DType.BF16.bytesFor(7));
        assertEquals(0, DType.BIT.bytesFor(0));
        assertEquals(4, DType.BIT.bytesFor(1));
        assertEquals(4, DType.BIT.bytesFor(32));
        assertEquals(8, DType.BIT.bytesFor(33));
        assertEquals(4 * 32L, DType.BIT.bytesFor(1000));
        assertEquals(((3_000_000_000L + 31) / 32) * 4, DType.BIT.bytesFor(3_000_000_000L));
        assertEquals(8L * Integer.MAX_VALUE, DType.INT64.bytesFor(Integer.MAX_VALUE));
    }

    @Test
    void allocationAndCloseMoveLiveBytesByExactlyTheStorageSize() {
        MemoryTracker tracker = new MemoryTracker("private");
        Backend b = privateBackend(tracker);
        long expectedLive = 0, allocations = 0;
        CountedStorage[] all = new CountedStorage[DType.values().length * 4];
        int i = 0;
        for (DType d : DType.values())
            for (long n : new long[]{0, 1, 33, 1031}) {
                all[i++] = new CountedStorage(b, d, n);
                expectedLive += d.bytesFor(n);
                allocations++;
                assertEquals(expectedLive, tracker.liveBytes(), d + " x " + n);
                assertEquals(expectedLive, tracker.peakBytes());
                assertEquals(allocations, tracker.allocationCount());
                assertEquals(d.bytesFor(n), all[i - 1].bytes());
            }
        long peak = expectedLive;
        for (CountedStorage s : all) {
            assertFalse(s.isClosed());
            s.close();
            assertTrue(s.isClosed());
            expectedLive -= s.bytes();
            assertEquals(expectedLive, tracker.liveBytes());
            s.close(); // idempotent: released exactly once
            assertEquals(expectedLive, tracker.liveBytes(), "a second close releases nothing");
        }
        assertEquals(0, tracker.liveBytes());
        assertEquals(peak, tracker.peakBytes(), "the peak remembers the high-water mark");
        tracker.resetPeak();
        assertEquals(0, tracker.peakBytes(), "resetPeak sets the peak to the live bytes");
        CountedStorage a = new CountedStorage(b, DType.FLOAT32, 100), c = new CountedStorage(b, DType.BIT, 100);
        assertEquals(400 + 16, tracker.peakBytes());
        a.close();
        tracker.resetPeak();
        assertEquals(16, tracker.peakBytes());
        c.close();
        assertEquals(16, tracker.peakBytes());
        assertEquals(0, tracker.liveBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, a::use);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CountedStorage(b, DType.FLOAT32, -1));
    }

    /** Runs action and returns how much the measure moved, retrying while other storages are being collected. */
    private static void assertDelta(String what, long expected, LongSupplier measure, Runnable action) {
        long last = 0;
        for (int attempt = 0; attempt < 20; attempt++) {
            long before = measure.getAsLong();
            action.run();
            last = measure.getAsLong() - before;
            if (last == expected) return;
        }
        fail(what + ": live bytes moved by " + last + ", expected " + expected);
    }

    @Test
    void cpuTensorsAccountExactlyOnTheSharedTracker() {
        MemoryTracker m = Backends.defaultBackend().memory();
        for (DType d : DType.values())
            for (int n : new int[]{0, 1, 31, 32, 33, 1031}) {
                Tensor[] holder = new Tensor[1];
                assertDelta("allocate " + d + " x " + n, d.bytesFor(n), m::liveBytes, () -> holder[0] = Tensor.zeros(Backends.defaultBackend(), d, n));
                assertEquals(d.bytesFor(n), holder[0].storage().bytes());
                long last = 0;
                boolean exact = false;
                for (int attempt = 0; attempt < 20 && !exact; attempt++) {
                    Tensor t = Tensor.zeros(Backends.defaultBackend(), d, n);
                    long before = m.liveBytes();
                    t.storage().close();
                    last = m.liveBytes() - before;
                    exact = last == -d.bytesFor(n);
                }
                assertTrue(exact, "close " + d + " x " + n + ": live bytes moved by " + last);
            }
        // A view allocates nothing; an op allocates exactly its output.
        Tensor x = Tensor.zeros(7, 33);
        assertDelta("views", 0, m::liveBytes, () -> x.transpose(0, 1).narrow(0, 1, 5).unsqueeze(0).expand(3, 5, 7));
        Tensor[] out = new Tensor[1];
        assertDelta("comparison output is a bitmask", DType.BIT.bytesFor(7 * 33), m::liveBytes, () -> out[0] = x.gt(x));
        assertEquals(DType.BIT.bytesFor(7 * 33), out[0].storage().bytes());
    }

    @Test
    void peakTracksTheHighWaterMarkAndResets() {
        MemoryTracker m = Backends.defaultBackend().memory();
        m.resetPeak();
        long base = m.liveBytes();
        assertTrue(m.peakBytes() >= base);
        Tensor big = Tensor.zeros(1 << 20); // 4 MiB
        assertTrue(m.peakBytes() >= base + (4L << 20) - (1 << 16), "peak includes the new storage (allowing for concurrent collection)");
        big.storage().close();
        m.resetPeak();
        assertTrue(m.peakBytes() < base + (4L << 20), "after close and reset the peak drops below the big storage");
    }

    @Test
    void unreachableStoragesAreReleasedByTheCleaner() throws InterruptedException {
        MemoryTracker m = Backends.defaultBackend().memory();
        long bytes = 64L << 20;
        long before = LiveBytes.settled(m); // earlier tests' garbage, released meanwhile, would hide the new storage
        Tensor t = Tensor.zeros((int) (bytes / 4));
        assertTrue(m.liveBytes() >= before + bytes - (8 << 20));
        t = null;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (m.liveBytes() > before + (8 << 20) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(m.liveBytes() <= before + (8 << 20), "a 64 MiB storage nobody references was released: live " + m.liveBytes() + ", before " + before);
    }
}
