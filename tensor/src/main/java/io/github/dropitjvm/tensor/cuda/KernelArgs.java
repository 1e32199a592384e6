package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.device.DeviceBackend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Packs kernel arguments the way cuLaunchKernel wants them: {@code kernelParams} is an array of pointers, one per
 * parameter, each to a copy of that parameter's value (the driver knows each size from the module). Java values map to
 * the dialect's C types: Integer/Boolean → int, Long → i64, Float → float, Double → double, {@link Ptr} → a device
 * pointer, {@link DeviceBackend.View} → the 128-byte {@code View} struct of {@code prelude.h} ({@link DeviceBackend#packValue}).
 */
final class KernelArgs {
    private KernelArgs() {}

    /** A device pointer argument (the storage's base address; kernels add element offsets themselves). */
    record Ptr(long address) {}

    /** The kernelParams array for these arguments, allocated in {@code arena}. */
    static MemorySegment pack(Arena arena, Object... args) {
        MemorySegment params = arena.allocate(ADDRESS, Math.max(1, args.length));
        for (int i = 0; i < args.length; i++) params.setAtIndex(ADDRESS, i, value(arena, args[i]));
        return params;
    }

    /** One parameter's value in native memory. */
    static MemorySegment value(Arena a, Object v) {
        MemorySegment seg = DeviceBackend.packValue(a, v);
        if (seg != null) return seg;
        switch (v) {
            case Ptr p -> { seg = a.allocate(JAVA_LONG); seg.set(JAVA_LONG, 0, p.address()); }
            case null -> throw new IllegalArgumentException("cuda: null kernel argument");
            default -> throw new IllegalArgumentException("cuda: unsupported kernel argument " + v.getClass());
        }
        return seg;
    }

    /** Grid size in blocks for {@code global} work items in blocks of {@code block} (the kernels check their bound). */
    static long blocks(long global, long block) {
        return (global + block - 1) / block;
    }
}
