package io.github.dropitjvm.dropit;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** γ warm-up, per-layer γ and the approximate min-k strategy, through real layers. */
class DropItScheduleTest {
    /** Two Linear layers in a row, both converted (first/last conversion on). */
    static final class Two extends Module {
        final Linear a, b;

        Two(Generator g) {
            a = child("a", new Linear(16, 16, true, g));
            b = child("b", new Linear(16, 4, true, g));
        }

        @Override
        protected Variable compute(Variable x) {
            return b.forward(a.forward(x));
        }
    }

    private static DropItConfig config(double gamma, Map<String, Double> perLayer, Strategy s, int warmup) {
        return new DropItConfig(gamma, perLayer, s, CacheFormat.BITMASK_FP32, false, 5, warmup, List.of(), List.of(), true);
    }

    @Test
    void warmupRampsGammaLinearlyFromZeroAndTheKeptCountFollows() {
        DropItConfig c = config(0.8, Map.of(), Strategy.EXACT_MINK, 4);
        assertEquals(0.0, c.gammaAt("a", 0));
        assertEquals(0.4, c.gammaAt("a", 2), 1e-12);
        assertEquals(0.8, c.gammaAt("a", 4));
        assertEquals(0.8, c.gammaAt("a", 100));
        Two m = new Two(new Generator(1));
        DropIt.convert(m, c);
        Tensor x = Tensor.randn(new Generator(2), 8, 16);
        DropItCache cache = DropIt.cacheOf(m.a);
        for (int step = 0; step < 6; step++) {
            m.forward(Variable.constant(x)).sum().backward();
            long n = 8 * 16;
            assertEquals(DropItKernels.keepCount(n, c.gammaAt("a", step)), cache.stats().lastKept(), "step " + step);
        }
        assertEquals(6, cache.stats().calls());
        assertEquals(128, cache.stats().lastElements());
    }

    @Test
    void perLayerGammaOverridesTheDefaultForThatLayerOnly() {
        DropItConfig c = config(0.9, Map.of("b", 0.25), Strategy.EXACT_MINK, 0);
        assertEquals(0.25, c.gammaAt("b", 0));
        assertEquals(0.9, c.gammaAt("a", 0));
        Two m = new Two(new Generator(3));
        DropIt.convert(m, c);
        m.forward(Variable.constant(Tensor.randn(new Generator(4), 8, 16))).sum().backward();
        assertEquals(DropItKernels.keepCount(128, 0.9), DropIt.cacheOf(m.a).stats().lastKept());
        assertEquals(DropItKernels.keepCount(128, 0.25), DropIt.cacheOf(m.b).stats().lastKept());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(0.5, Map.of("b", 1.5), Strategy.EXACT_MINK, 0));
        assertTrue(e.getMessage().contains("b"), e.getMessage());
    }

    @Test
    void approxMinkKeepsAThresholdSetWithinToleranceAndDwComesFromIt() {
        DropItConfig c = config(0.9, Map.of(), Strategy.APPROX_MINK, 0);
        Tensor x = Tensor.randn(new Generator(8), 256, 64);
        DropItPacker p = new DropItPacker(0.9, Strategy.APPROX_MINK, c.format(), false, 5, "fc", 0, 0, null);
        DropItPacker.Cache cache = (DropItPacker.Cache) p.pack(x, "linear", "fc");
        long n = x.numel(), k = DropItKernels.keepCount(n, 0.9), kept = cache.values().numel();
        assertTrue(Math.abs(kept - k) <= DropItKernels.approxKeepTolerance(n, k, DropItKernels.APPROX_SAMPLE), kept + " vs " + k);
        float[] xhat = p.unpack(cache).toFloatArray(), xv = x.toFloatArray();
        double minKept = Double.POSITIVE_INFINITY, maxDropped = 0;
        for (int i = 0; i < xv.length; i++) {
            if (xhat[i] != 0) {
                assertEquals(xv[i], xhat[i]);
                minKept = Math.min(minKept, Math.abs(xv[i]));
            } else maxDropped = Math.max(maxDropped, Math.abs(xv[i]));
        }
        assertTrue(maxDropped <= minKept);
        assertEquals(Strategy.APPROX_MINK, Strategy.parse("approx-mink"));
        // Through a layer: forward exact, dW = gᵀ·x̂.
        Two m = new Two(new Generator(9));
        DropIt.convert(m, c);
        Variable out = m.forward(Variable.constant(Tensor.randn(new Generator(10), 32, 16)));
        out.sum().backward();
        assertNotNull(m.a.weight().grad());
        assertTrue(DropIt.cacheOf(m.a).stats().lastKept() > 0);
    }
}
