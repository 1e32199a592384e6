package io.github.dropitjvm.tensor.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's fixed worker pool: {@code threads − 1} daemon workers plus the calling thread run the tasks
 * {@code 0 .. count−1} of one {@link #parallelFor}. Tasks are handed out by an atomic counter, so which thread runs
 * a task varies, but kernels partition their work over tasks that each own disjoint outputs and fix the task split
 * from the problem size alone: results then do not depend on the thread count or on scheduling.
 *
 * <p>Safe for concurrent callers: one parallel section runs at a time; a caller that finds the pool busy (another
 * thread's section, or a task of its own that calls back in) runs its tasks inline on its own thread, which gives the
 * same results. Handing out a section allocates nothing; waiting spins briefly, then parks.
 *
 * <p>The thread count comes from {@link #setThreads} ({@code CpuBackend.setThreads}), else the system property
 * {@code dropit.threads}, else {@link Runtime#availableProcessors()}.
 */
final class WorkerPool {
    /** One task of a parallel section. */
    @FunctionalInterface
    interface Body {
        void run(int task);
    }

    private static volatile WorkerPool shared = new WorkerPool(initialThreads());

    private static final int SPINS = 1 << 12;

    private final int threads;
    private final Thread[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean closed;
    private volatile int generation;
    // Published to the workers by the volatile write of generation, cleared after they all finished.
    private Body body;
    private int count;
    private volatile Thread caller;
    private volatile Throwable failure;

    WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("cpu backend: thread count must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            Thread t = new Thread(this::workerLoop, "dropit-cpu-" + (w + 1));
            t.setDaemon(true);
            workers[w] = t;
            t.start();
        }
    }

    static int initialThreads() {
        String p = System.getProperty("dropit.threads");
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the default, as for a value below 1
            }
            System.err.println("dropit: ignoring -Ddropit.threads=" + p + " (needs an integer >= 1)");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The pool kernels use. */
    static WorkerPool shared() {
        return shared;
    }

    /** Replaces the shared pool by one of n threads (the caller counts as one); the old pool's workers end. */
    static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("cpu backend: thread count must be >= 1, got " + n);
        WorkerPool old = shared;
        if (old.threads == n) return;
        shared = new WorkerPool(n);
        old.close();
    }

    int threads() {
        return threads;
    }

    /** Runs body for every task 0 .. count−1 and returns when all have finished; rethrows a task's failure. */
    void parallelFor(int count, Body body) {
        if (count <= 0) return;
        if (threads == 1 || count == 1 || !busy.compareAndSet(false, true)) {
            for (int t = 0; t < count; t++) body.run(t);
            return;
        }
        try {
            if (closed) {
                for (int t = 0; t < count; t++) body.run(t);
                return;
            }
            this.body = body;
            this.count = count;
            failure = null;
            next.set(0);
            running.set(workers.length);
            caller = Thread.currentThread();
            generation = generation + 1;
            for (Thread w : workers) LockSupport.unpark(w);
            runTasks(body, count);
            for (int spins = 0; running.get() > 0; spins++) {
                if (spins < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            this.body = null;
            caller = null;
            Throwable f = failure;
            failure = null;
            if (f instanceof RuntimeException e) throw e;
            if (f instanceof Error e) throw e;
            if (f != null) throw new IllegalStateException("cpu backend: a worker failed", f);
        } finally {
            busy.set(false);
        }
    }

    private void runTasks(Body b, int n) {
        try {
            for (int t; (t = next.getAndIncrement()) < n; ) b.run(t);
        } catch (Throwable e) {
            if (failure == null) failure = e;
            next.set(n);
        }
    }

    private void workerLoop() {
        int seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen) {
                if (closed) return;
                if (spins++ < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            seen = generation;
            Body b = body;
            int n = count;
            try {
                runTasks(b, n);
            } catch (Throwable ignored) {
                // recorded in failure by runTasks
            } finally {
                if (running.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }

    /** Ends the workers once no section is running; later sections run inline. */
    void close() {
        while (!busy.compareAndSet(false, true)) Thread.onSpinWait();
        closed = true;
        busy.set(false);
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
