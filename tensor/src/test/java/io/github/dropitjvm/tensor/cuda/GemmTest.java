package io.github.dropitjvm.tensor.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Row-major strided GEMM operands → cuBLAS's column-major (op, ld), host-side. */
class GemmTest {
    @Test
    void rowMajorIsOpNAndATransposedViewIsOpT() {
        assertEquals(new Gemm.Operand(Cuda.CUBLAS_OP_N, 5), Gemm.operand(5, 1, 3, 5));   // contiguous (3, 5)
        assertEquals(new Gemm.Operand(Cuda.CUBLAS_OP_N, 8), Gemm.operand(8, 1, 3, 5));   // row padding
        assertEquals(new Gemm.Operand(Cuda.CUBLAS_OP_T, 3), Gemm.operand(1, 3, 3, 5));   // transpose of contiguous (5, 3)
        assertNull(Gemm.operand(10, 2, 3, 5));                                           // every other column
        assertNull(Gemm.operand(0, 1, 3, 5));                                            // rows broadcast
        assertEquals(new Gemm.Operand(Cuda.CUBLAS_OP_N, 5), Gemm.operand(999, 1, 1, 5)); // one row: its stride is irrelevant
        assertEquals(new Gemm.Operand(Cuda.CUBLAS_OP_N, 1), Gemm.operand(1, 7, 4, 1));   // one column
    }

    @Test
    void batchDimensionsFlattenToOneStrideOrNot() {
        assertEquals(0, Gemm.batchStride(new int[0], new long[0]));
        assertEquals(12, Gemm.batchStride(new int[]{2, 3}, new long[]{36, 12}));
        assertEquals(0, Gemm.batchStride(new int[]{2, 3}, new long[]{0, 0}));           // broadcast weight
        assertEquals(12, Gemm.batchStride(new int[]{1, 3}, new long[]{999, 12}));       // size-1 dims are free
        assertEquals(-1, Gemm.batchStride(new int[]{2, 3}, new long[]{12, 36}));        // permuted batch
        assertEquals(-1, Gemm.batchStride(new int[]{2, 3}, new long[]{12, 0}));         // partly broadcast
    }
}
