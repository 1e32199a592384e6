package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Packs kernel arguments the way cuLaunchKernel wants them: {@code kernelParams} is an array of pointers, one per
 * parameter, each to a copy of that parameter's value (the driver knows each size from the module). Java values map to
 * the dialect's C types: Integer/Boolean → int, Long → i64, Float → float, Double → double, {@link Ptr} → a device
 * pointer, {@link View} → the 128-byte {@code View} struct of {@code prelude.h}.
 */
final class KernelArgs {
    private KernelArgs() {}

    static final int VIEW_BYTES = 128;

    /** A device pointer argument (the storage's base address; kernels add element offsets themselves). */
    record Ptr(long address) {}

    /** A strided view argument: packed into the kernels' View struct. */
    record View(int[] shape, long[] strides, long offset) {
        static View of(Tensor t) {
            return new View(t.shape(), t.strides(), t.offset());
        }
    }

    /** The kernelParams array for these arguments, allocated in {@code arena}. */
    static MemorySegment pack(Arena arena, Object... args) {
        MemorySegment params = arena.allocate(ADDRESS, Math.max(1, args.length));
        for (int i = 0; i < args.length; i++) params.setAtIndex(ADDRESS, i, value(arena, args[i]));
        return params;
    }

    /** One parameter's value in native memory. */
    static MemorySegment value(Arena a, Object v) {
        MemorySegment seg;
        switch (v) {
            case Integer x -> { seg = a.allocate(JAVA_INT); seg.set(JAVA_INT, 0, x); }
            case Long x -> { seg = a.allocate(JAVA_LONG); seg.set(JAVA_LONG, 0, x); }
            case Float x -> { seg = a.allocate(JAVA_FLOAT); seg.set(JAVA_FLOAT, 0, x); }
            case Double x -> { seg = a.allocate(JAVA_DOUBLE); seg.set(JAVA_DOUBLE, 0, x); }
            case Boolean x -> { seg = a.allocate(JAVA_INT); seg.set(JAVA_INT, 0, x ? 1 : 0); }
            case Ptr p -> { seg = a.allocate(JAVA_LONG); seg.set(JAVA_LONG, 0, p.address()); }
            case View vw -> seg = view(a, vw);
            case null -> throw new IllegalArgumentException("cuda: null kernel argument");
            default -> throw new IllegalArgumentException("cuda: unsupported kernel argument " + v.getClass());
        }
        return seg;
    }

    static MemorySegment view(Arena a, View v) {
        int r = v.shape().length;
        if (r > Shape.MAX_RANK) throw new IllegalArgumentException("cuda: rank " + r + " exceeds " + Shape.MAX_RANK);
        MemorySegment s = a.allocate(VIEW_BYTES, 8);
        long numel = 1;
        for (int d = 0; d < r; d++) {
            s.setAtIndex(JAVA_LONG, d, v.shape()[d]);
            s.setAtIndex(JAVA_LONG, Shape.MAX_RANK + d, v.strides()[d]);
            numel *= v.shape()[d];
        }
        s.setAtIndex(JAVA_LONG, 2 * Shape.MAX_RANK, v.offset());
        s.setAtIndex(JAVA_LONG, 2 * Shape.MAX_RANK + 1, r);
        s.setAtIndex(JAVA_LONG, 2 * Shape.MAX_RANK + 2, numel);
        return s;
    }

    /** Grid size in blocks for {@code global} work items in blocks of {@code block} (the kernels check their bound). */
    static long blocks(long global, long block) {
        return (global + block - 1) / block;
    }
}
