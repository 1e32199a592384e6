package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Storage;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.Arrays;

/**
 * Heap storage: one primitive array (float[] FLOAT32, int[] INT32 and BIT words, long[] INT64, short[] BF16),
 * so -Xmx bounds a run and the garbage collector frees what nothing references.
 */
public final class CpuStorage extends Storage {
    private Object array;

    private CpuStorage(CpuBackend backend, DType dtype, long length, Object array) {
        super(backend, dtype, length, null);
        this.array = array;
    }

    /**
     * {@code jdk.internal.misc.Unsafe.allocateUninitializedArray(Class, int)} bound to the Unsafe instance, or null
     * when java.base does not export jdk.internal.misc to us (the JVM needs
     * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}, which the launcher and the build pass). C2
     * intrinsifies it as an array allocation without the zeroing, but only when it allocates the array inline in
     * the thread's TLAB: measured on JDK 25, up to 16 KB with default TLAB sizing, while arrays of 512 KB and more
     * take the VM's slow path, which zeroes them as any array (ARCHITECTURE.md, "Results without zero fill").
     * Interpreted and C1 code always get a zeroed array.
     */
    private static final MethodHandle UNINITIALIZED = uninitializedArrayAllocator();
    /**
     * Test switch ({@code -Ddropit.cpu.poisonUninitialized=true}): fill "uninitialised" float storages with NaN (int
     * ones with 0x7fc00000), so a kernel that leaves an element of such an output unwritten fails the op tests
     * instead of passing on a lucky zero.
     */
    private static final boolean POISON = Boolean.getBoolean("dropit.cpu.poisonUninitialized");

    /** Whether results skip the zero fill in this JVM (jdk.internal.misc is exported to us). */
    static boolean skipsZeroFill() {
        return UNINITIALIZED != null;
    }

    private static MethodHandle uninitializedArrayAllocator() {
        try {
            Class<?> unsafe = Class.forName("jdk.internal.misc.Unsafe");
            MethodHandles.Lookup lookup = MethodHandles.lookup();   // a qualified export (to ALL-UNNAMED) is invisible to publicLookup
            Object instance = lookup.findStatic(unsafe, "getUnsafe", MethodType.methodType(unsafe)).invoke();
            return lookup.findVirtual(unsafe, "allocateUninitializedArray", MethodType.methodType(Object.class, Class.class, int.class))
                    .bindTo(instance);
        } catch (Throwable notExported) {
            return null;
        }
    }

    static CpuStorage allocate(CpuBackend backend, DType dtype, long length, boolean zeroed) {
        if (length > CpuBackend.MAX_ELEMENTS)
            throw new IllegalArgumentException("cpu: a storage of " + length + " " + dtype + " elements exceeds the limit of "
                    + CpuBackend.MAX_ELEMENTS + " elements (one Java array)");
        int n = (int) length;
        Object array;
        if (!zeroed && dtype != DType.BIT && (UNINITIALIZED != null || POISON)) {
            array = uninitialized(dtype, n);
        } else {
            array = switch (dtype) {
                case FLOAT32 -> new float[n];
                case INT32 -> new int[n];
                case INT64 -> new long[n];
                case BF16 -> new short[n];
                case BIT -> new int[(int) ((length + 31) >>> 5)];
            };
        }
        return new CpuStorage(backend, dtype, length, array);
    }

    private static Object uninitialized(DType dtype, int n) {
        Class<?> component = switch (dtype) {
            case FLOAT32 -> float.class;
            case INT32 -> int.class;
            case INT64 -> long.class;
            case BF16 -> short.class;
            case BIT -> throw new IllegalArgumentException("BIT storages are always zeroed");
        };
        Object array;
        try {
            array = UNINITIALIZED != null ? (Object) UNINITIALIZED.invokeExact(component, n) : Array.newInstance(component, n);
        } catch (Throwable t) {
            throw new IllegalStateException("cpu: uninitialised allocation of " + n + " " + dtype + " failed", t);
        }
        if (POISON) {
            switch (array) {
                case float[] f -> Arrays.fill(f, Float.NaN);
                case int[] i -> Arrays.fill(i, 0x7fc00000);
                case long[] l -> Arrays.fill(l, 0x7ff8000000000000L);
                case short[] s -> Arrays.fill(s, (short) 0x7fc0);
                default -> throw new IllegalStateException();
            }
        }
        return array;
    }

    public float[] floats() {
        checkOpen();
        return (float[]) array;
    }

    /** INT32 elements, or the 32-bit words of a BIT storage. */
    public int[] ints() {
        checkOpen();
        return (int[]) array;
    }

    public long[] longs() {
        checkOpen();
        return (long[]) array;
    }

    public short[] shorts() {
        checkOpen();
        return (short[]) array;
    }

    Object array() {
        checkOpen();
        return array;
    }

    @Override
    public void close() {
        super.close();
        array = null;
    }
}
