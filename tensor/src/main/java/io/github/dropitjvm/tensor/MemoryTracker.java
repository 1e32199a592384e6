package io.github.dropitjvm.tensor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Exact byte accounting for one backend: every storage adds its exact size when allocated and removes it when
 * released (closed, or collected on the heap backend). Live and peak bytes; the peak can be reset.
 */
public final class MemoryTracker {
    private final String backend;
    private final AtomicLong live = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();

    public MemoryTracker(String backend) {
        this.backend = backend;
    }

    void allocated(long bytes) {
        long now = live.addAndGet(bytes);
        allocations.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
    }

    void released(long bytes) {
        live.addAndGet(-bytes);
    }

    /** Bytes held by storages that are not yet released. */
    public long liveBytes() {
        return live.get();
    }

    /** Highest {@link #liveBytes()} since creation or the last {@link #resetPeak()}. */
    public long peakBytes() {
        return peak.get();
    }

    /** Number of storages allocated since creation. */
    public long allocationCount() {
        return allocations.get();
    }

    /** Sets the peak to the current live bytes. */
    public void resetPeak() {
        peak.set(live.get());
    }

    @Override
    public String toString() {
        return backend + " memory: live " + liveBytes() + " B, peak " + peakBytes() + " B";
    }
}
