package io.github.dropitjvm.tensor;

/**
 * Storages that earlier tests dropped without closing stay counted live until the Cleaner frees them, and it may do
 * so at any moment. A test that compares live bytes against a baseline takes that baseline from here, once
 * collections stop releasing anything, so that a release in the middle of the test cannot move it (CI once saw
 * an OpenCL baseline fall by 1.8 MB mid-loop).
 */
public final class LiveBytes {
    private LiveBytes() {}

    /** Live bytes once the same reading comes three times running between full collections (at most 10 s). */
    public static long settled(MemoryTracker m) {
        long last = -1, deadline = System.nanoTime() + 10_000_000_000L;
        for (int same = 0; same < 3 && System.nanoTime() < deadline; ) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the Cleaner", e);
            }
            long now = m.liveBytes();
            same = now == last ? same + 1 : 0;
            last = now;
        }
        return last;
    }
}
