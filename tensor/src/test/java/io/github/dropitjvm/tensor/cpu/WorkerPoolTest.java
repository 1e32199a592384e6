package io.github.dropitjvm.tensor.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The worker pool: every task runs exactly once, failures reach the caller, concurrent and nested callers work. */
class WorkerPoolTest {
    @Test
    void everyTaskRunsExactlyOnceForEveryThreadCount() {
        for (int threads : new int[]{1, 2, 3, 5}) {
            WorkerPool pool = new WorkerPool(threads);
            try {
                for (int count : new int[]{0, 1, 2, 7, 1000}) {
                    for (int round = 0; round < 20; round++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(count, 1));
                        pool.parallelFor(count, hits::incrementAndGet);
                        for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "task " + i + " of " + count + ", " + threads + " threads");
                    }
                }
            } finally {
                pool.close();
            }
        }
    }

    @Test
    void aFailingTaskIsRethrownAndThePoolStaysUsable() {
        WorkerPool pool = new WorkerPool(2);
        try {
            IllegalStateException boom = new IllegalStateException("boom");
            for (int round = 0; round < 10; round++) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, t -> {
                    if (t == 57) throw boom;
                }));
                assertSame(boom, e);
                AtomicIntegerArray hits = new AtomicIntegerArray(64);
                pool.parallelFor(64, hits::incrementAndGet);
                for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i));
            }
        } finally {
            pool.close();
        }
    }

    @Test
    void concurrentAndNestedCallersEachGetAllTheirTasks() throws Exception {
        WorkerPool pool = new WorkerPool(2);
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < 4; c++)
                futures.add(callers.submit(() -> {
                    for (int round = 0; round < 200; round++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(40);
                        // Each outer task runs a nested section (inline, since the pool is busy).
                        pool.parallelFor(8, outer -> pool.parallelFor(5, inner -> hits.incrementAndGet(outer * 5 + inner)));
                        for (int i = 0; i < 40; i++) assertEquals(1, hits.get(i));
                    }
                    return null;
                }));
            for (Future<?> f : futures) f.get();
        } finally {
            callers.shutdown();
            pool.close();
        }
    }

    @Test
    void threadSettingIsValidatedAndApplied() {
        int before = CpuBackend.threads();
        try {
            assertThrows(IllegalArgumentException.class, () -> CpuBackend.setThreads(0));
            CpuBackend.setThreads(3);
            assertEquals(3, CpuBackend.threads());
            CpuBackend.setThreads(1);
            assertEquals(1, CpuBackend.threads());
        } finally {
            CpuBackend.setThreads(before);
        }
        assertEquals(before, CpuBackend.threads());
    }
}
