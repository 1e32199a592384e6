package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.dropitjvm.nn.optim.OptimTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class AdamWTest {
    private static final double TOL = 2e-6;
    private static final double[][] GRADS = {{0.5, -1.25, 2.0, 1e-3}, {-0.75, 0.3, 1.1, -2e-3}, {0.2, 0.9, -2.5, 0.0}, {1.5, -0.1, 0.05, 4.0}};

    /**
     * Float64 AdamW in the textbook form of Loshchilov &amp; Hutter with PyTorch's placement of eps (after the
     * bias-corrected square root): p ← p − lr·wd·p; m̂ = m/(1−β1ᵗ); v̂ = v/(1−β2ᵗ); p ← p − lr·m̂/(√v̂ + eps).
     */
    private static double[] reference(double[] p0, double lr, double b1, double b2, double eps, double wd, int steps) {
        double[] p = p0.clone(), m = new double[p.length], v = new double[p.length];
        for (int t = 1; t <= steps; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = (float) GRADS[t - 1][i];
                p[i] = p[i] - lr * wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.pow(b1, t)), vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        return p;
    }

    @Test
    void severalStepsMatchFloat64Reference() {
        for (double[] cfg : new double[][]{{1e-3, 0.9, 0.999, 1e-8, 0.05}, {0.1, 0.8, 0.99, 1e-3, 0.0}, {0.01, 0.0, 0.5, 0.1, 0.3}}) {
            Parameter p = param(1.0, -2.0, 0.25, 3.5);
            double[] p0 = widen(p);
            AdamW opt = new AdamW(ParamGroups.single(Map.of("w", p), cfg[4]), cfg[0], cfg[1], cfg[2], cfg[3]);
            for (int t = 1; t <= GRADS.length; t++) {
                grad(p, GRADS[t - 1]);
                opt.step();
                assertClose(reference(p0, cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], t), p.data(), TOL,
                        "adamw " + java.util.Arrays.toString(cfg) + " step " + t);
            }
        }
    }

    @Test
    void firstStepMovesEachWeightByAboutLr() {
        // with m̂ = g and v̂ = g², the first Adam step is lr·sign(g) (up to eps): a classic sanity check
        Parameter p = param(0.0, 0.0);
        grad(p, 3.0, -1e-2);
        new AdamW(ParamGroups.single(Map.of("w", p), 0), 0.01, 0.9, 0.999, 1e-12).step();
        assertClose(new double[]{-0.01, 0.01}, p.data(), 1e-6, "first step");
    }

    @Test
    void decayIsDecoupledFromTheGradient() {
        // zero gradient: Adam's update is 0/(0+eps) = 0, so only the decoupled decay p·(1 − lr·wd) acts
        Parameter p = param(2.0, -4.0);
        grad(p, 0.0, 0.0);
        AdamW opt = new AdamW(ParamGroups.single(Map.of("w", p), 0.1), 0.5);
        opt.step();
        assertClose(new double[]{2.0 * 0.95, -4.0 * 0.95}, p.data(), 1e-7, "decay only");
    }

    @Test
    void biasCorrectionUsesEachParametersOwnStepCount() {
        Parameter a = param(1.0), b = param(1.0);
        Map<String, Parameter> named = new LinkedHashMap<>();
        named.put("a", a);
        named.put("b", b);
        AdamW opt = new AdamW(ParamGroups.single(named, 0), 0.1, 0.9, 0.999, 1e-8);
        grad(a, 1.0);
        opt.step(); // b has no gradient: skipped
        a.zeroGrad();
        grad(b, 1.0);
        opt.step(); // b's first update: its bias correction must use t = 1, so it moves by lr
        assertEquals(2, opt.steps());
        assertEquals(1.0 - 0.1, b.data().item(), 1e-6);
        assertEquals(1.0 - 0.1, a.data().item(), 1e-6, "a skipped on step 2");
        assertEquals(1L, opt.state().get("step.a").toLongArray()[0]);
        assertEquals(1L, opt.state().get("step.b").toLongArray()[0]);
    }

    @Test
    void stateHasDocumentedKeysAndResumesBitForBit() {
        Parameter a = param(new int[]{2, 2}, 1.0, -2.0, 0.25, 3.5), b = param(new int[]{2, 2}, 0, 0, 0, 0);
        AdamW oa = new AdamW(ParamGroups.single(Map.of("blocks.0.w", a), 0.05), 1e-2);
        AdamW ob = new AdamW(ParamGroups.single(Map.of("blocks.0.w", b), 0.05), 1e-2);
        for (int t = 0; t < 2; t++) {
            grad(a, GRADS[t][0], GRADS[t][1], GRADS[t][2], GRADS[t][3]);
            oa.step();
        }
        Map<String, Tensor> state = oa.state();
        assertEquals(List.of("step", "exp_avg.blocks.0.w", "exp_avg_sq.blocks.0.w", "step.blocks.0.w"), List.copyOf(state.keySet()));
        Map<String, Tensor> copied = new LinkedHashMap<>();
        state.forEach((k, v) -> copied.put(k, v.copy()));
        b.data().copyFrom(a.data());
        ob.loadState(copied);
        for (int t = 2; t < 4; t++) {
            grad(a, GRADS[t][0], GRADS[t][1], GRADS[t][2], GRADS[t][3]);
            grad(b, GRADS[t][0], GRADS[t][1], GRADS[t][2], GRADS[t][3]);
            oa.step();
            ob.step();
        }
        assertArrayEquals(a.data().toFloatArray(), b.data().toFloatArray());
        assertEquals(4, ob.steps());
    }

    @Test
    void badStateIsRefusedAndNothingChanges() {
        Parameter p = param(1.0, 2.0);
        AdamW opt = new AdamW(ParamGroups.single(Map.of("w", p), 0), 0.1);
        grad(p, 1.0, 1.0);
        opt.step();
        Map<String, Tensor> good = new LinkedHashMap<>();
        opt.state().forEach((k, v) -> good.put(k, v.copy()));
        float[] mBefore = opt.state().get("exp_avg.w").toFloatArray();

        Map<String, Tensor> wrongShape = new LinkedHashMap<>(good);
        wrongShape.put("exp_avg.w", Tensor.zeros(3));
        wrongShape.put("step", Tensor.fromArray(new long[]{7}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(wrongShape));
        assertTrue(e.getMessage().contains("exp_avg.w") && e.getMessage().contains("[3]") && e.getMessage().contains("[2]"), e.getMessage());

        Map<String, Tensor> unknown = new LinkedHashMap<>(good);
        unknown.put("exp_avg.nope", Tensor.zeros(2));
        unknown.put("momentum_buffer.w", Tensor.zeros(2));
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(unknown));
        assertTrue(e.getMessage().contains("exp_avg.nope") && e.getMessage().contains("momentum_buffer.w"), e.getMessage());

        Map<String, Tensor> incomplete = new LinkedHashMap<>(good);
        incomplete.remove("exp_avg_sq.w");
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(incomplete));
        assertTrue(e.getMessage().contains("incomplete state for parameter 'w'"), e.getMessage());

        Map<String, Tensor> noStep = new LinkedHashMap<>(good);
        noStep.remove("step");
        assertThrows(IllegalArgumentException.class, () -> opt.loadState(noStep));

        assertEquals(1, opt.steps());
        assertArrayEquals(mBefore, opt.state().get("exp_avg.w").toFloatArray());
    }

    @Test
    void invalidSettingsAreRefused() {
        Map<String, Parameter> named = Map.of("w", param(1.0));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(ParamGroups.single(named, 0), 0.1, 1.0, 0.999, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(ParamGroups.single(named, 0), 0.1, 0.9, -0.1, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(ParamGroups.single(named, 0), 0.1, 0.9, 0.999, -1));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(ParamGroups.single(named, 0), Double.NaN));
    }
}
