package io.github.dropitjvm.dropit;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The DropIT Linear backward through the sparse path: dW = dyᵀ·x̂ in float64, and the same as the dense path. */
class SparseWeightGradTest {
    @AfterEach
    void reset() {
        SparseWeightGrad.setMode(SparseWeightGrad.Mode.AUTO);
    }

    /** dW of a DropIT Linear (3-D input) under a mode, and the reference dyᵀ·x̂ in float64 from the same cache. */
    private static void check(Strategy strategy, CacheFormat format, boolean rescale, SparseWeightGrad.Mode mode) {
        if (SparseWeightGrad.mode() != mode) SparseWeightGrad.setMode(mode);
        Linear lin = new Linear(24, 10, true, new Generator(1));
        DropItCacheTest.One holder = new DropItCacheTest.One(lin);
        DropIt.convert(holder, new DropItConfig(0.85, Map.of(), strategy, format, rescale, 3, 0, List.of(), List.of(), true));
        Tensor x = Tensor.randn(new Generator(2), 4, 9, 24);
        Tensor dy = Tensor.randn(new Generator(3), 4, 9, 10);
        // x̂ as backward sees it: the packer run on the same input with the same step
        DropItPacker p = new DropItPacker(0.85, strategy, format, rescale, 3, "layer", 0, 0, null);
        float[] xhat = p.unpack(p.pack(x, "linear", "layer")).toFloatArray(), g = dy.toFloatArray();
        Variable y = holder.forward(Variable.constant(x));
        y.backward(dy, false);
        float[] dw = lin.weight().grad().toFloatArray();
        int rows = 36;
        for (int o = 0; o < 10; o++)
            for (int i = 0; i < 24; i++) {
                double ref = 0, mag = 0;
                for (int m = 0; m < rows; m++) {
                    ref += (double) g[m * 10 + o] * xhat[m * 24 + i];
                    mag += Math.abs((double) g[m * 10 + o] * xhat[m * 24 + i]);
                }
                assertTrue(Math.abs(dw[o * 24 + i] - ref) <= 4.0 * rows * Math.pow(2, -24) * mag + 1e-30,
                        strategy + " " + format + " " + mode + ": dW[" + o + "][" + i + "] " + dw[o * 24 + i] + " vs " + ref);
            }
    }

    @Test
    void sparseAndDensePathsBothGiveDyTransposeXhat() {
        for (SparseWeightGrad.Mode mode : SparseWeightGrad.Mode.values()) {
            check(Strategy.EXACT_MINK, CacheFormat.BITMASK_FP32, false, mode);
            check(Strategy.EXACT_MINK, CacheFormat.BITMASK_BF16, false, mode);
            check(Strategy.APPROX_MINK, CacheFormat.BITMASK_FP32, false, mode);
            check(Strategy.RANDOM, CacheFormat.BITMASK_FP32, true, mode);
            check(Strategy.EXACT_MINK, CacheFormat.INDEX32_FP32, false, mode); // declines: unpack + matmul
        }
    }

    /** dW of a fresh DropIT Linear at γ under a mode (the same weights, input and gradient every time). */
    private static float[] weightGrad(double gamma, SparseWeightGrad.Mode mode) {
        SparseWeightGrad.setMode(mode);
        Linear lin = new Linear(40, 24, true, new Generator(1));
        DropItCacheTest.One holder = new DropItCacheTest.One(lin);
        DropIt.convert(holder, new DropItConfig(gamma, Map.of(), Strategy.EXACT_MINK, CacheFormat.BITMASK_FP32, false, 3, 0, List.of(), List.of(), true));
        Variable y = holder.forward(Variable.constant(Tensor.randn(new Generator(2), 6, 50, 40)));
        y.backward(Tensor.randn(new Generator(3), 6, 50, 24), false);
        return lin.weight().grad().toFloatArray();
    }

    /** AUTO is a rule on the kept fraction, so the same run takes the same path every time; the paths round apart. */
    @Test
    void autoTakesTheSparsePathExactlyWhenFewInputsAreKept() {
        for (double gamma : new double[]{0.5, 0.9}) {
            float[] sparse = weightGrad(gamma, SparseWeightGrad.Mode.ALWAYS), dense = weightGrad(gamma, SparseWeightGrad.Mode.NEVER);
            assertFalse(java.util.Arrays.equals(sparse, dense), "γ " + gamma + ": the two paths round differently here");
            assertArrayEquals(gamma > 1 - SparseWeightGrad.MAX_SPARSE_KEPT ? sparse : dense, weightGrad(gamma, SparseWeightGrad.Mode.AUTO), "γ " + gamma);
        }
        SparseWeightGrad.setMode(SparseWeightGrad.Mode.AUTO);
        assertTrue(SparseWeightGrad.sparse(15, 100));
        assertFalse(SparseWeightGrad.sparse(16, 100));
        assertThrows(IllegalArgumentException.class, () -> SparseWeightGrad.parse("sometimes"));
    }
}
