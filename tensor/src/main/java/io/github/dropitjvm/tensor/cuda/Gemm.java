package io.github.dropitjvm.tensor.cuda;

/**
 * Layout arithmetic for handing a row-major strided GEMM to column-major cuBLAS (host-side, tested without a GPU).
 * A row-major (rows, cols) matrix with row stride ld is, read column-major, its transpose with leading dimension ld
 * (op N in the swapped product); a transposed view (row stride 1, column stride ld) is, read column-major, the
 * matrix itself (op T).
 */
final class Gemm {
    private Gemm() {}

    /** cuBLAS operation and leading dimension of one operand. */
    record Operand(int op, long ld) {}

    /**
     * The operand for a (rows, cols) matrix with strides (rowStride, colStride), or null when cuBLAS cannot take it
     * without a copy.
     */
    static Operand operand(long rowStride, long colStride, int rows, int cols) {
        if (rows <= 1 && cols <= 1) return new Operand(Cuda.CUBLAS_OP_N, Math.max(1, cols));
        if ((colStride == 1 || cols <= 1) && (rows <= 1 || rowStride >= Math.max(1, cols))) {
            long ld = rows <= 1 ? Math.max(1, cols) : rowStride;
            return ld <= Integer.MAX_VALUE ? new Operand(Cuda.CUBLAS_OP_N, ld) : null;
        }
        if ((rowStride == 1 || rows <= 1) && (cols <= 1 || colStride >= Math.max(1, rows))) {
            long ld = cols <= 1 ? Math.max(1, rows) : colStride;
            return ld <= Integer.MAX_VALUE ? new Operand(Cuda.CUBLAS_OP_T, ld) : null;
        }
        return null;
    }

    /**
     * The one stride s with offset(batch index b, flattened row-major) = b·s, or -1 when the batch dimensions do not
     * flatten (0 for no batch, or a batch broadcast with stride 0 everywhere).
     */
    static long batchStride(int[] shape, long[] strides) {
        long s = -2, expected = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 1) continue;
            if (s == -2) {
                s = strides[d];
                if (s < 0) return -1;
                expected = s * shape[d];
            } else {
                if (strides[d] != expected) return -1;
                expected *= shape[d];
            }
        }
        return s == -2 ? 0 : s;
    }
}
