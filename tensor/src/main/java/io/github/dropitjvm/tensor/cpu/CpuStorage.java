package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Storage;

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

    static CpuStorage allocate(CpuBackend backend, DType dtype, long length) {
        if (length > CpuBackend.MAX_ELEMENTS)
            throw new IllegalArgumentException("cpu: a storage of " + length + " " + dtype + " elements exceeds the limit of "
                    + CpuBackend.MAX_ELEMENTS + " elements (one Java array)");
        int n = (int) length;
        Object array = switch (dtype) {
            case FLOAT32 -> new float[n];
            case INT32 -> new int[n];
            case INT64 -> new long[n];
            case BF16 -> new short[n];
            case BIT -> new int[(int) ((length + 31) >>> 5)];
        };
        return new CpuStorage(backend, dtype, length, array);
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
