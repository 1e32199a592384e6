package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static io.github.dropitjvm.nn.optim.OptimTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class SgdTest {
    private static final double TOL = 1e-6;
    private static final double[][] GRADS = {{0.5, -1.25, 2.0}, {-0.75, 0.3, 1.1}, {0.2, 0.9, -2.5}};

    /** Float64 reference of PyTorch's SGD, written out independently of the implementation. */
    private static double[] reference(double[] p0, double lr, double mu, double wd, boolean nesterov, int steps) {
        double[] p = p0.clone(), b = new double[p.length];
        for (int t = 0; t < steps; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = (float) GRADS[t][i] + wd * p[i];
                if (mu != 0) {
                    b[i] = t == 0 ? g : mu * b[i] + g;
                    g = nesterov ? g + mu * b[i] : b[i];
                }
                p[i] -= lr * g;
            }
        }
        return p;
    }

    private static void run(double lr, double mu, double wd, boolean nesterov) {
        Parameter p = param(1.0, -2.0, 0.25);
        double[] p0 = widen(p);
        Sgd opt = new Sgd(ParamGroups.single(Map.of("w", p), wd), lr, mu, nesterov);
        for (int t = 0; t < GRADS.length; t++) {
            grad(p, GRADS[t]);
            opt.step();
            assertClose(reference(p0, lr, mu, wd, nesterov, t + 1), p.data(), TOL,
                    "sgd lr " + lr + " μ " + mu + " wd " + wd + (nesterov ? " nesterov" : "") + " step " + (t + 1));
        }
        assertEquals(GRADS.length, opt.steps());
    }

    @Test
    void plainStepIsParamMinusLrTimesGrad() {
        Parameter p = param(1.0, -2.0, 0.25);
        grad(p, 0.5, -1.25, 2.0);
        new Sgd(ParamGroups.single(Map.of("w", p), 0), 0.1, 0, false).step();
        assertClose(new double[]{1.0 - 0.05, -2.0 + 0.125, 0.25 - 0.2}, p.data(), TOL, "plain sgd");
    }

    @Test
    void anOptimizerOfNoParametersIsRefused() {
        for (Supplier<Optimizer> make : List.<Supplier<Optimizer>>of(
                () -> new Sgd(ParamGroups.single(Map.of(), 0), 0.1, 0.9, false), () -> new AdamW(ParamGroups.single(Map.of(), 0), 1e-3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::get);
            assertTrue(e.getMessage().contains("no parameters"), e.getMessage());
        }
    }

    @Test
    void momentumWithWeightDecayMatchesReference() {
        run(0.1, 0.9, 0.01, false);
    }

    @Test
    void nesterovMatchesReference() {
        run(0.05, 0.9, 0.0, true);
        run(0.05, 0.8, 0.1, true);
    }

    @Test
    void firstMomentumBufferIsTheGradientItself() {
        // PyTorch clones g into the buffer on the first step; after one step momentum must not have shrunk the update
        Parameter p = param(0.0);
        grad(p, 2.0);
        Sgd opt = new Sgd(ParamGroups.single(Map.of("w", p), 0), 1.0, 0.9, false);
        opt.step();
        assertEquals(-2.0f, p.data().item());
        assertEquals(2.0f, opt.state().get("momentum_buffer.w").item());
    }

    @Test
    void parameterWithoutGradientIsSkipped() {
        Parameter used = param(1.0), unused = param(5.0);
        Map<String, Parameter> named = new LinkedHashMap<>();
        named.put("used", used);
        named.put("unused", unused);
        Sgd opt = new Sgd(ParamGroups.single(named, 0.5), 0.1, 0.9, false);
        grad(used, 1.0);
        opt.step();
        assertEquals(5.0f, unused.data().item(), "no gradient, no update (not even weight decay)");
        assertNull(opt.state().get("momentum_buffer.unused"));
        assertNotNull(opt.state().get("momentum_buffer.used"));
    }

    @Test
    void gradientFromAutogradDrivesTheStep() {
        // loss = Σ w·x  =>  dloss/dw = x
        Parameter w = param(1.0, 2.0, 3.0);
        Variable x = Variable.constant(Tensor.fromArray(f(0.5, -1.0, 4.0), 3));
        w.variable().mul(x).sum().backward();
        Sgd opt = new Sgd(ParamGroups.single(Map.of("w", w), 0), 0.5, 0, false);
        opt.step();
        assertClose(new double[]{1.0 - 0.25, 2.0 + 0.5, 3.0 - 2.0}, w.data(), TOL, "autograd sgd");
        opt.zeroGrad();
        assertNull(w.grad());
    }

    @Test
    void stateRoundTripResumesBitForBit() {
        Parameter a = param(1.0, -2.0, 0.25), b = param(1.0, -2.0, 0.25);
        Sgd oa = new Sgd(ParamGroups.single(Map.of("w", a), 0.01), 0.1, 0.9, true);
        Sgd ob = new Sgd(ParamGroups.single(Map.of("w", b), 0.01), 0.1, 0.9, true);
        for (int t = 0; t < 2; t++) {
            grad(a, GRADS[t]);
            oa.step();
        }
        b.data().copyFrom(a.data());
        Map<String, Tensor> state = new LinkedHashMap<>();
        oa.state().forEach((k, v) -> state.put(k, v.copy()));
        ob.loadState(state);
        assertEquals(2, ob.steps());
        grad(a, GRADS[2]);
        grad(b, GRADS[2]);
        oa.step();
        ob.step();
        assertArrayEquals(a.data().toFloatArray(), b.data().toFloatArray());
    }

    @Test
    void invalidSettingsAreRefused() {
        Map<String, Parameter> named = Map.of("w", param(1.0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(ParamGroups.single(named, 0), 0.1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(ParamGroups.single(named, 0), -0.1, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(ParamGroups.single(named, 0), 0.1, -0.5, false));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(ParamGroups.single(named, -1), 0.1, 0, false));
    }
}
