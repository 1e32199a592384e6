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

    @Test
    void autoMeasuresBothPathsThenKeepsOneDecisionPerShape() {
        SparseWeightGrad.setMode(SparseWeightGrad.Mode.AUTO);
        for (int i = 0; i < SparseWeightGrad.TRIALS + 1; i++) check(Strategy.EXACT_MINK, CacheFormat.BITMASK_FP32, false, SparseWeightGrad.Mode.AUTO);
        var d = SparseWeightGrad.decisions().get(new SparseWeightGrad.Key(36, 24, 10, 85));
        assertNotNull(d);
        assertNotNull(d.sparse(), "decided after " + SparseWeightGrad.TRIALS + " trials");
        assertTrue(d.denseNanos() > 0 && d.sparseNanos() > 0 && d.denseNanos() < Long.MAX_VALUE && d.sparseNanos() < Long.MAX_VALUE);
        assertThrows(IllegalArgumentException.class, () -> SparseWeightGrad.parse("sometimes"));
    }
}
