package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.cpu.CpuBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dW = gᵀ·x̂ from the compact cache against a float64 reference, fp32 and bf16 values, odd sizes. */
class SparseWeightGradTest {
    private final int threadsBefore = CpuBackend.threads();

    @AfterEach
    void restoreThreads() {
        CpuBackend.setThreads(threadsBefore);
    }

    private static void check(int rows, int in, int out, double gamma, DType valueType, long seed) {
        Tensor x = Tensor.randn(new Generator(seed), rows, in);
        Tensor g = Tensor.randn(new Generator(seed + 100), rows, out);
        Tensor mask = DropItKernels.selectTopAbs(x, DropItKernels.keepCount((long) rows * in, gamma), "fc");
        Tensor values = DropItKernels.compact(x, mask, valueType);
        float[] xhat = DropItKernels.scatterMasked(values, mask, rows, in).toFloatArray(); // what backward should see
        float[] gv = g.toFloatArray();
        float[] dw = DropItKernels.sparseWeightGrad(g, values, mask, in).toFloatArray();
        assertEquals(out * in, dw.length);
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++) {
                double ref = 0, mag = 0;
                for (int m = 0; m < rows; m++) {
                    ref += (double) gv[m * out + o] * xhat[m * in + i];
                    mag += Math.abs((double) gv[m * out + o] * xhat[m * in + i]);
                }
                double bound = 4.0 * rows * Math.pow(2, -24) * mag + 1e-30;
                assertTrue(Math.abs(dw[o * in + i] - ref) <= bound,
                        "(" + rows + "," + in + "," + out + ") γ " + gamma + " " + valueType + " dW[" + o + "][" + i + "] " + dw[o * in + i] + " vs " + ref);
            }
    }

    @Test
    void matchesTheFloat64ReferenceOfGTransposeXhat() {
        check(37, 13, 5, 0.9, DType.FLOAT32, 1);
        check(64, 96, 33, 0.5, DType.FLOAT32, 2);
        check(50, 31, 7, 0.99, DType.BF16, 3);
        check(9, 4, 3, 0.0, DType.FLOAT32, 4);   // everything kept
        check(9, 4, 3, 1.0, DType.FLOAT32, 5);   // nothing kept: dW = 0
    }

    /** Enough work (k·out) for the CPU kernel to split the input features over pool tasks, ranges not on mask-word
     *  boundaries (in = 50, 37); out not a vector multiple. */
    @Test
    void largeLayersSplitOverTasksMatchTheReference() {
        CpuBackend.setThreads(3);
        check(300, 50, 70, 0.5, DType.FLOAT32, 9);
        check(400, 37, 100, 0.3, DType.BF16, 10);
        check(20000, 5, 64, 0.5, DType.FLOAT32, 13); // more work than features: one feature per task
    }

    @Test
    void sameResultForEveryThreadCount() {
        Tensor x = Tensor.randn(new Generator(11), 500, 40), g = Tensor.randn(new Generator(12), 500, 90);
        Tensor mask = DropItKernels.selectTopAbs(x, 12000, "fc");
        Tensor values = DropItKernels.compact(x, mask, DType.FLOAT32);
        float[] ref = null;
        for (int t : new int[]{1, 2, 3}) {
            CpuBackend.setThreads(t);
            float[] dw = DropItKernels.sparseWeightGrad(g, values, mask, 40).toFloatArray();
            if (ref == null) ref = dw;
            else org.junit.jupiter.api.Assertions.assertArrayEquals(ref, dw, "threads " + t);
        }
    }

    @Test
    void nonContiguousGradientIsAccepted() {
        Tensor x = Tensor.randn(new Generator(6), 20, 8);
        Tensor gT = Tensor.randn(new Generator(7), 6, 20).transpose(0, 1); // (20, 6) view
        Tensor mask = DropItKernels.selectTopAbs(x, 40, "fc");
        Tensor values = DropItKernels.compact(x, mask, DType.FLOAT32);
        Tensor dense = gT.transpose(0, 1).matmul(DropItKernels.scatterMasked(values, mask, 20, 8));
        float[] a = DropItKernels.sparseWeightGrad(gT, values, mask, 8).toFloatArray(), b = dense.toFloatArray();
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-5 * (1 + Math.abs(b[i])));
    }

    @Test
    void refusesMismatchedShapes() {
        Tensor x = Tensor.randn(new Generator(8), 10, 4);
        Tensor mask = DropItKernels.selectTopAbs(x, 5, "fc");
        Tensor values = DropItKernels.compact(x, mask, DType.FLOAT32);
        assertThrows(IllegalArgumentException.class, () -> DropItKernels.sparseWeightGrad(Tensor.zeros(10, 3), values, mask, 5));
        assertThrows(IllegalArgumentException.class, () -> DropItKernels.sparseWeightGrad(Tensor.zeros(10, 3), values.narrow(0, 0, 4), mask, 4));
    }
}
