package io.github.dropitjvm.tensor.device;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Storage;

/**
 * A device block from a GPU backend's {@link CachingAllocator}. {@link #close()} hands the block back to the
 * allocator's cache at once (deterministic release); the Cleaner of {@link Storage} does the same for a storage
 * nobody closed (a safety net). The backend's MemoryTracker counts {@link DType#bytesFor} of the length, like host
 * storage.
 *
 * @param <H> the driver's handle of the block
 */
public final class DeviceStorage<H> extends Storage {
    private final CachingAllocator.Block<H> block;

    private DeviceStorage(Backend backend, DType dtype, long length, CachingAllocator<H> allocator, CachingAllocator.Block<H> block) {
        super(backend, dtype, length, () -> allocator.free(block));
        this.block = block;
    }

    public static <H> DeviceStorage<H> allocate(Backend backend, CachingAllocator<H> allocator, DType dtype, long length) {
        if (length < 0) throw new IllegalArgumentException("storage: negative length " + length);
        CachingAllocator.Block<H> block = allocator.allocate(Math.max(4, dtype.bytesFor(length)));
        return new DeviceStorage<>(backend, dtype, length, allocator, block);
    }

    /** The driver's handle (cl_mem, CUdeviceptr); refused once closed. */
    public H handle() {
        checkOpen();
        return block.handle();
    }

    /** Bytes of the bucket this storage occupies on the device (>= {@link #bytes()}). */
    public long deviceBytes() {
        return block.bucket();
    }
}
