package io.github.dropitjvm.tensor.opencl;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Storage;

import java.lang.foreign.MemorySegment;

/**
 * A device buffer from the backend's {@link ClAllocator}. {@link #close()} hands the buffer back to the allocator's
 * cache at once (deterministic release); the Cleaner of {@link Storage} does the same for a storage nobody closed
 * (a safety net). The backend's MemoryTracker counts {@link DType#bytesFor} of the length, like host storage.
 */
public final class OpenClStorage extends Storage {
    private final ClAllocator.Block block;

    private OpenClStorage(OpenClBackend backend, DType dtype, long length, ClAllocator allocator, ClAllocator.Block block) {
        super(backend, dtype, length, () -> allocator.free(block));
        this.block = block;
    }

    static OpenClStorage allocate(OpenClBackend backend, ClAllocator allocator, DType dtype, long length) {
        if (length < 0) throw new IllegalArgumentException("storage: negative length " + length);
        ClAllocator.Block block = allocator.allocate(Math.max(4, dtype.bytesFor(length)));
        return new OpenClStorage(backend, dtype, length, allocator, block);
    }

    /** The cl_mem handle; refused once closed. */
    MemorySegment mem() {
        checkOpen();
        return block.mem();
    }

    /** Bytes of the bucket this storage occupies on the device (>= {@link #bytes()}). */
    public long deviceBytes() {
        return block.bucket();
    }
}
