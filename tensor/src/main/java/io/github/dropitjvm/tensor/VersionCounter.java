package io.github.dropitjvm.tensor;

import java.util.concurrent.atomic.AtomicInteger;

/** A storage's in-place write counter, shared by all views of the storage. */
public final class VersionCounter {
    private final AtomicInteger value = new AtomicInteger();

    public int get() {
        return value.get();
    }

    void bump() {
        value.incrementAndGet();
    }
}
