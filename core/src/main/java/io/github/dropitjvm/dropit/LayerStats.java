package io.github.dropitjvm.dropit;

/** Per-layer DropIT statistics of the latest and all steps: elements seen and kept, cache bytes, selection time. */
public final class LayerStats {
    private long calls, elements, kept, bytes, nanos;
    private long lastElements, lastKept, lastBytes;

    synchronized void record(long n, long k, long cacheBytes, long selectNanos) {
        calls++;
        elements += n;
        kept += k;
        bytes += cacheBytes;
        nanos += selectNanos;
        lastElements = n;
        lastKept = k;
        lastBytes = cacheBytes;
    }

    public synchronized long calls() { return calls; }
    public synchronized long lastElements() { return lastElements; }
    public synchronized long lastKept() { return lastKept; }
    public synchronized long lastCacheBytes() { return lastBytes; }
    /** Mean selection + packing time per call, in milliseconds. */
    public synchronized double meanSelectMillis() { return calls == 0 ? 0 : nanos / 1e6 / calls; }
    public synchronized double keptFraction() { return elements == 0 ? 0 : (double) kept / elements; }

    @Override
    public synchronized String toString() {
        return String.format("kept %d/%d (%.3f), cache %d B, select %.3f ms", lastKept, lastElements,
                lastElements == 0 ? 0.0 : (double) lastKept / lastElements, lastBytes, meanSelectMillis());
    }
}
