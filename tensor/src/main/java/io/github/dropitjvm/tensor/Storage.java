package io.github.dropitjvm.tensor;

import java.lang.ref.Cleaner;

/**
 * A flat, typed buffer owned by one backend. Tensors are views (shape, strides, offset) onto a storage; several
 * tensors may share one. The storage carries the version counter that in-place ops bump, so autograd can tell
 * that a tensor it saved was modified (all views of a storage share it, as in PyTorch).
 *
 * <p>Accounting: the exact {@link DType#bytesFor} size is added to the backend's {@link MemoryTracker} at
 * allocation and removed exactly once, by {@link #close()} or, for storages nobody closed, by a {@link Cleaner}
 * after the garbage collector found the storage unreachable.
 */
public abstract class Storage implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Backend backend;
    private final DType dtype;
    private final long length;
    private final Cleaner.Cleanable cleanable;
    private final VersionCounter version = new VersionCounter();
    private volatile boolean closed;

    /**
     * @param release what frees the underlying memory; must not reference this storage (it runs after the
     *                storage became unreachable). Accounting is done here, not by {@code release}.
     */
    protected Storage(Backend backend, DType dtype, long length, Runnable release) {
        if (length < 0) throw new IllegalArgumentException("storage: negative length " + length);
        this.backend = backend;
        this.dtype = dtype;
        this.length = length;
        long bytes = dtype.bytesFor(length);
        MemoryTracker tracker = backend.memory();
        tracker.allocated(bytes);
        this.cleanable = CLEANER.register(this, () -> {
            tracker.released(bytes);
            if (release != null) release.run();
        });
    }

    public final Backend backend() {
        return backend;
    }

    public final DType dtype() {
        return dtype;
    }

    /** Number of elements (bits for {@link DType#BIT}). */
    public final long length() {
        return length;
    }

    /** Exact bytes this storage occupies. */
    public final long bytes() {
        return dtype.bytesFor(length);
    }

    /** Version counter value; bumped by every in-place write through a tensor. */
    public final int version() {
        return version.get();
    }

    public final void bumpVersion() {
        version.bump();
    }

    /**
     * The counter object itself: autograd keeps it (not the storage) beside a saved tensor, so it can detect an
     * in-place write without keeping the data alive.
     */
    public final VersionCounter versionCounter() {
        return version;
    }

    public final boolean isClosed() {
        return closed;
    }

    /** Releases the memory now (deterministic release); later use is an error. Idempotent. */
    @Override
    public void close() {
        closed = true;
        cleanable.clean();
    }

    protected final void checkOpen() {
        if (closed) throw new IllegalStateException("storage of " + length + " " + dtype + " elements on " + backend.name() + " was already closed");
    }
}
