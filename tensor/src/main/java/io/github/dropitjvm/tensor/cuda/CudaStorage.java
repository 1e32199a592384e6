package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Storage;

/**
 * A device block from the backend's {@link CudaAllocator}. {@link #close()} hands the block back to the allocator's
 * cache at once (deterministic release); the Cleaner of {@link Storage} does the same for a storage nobody closed
 * (a safety net). The backend's MemoryTracker counts {@link DType#bytesFor} of the length, like host storage.
 */
public final class CudaStorage extends Storage {
    private final CudaAllocator.Block block;

    private CudaStorage(CudaBackend backend, DType dtype, long length, CudaAllocator allocator, CudaAllocator.Block block) {
        super(backend, dtype, length, () -> allocator.free(block));
        this.block = block;
    }

    static CudaStorage allocate(CudaBackend backend, CudaAllocator allocator, DType dtype, long length) {
        if (length < 0) throw new IllegalArgumentException("storage: negative length " + length);
        CudaAllocator.Block block = allocator.allocate(Math.max(4, dtype.bytesFor(length)));
        return new CudaStorage(backend, dtype, length, allocator, block);
    }

    /** The CUdeviceptr; refused once closed. */
    long ptr() {
        checkOpen();
        return block.ptr();
    }

    /** Bytes of the bucket this storage occupies on the device (>= {@link #bytes()}). */
    public long deviceBytes() {
        return block.bucket();
    }
}
