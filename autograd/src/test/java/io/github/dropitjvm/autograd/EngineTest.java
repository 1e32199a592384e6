package io.github.dropitjvm.autograd;

import io.github.dropitjvm.autograd.ops.Conv;
import io.github.dropitjvm.autograd.ops.Elementwise;
import io.github.dropitjvm.autograd.ops.Linalg;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.autograd.ops.Norms;
import io.github.dropitjvm.autograd.ops.Shapes;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

class EngineTest {
    private static double[] mulRef(double[][] in) {
        double[] out = new double[in[0].length];
        for (int i = 0; i < out.length; i++) out[i] = in[0][i] * in[1][i];
        return out;
    }

    @Test
    void gradientsAccumulateOverRepeatedUse() {
        Variable x = Variable.param(Tensor.fromArray(new float[]{1, 2, 3}, 3));
        Variable y = x.mul(x).add(x).sum(); // d/dx (x² + x) = 2x + 1
        y.backward();
        assertArrayEquals(new float[]{3, 5, 7}, x.grad().toFloatArray());
    }

    /**
     * The engine adds contributions in place only into sums it allocated and has not handed to any backward yet:
     * never into a gradient a backward received or returned (a backward may pass it on, as "spy" does here, or
     * return it for two inputs, as add does). The loss is a left-nested sum, so its last terms reach the variables
     * first: h first gets a spy's gradient, then a slice; g first a spy's, then a whole use; k first the sum the
     * engine made for p (two uses), which p's spy passed on, then a whole use. Small integers: every sum is exact.
     */
    @Test
    void contributionsAreAddedInPlaceOnlyIntoTheEnginesOwnSums() {
        List<Tensor[]> seen = new ArrayList<>(); // {gradient a spy received and returned, its values then}
        java.util.function.UnaryOperator<Variable> spy = v -> {
            GradFn f = GradFn.of("spy", v);
            return f.output(v.data(), g -> {
                seen.add(new Tensor[]{g, g.copy()});
                return new Tensor[]{g};
            });
        };
        float[] xs = new float[12];
        for (int i = 0; i < 12; i++) xs[i] = i - 5;
        Variable x = Variable.param(Tensor.fromArray(xs, 4, 3));
        Variable h = x.mul(2), g = x.mul(3), k = spy.apply(h), p = spy.apply(k);
        Variable loss = k.mul(1).mul(1).mul(1).mul(1).mul(1).mul(1).mul(19).sum()
                .add(spy.apply(spy.apply(p)).mul(3).sum()).add(p.mul(5).sum())
                .add(g.mul(29).sum())
                .add(Shapes.narrow(h, 0, 0, 3).mul(7).sum()).add(Shapes.narrow(h, 0, 2, 2).mul(11).sum())
                .add(Shapes.select(h, 0, 1).mul(13).sum())
                .add(spy.apply(g).mul(23).sum()).add(spy.apply(h).mul(17).sum());
        loss.backward();
        float[] want = new float[12];
        for (int i = 0; i < 12; i++) {
            int row = i / 3;
            want[i] = 2 * (19 + 3 + 5 + (row < 3 ? 7 : 0) + (row >= 2 ? 11 : 0) + (row == 1 ? 13 : 0) + 17) + 3 * (29 + 23);
        }
        assertArrayEquals(want, x.grad().toFloatArray());
        assertEquals(6, seen.size());
        for (Tensor[] t : seen) assertArrayEquals(t[1].toFloatArray(), t[0].toFloatArray(), "a gradient a backward returned was added into");
    }

    @Test
    void secondBackwardWithoutRetainGraphIsRefused() {
        Variable x = Variable.param(Tensor.fromArray(new float[]{1, 2}, 2));
        Variable y = x.mul(x).sum();
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void retainGraphAllowsASecondBackward() {
        Variable x = Variable.param(Tensor.fromArray(new float[]{1, 2}, 2));
        Variable y = x.mul(x).sum();
        y.backward(true);
        y.backward(true);
        assertArrayEquals(new float[]{4, 8}, x.grad().toFloatArray());
    }

    @Test
    void inPlaceModificationOfASavedTensorIsRefused() {
        Tensor data = Tensor.fromArray(new float[]{1, 2}, 2);
        Variable x = Variable.param(Tensor.fromArray(new float[]{3, 4}, 2));
        Variable c = Variable.constant(data);
        Variable y = x.mul(c).sum();
        data.fillInPlace(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("modified in place") && e.getMessage().contains("mul"), e.getMessage());
    }

    @Test
    void noGradRecordsAndSavesNothing() {
        Variable x = Variable.param(Tensor.ones(4));
        try (BackwardMemory m = BackwardMemory.track(); var ng = GradMode.noGrad()) {
            Variable y = x.mul(x).gelu();
            assertFalse(y.requiresGrad());
            assertEquals(0, m.report().activationBytes());
        }
    }

    @Test
    void bytesHeldCountEachStorageOnceAndFreeAfterBackward() {
        Variable x = Variable.param(Tensor.randn(new Generator(1), 8, 16));
        Variable c = Variable.constant(Tensor.randn(new Generator(2), 8, 16));
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable h = c.mul(x);                 // saves c (512 B); not x, which only c's gradient would need
            Variable r = h.relu();                  // saves a 1-bit mask: 128 bits = 16 B
            Variable loss = r.gelu().sum();         // gelu saves its input r: 512 B
            BackwardMemory.Report rep = m.report();
            assertEquals(512 + 16 + 512, rep.activationBytes(), rep.toString());
            assertEquals(0, rep.parameterBytes());
            loss.backward();
            assertEquals(0, m.report().activationBytes());
        }
    }

    @Test
    void gradcheckPassesForMulAndFailsForAWrongBackward() {
        Tensor a = Tensor.randn(new Generator(3), 5), b = Tensor.randn(new Generator(4), 5);
        GradCheck.Result ok = GradCheck.check(v -> Elementwise.mul(v[0], v[1]), EngineTest::mulRef,
                new Tensor[]{a, b}, new boolean[]{true, true}, GradCheck.Tolerance.DEFAULT, 7);
        assertTrue(ok.passed(), ok.detail());
        GradCheck.Result bad = GradCheck.check(v -> {
            GradFn f = GradFn.of("wrong-mul", v[0], v[1]);
            SavedTensor sa = f.save(v[0]), sb = f.save(v[1]);
            return f.output(v[0].data().mul(v[1].data()), g -> new Tensor[]{g.mul(sb.get()).mul(1.01), g.mul(sa.get()).mul(1.01)});
        }, EngineTest::mulRef, new Tensor[]{a, b}, new boolean[]{true, true}, GradCheck.Tolerance.DEFAULT, 7);
        assertFalse(bad.passed());
    }

    // ------------------------------------------------------------------ accumulation

    @Test
    void gradientsAccumulateThroughADiamond() {
        // y = tanh(x); out = Σ exp(y) + y·y: two branches meet at y; d/dx = (exp(y) + 2y)(1 − y²)
        float[] xs = {-1.2f, -0.3f, 0.4f, 1.1f, 2.0f};
        Variable x = Variable.param(Tensor.fromArray(xs, 5));
        Variable y = x.tanh();
        Variable out = y.exp().add(y.mul(y)).sum();
        out.backward();
        float[] g = x.grad().toFloatArray();
        for (int i = 0; i < xs.length; i++) {
            double t = Math.tanh(xs[i]);
            assertEquals((Math.exp(t) + 2 * t) * (1 - t * t), g[i], 1e-5, "element " + i);
        }
    }

    @Test
    void aLeafUsedManyTimesWithBroadcastingGetsTheSumOfItsContributions() {
        // b (3) is added to every row of A (4, 3), multiplied into A and summed on its own: d/db_j = 4 + Σ_i A_ij + 1
        Tensor at = OpCheck.randn(1, 4, 3);
        Variable a = Variable.constant(at), b = Variable.param(OpCheck.randn(2, 3));
        a.add(b).sum().add(a.mul(b).sum()).add(b.sum()).backward();
        float[] av = at.toFloatArray(), g = b.grad().toFloatArray();
        for (int j = 0; j < 3; j++) {
            double col = 0;
            for (int i = 0; i < 4; i++) col += av[i * 3 + j];
            assertEquals(5 + col, g[j], 1e-5, "element " + j);
        }
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Variable x = Variable.param(Tensor.fromArray(new float[]{1, -2, 3}, 3));
        x.mul(x).sum().backward();
        x.mul(x).sum().backward();
        assertArrayEquals(new float[]{4, -8, 12}, x.grad().toFloatArray());
        x.zeroGrad();
        assertNull(x.grad());
        x.mul(3.0).sum().backward();
        assertArrayEquals(new float[]{3, 3, 3}, x.grad().toFloatArray());
    }

    @Test
    void setGradReplacesTheGradientAndBackwardAddsToIt() {
        Variable x = Variable.param(Tensor.fromArray(new float[]{1, 2}, 2));
        x.setGrad(Tensor.fromArray(new float[]{10, 20}, 2));
        x.mul(x).sum().backward();
        assertArrayEquals(new float[]{12, 24}, x.grad().toFloatArray());
        x.setGrad(null);
        assertNull(x.grad());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.setGrad(Tensor.zeros(3)));
        assertTrue(e.getMessage().contains("[3]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void theFirstAccumulatedGradientIsACopyNotTheIncomingTensor() {
        // add passes the same gradient tensor to both inputs; each leaf must own its gradient
        Variable x = Variable.param(Tensor.ones(3)), y = Variable.param(Tensor.ones(3));
        Tensor gOut = Tensor.fromArray(new float[]{1, 2, 3}, 3);
        x.add(y).backward(gOut, false);
        assertNotSame(x.grad(), y.grad());
        assertNotSame(gOut, x.grad());
        x.grad().addInPlace(Tensor.ones(3));
        assertArrayEquals(new float[]{1, 2, 3}, y.grad().toFloatArray());
        assertArrayEquals(new float[]{1, 2, 3}, gOut.toFloatArray());
    }

    // ------------------------------------------------------------------ explicit gradients, detach

    @Test
    void backwardWithAnExplicitGradient() {
        Tensor c = OpCheck.randn(3, 2, 3), gOut = OpCheck.randn(4, 2, 3);
        Variable x = Variable.param(OpCheck.randn(5, 2, 3));
        x.mul(Variable.constant(c)).backward(gOut, false);
        assertArrayEquals(gOut.mul(c).toFloatArray(), x.grad().toFloatArray());
    }

    @Test
    void backwardRefusesAMismatchedOrMissingGradient() {
        Variable x = Variable.param(OpCheck.randn(6, 2, 3));
        Variable y = x.mul(2.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.zeros(3, 2), false));
        assertTrue(e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, y::backward);
        assertTrue(e.getMessage().contains("one-element"), e.getMessage());
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> Variable.constant(Tensor.ones(1)).backward());
        assertTrue(s.getMessage().contains("require"), s.getMessage());
    }

    @Test
    void detachStopsGradients() {
        Variable x = Variable.param(Tensor.fromArray(new float[]{1, 2, 3}, 3));
        Variable d = x.detach();
        assertFalse(d.requiresGrad());
        assertTrue(d.isLeaf());
        assertSame(x.data(), d.data(), "detach shares the data");
        x.mul(d).sum().backward(); // d/dx (x · stop(x)) = x, not 2x
        assertArrayEquals(new float[]{1, 2, 3}, x.grad().toFloatArray());

        Variable z = Variable.param(Tensor.fromArray(new float[]{0.5f, -1}, 2));
        Variable h = z.exp();
        h.mul(h.detach()).sum().backward(); // d/dz exp(z)·stop(exp(z)) = exp(2z)
        assertArrayEquals(new float[]{(float) Math.exp(1), (float) Math.exp(-2)}, z.grad().toFloatArray(), 1e-6f);

        Variable q = Variable.param(Tensor.ones(3)), r = Variable.param(Tensor.ones(3));
        q.mul(2.0).detach().add(r).sum().backward();
        assertNull(q.grad(), "nothing flows behind a detach");
        assertArrayEquals(new float[]{1, 1, 1}, r.grad().toFloatArray());
    }

    // ------------------------------------------------------------------ determinism

    /** One training step of a small CNN (conv, BN, ReLU, pool, dropout, linear, LN, GELU, CE); its parameter gradients. */
    private static List<float[]> stepGradients(long seed) {
        Generator g = new Generator(seed);
        Variable conv = Variable.param(Tensor.randn(g, 4, 3, 3, 3).mul(0.3)), convB = Variable.param(Tensor.randn(g, 4).mul(0.1));
        Variable bnW = Variable.param(Tensor.ones(4)), bnB = Variable.param(Tensor.zeros(4));
        Variable fc = Variable.param(Tensor.randn(g, 10, 36).mul(0.2)), fcB = Variable.param(Tensor.zeros(10));
        Variable lnW = Variable.param(Tensor.ones(10)), lnB = Variable.param(Tensor.zeros(10));
        Variable head = Variable.param(Tensor.randn(g, 5, 10).mul(0.3));
        Variable input = Variable.constant(Tensor.randn(g, 6, 3, 7, 7));
        float[] u = Tensor.rand(g, 6).toFloatArray();
        int[] targets = new int[6];
        for (int i = 0; i < 6; i++) targets[i] = (int) (u[i] * 5);

        Variable h = Conv.conv2d(input, conv, convB, 1, 1);
        h = Elementwise.relu(Norms.batchNorm(h, bnW, bnB, null, null, true, 1e-5));
        h = Shapes.reshape(Conv.maxPool2d(h, 2, 2, 0), 6, 36);
        h = Elementwise.dropout(h, 0.2, true, seed, 0, 0);
        h = Elementwise.gelu(Norms.layerNorm(Linalg.linear(h, fc, fcB), new int[]{10}, lnW, lnB, 1e-5));
        Losses.crossEntropy(Linalg.linear(h, head, null), Tensor.fromArray(targets, 6), 0.1).backward();
        List<float[]> grads = new ArrayList<>();
        for (Variable p : new Variable[]{conv, convB, bnW, bnB, fc, fcB, lnW, lnB, head}) grads.add(p.grad().toFloatArray());
        return grads;
    }

    @Test
    void sameSeedGivesBitIdenticalGradients() {
        List<float[]> a = stepGradients(42), b = stepGradients(42), c = stepGradients(43);
        boolean anyDifferent = false;
        for (int p = 0; p < a.size(); p++) {
            float[] x = a.get(p), y = b.get(p);
            for (int i = 0; i < x.length; i++)
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), "parameter " + p + " element " + i);
            anyDifferent |= !java.util.Arrays.equals(x, c.get(p));
        }
        assertTrue(anyDifferent, "another seed should give other gradients");
    }

    @Test
    void concurrentStepsOnSeparateThreadsGiveTheSerialGradients() throws Exception {
        List<float[]> serial = stepGradients(7);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<List<float[]>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) futures.add(pool.submit(() -> stepGradients(7)));
            for (var f : futures) {
                List<float[]> g = f.get();
                for (int p = 0; p < serial.size(); p++) assertArrayEquals(serial.get(p), g.get(p), "parameter " + p);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aVeryDeepChainNeedsNoRecursion() {
        // the engine's traversal is iterative: 20 000 nodes must not overflow the stack
        Variable x = Variable.param(Tensor.fromArray(new float[]{1, 2}, 2));
        Variable y = x;
        for (int i = 0; i < 20_000; i++) y = y.add(0.5);
        y.mul(3.0).sum().backward();
        assertArrayEquals(new float[]{3, 3}, x.grad().toFloatArray());
    }

    // ------------------------------------------------------------------ refusals

    @Test
    void inPlaceModificationOfASavedActivationIsRefusedNamingOpAndModule() {
        Variable x = OpCheck.activation(OpCheck.randn(7, 3, 4));
        Variable loss;
        try (var s = ModuleScope.enter("blocks.1.mlp")) {
            loss = Elementwise.gelu(x).sum();
        }
        x.data().narrow(0, 1, 1).fillInPlace(0); // a write through a view bumps the shared storage's version
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        String m = e.getMessage();
        assertTrue(m.contains("gelu") && m.contains("blocks.1.mlp") && m.contains("[3, 4]") && m.contains("modified in place"), m);
    }

    @Test
    void inPlaceModificationOfATensorNoOpSavedIsAllowed() {
        Tensor c = OpCheck.randn(8, 3);
        Variable x = Variable.param(OpCheck.randn(9, 3));
        Variable loss = x.add(Variable.constant(c)).sum(); // add keeps nothing
        c.fillInPlace(7);
        loss.backward();
        assertArrayEquals(new float[]{1, 1, 1}, x.grad().toFloatArray());
    }

    @Test
    void backwardThroughASubgraphAnotherBackwardFreedIsRefusedNamingTheOp() {
        Variable x = Variable.param(OpCheck.randn(10, 3));
        Variable h = x.exp();
        Variable a = h.sum(), b = h.mul(2.0).sum();
        a.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, b::backward);
        assertTrue(e.getMessage().contains("exp") && e.getMessage().contains("retainGraph"), e.getMessage());

        Variable x2 = Variable.param(OpCheck.randn(10, 3));
        Variable h2 = x2.exp();
        h2.sum().backward(true);
        h2.mul(2.0).sum().backward();
        assertArrayEquals(h2.data().mul(3).toFloatArray(), x2.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void aBackwardReturningAWrongShapeOrCountIsRefusedNamingTheOp() {
        Variable x = Variable.param(OpCheck.randn(11, 2, 3));
        GradFn f = GradFn.of("bad-shape", x);
        Variable y = f.output(x.data().mul(2), g -> new Tensor[]{g.reshape(6)});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().contains("bad-shape") && e.getMessage().contains("[6]") && e.getMessage().contains("[2, 3]"), e.getMessage());
        GradFn f2 = GradFn.of("bad-count", x);
        Variable y2 = f2.output(x.data().mul(2), g -> new Tensor[]{g, g});
        e = assertThrows(IllegalStateException.class, () -> y2.sum().backward());
        assertTrue(e.getMessage().contains("bad-count") && e.getMessage().contains("2 gradients"), e.getMessage());
    }

    @Test
    void aNodeNoGradientReachesIsStillReleased() {
        Variable x = Variable.param(OpCheck.randn(12, 4));
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable h = x.exp(); // saves its output
            GradFn f = GradFn.of("blocks-gradient", h);
            Variable y = f.output(h.data().copy(), g -> new Tensor[]{null});
            assertEquals(16, m.report().activationBytes());
            y.sum().backward();
            assertNull(x.grad());
            assertEquals(0, m.report().activationBytes());
        }
    }

    @Test
    void gradModeScopesNestAndArePerThread() throws Exception {
        assertTrue(GradMode.isEnabled());
        try (var off = GradMode.noGrad()) {
            assertFalse(GradMode.isEnabled());
            AtomicBoolean other = new AtomicBoolean();
            Thread t = new Thread(() -> other.set(GradMode.isEnabled()));
            t.start();
            t.join();
            assertTrue(other.get(), "another thread keeps grad mode on");
            Variable x = Variable.param(Tensor.ones(2));
            assertFalse(x.mul(x).requiresGrad());
            try (var on = GradMode.enableGrad()) {
                assertTrue(GradMode.isEnabled());
                assertTrue(x.mul(x).requiresGrad());
            }
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
    }

    // ------------------------------------------------------------------ a composite graph

    @Test
    void gradcheckThroughACompositeBlock() {
        // h = linear(x); n = LN(h); a = softmax(n·nᵀ); z = a·gelu(n) + h; loss = CE(linear(z), t, 0.1)
        int[] t = {1, 3, 0};
        Tensor x = OpCheck.randn(20, 3, 4), w1 = OpCheck.randn(21, 5, 4), b1 = OpCheck.randn(22, 5),
                lnW = OpCheck.randn(23, 5), lnB = OpCheck.randn(24, 5), w2 = OpCheck.randn(25, 4, 5);
        Tensor targets = Tensor.fromArray(t, 3);
        OpCheck.assertGradcheck("composite block", v -> {
            Variable h = Linalg.linear(v[0], v[1], v[2]);
            Variable n = Norms.layerNorm(h, new int[]{5}, v[3], v[4], 1e-5);
            Variable a = Norms.softmax(Linalg.matmul(n, Shapes.transpose(n, 0, 1)), -1);
            Variable z = Elementwise.add(Linalg.matmul(a, Elementwise.gelu(n)), h);
            return Losses.crossEntropy(Linalg.linear(z, v[5], null), targets, 0.1);
        }, r -> {
            Ref64.T h = Ref64.linear(r[0], r[1], r[2]);
            Ref64.T n = Ref64.layerNorm(h, 1, r[3], r[4], 1e-5);
            Ref64.T a = Ref64.softmax(Ref64.matmul(n, Ref64.transpose(n, 0, 1)), -1);
            Ref64.T z = Ref64.add(Ref64.matmul(a, Ref64.gelu(n)), h);
            return Ref64.crossEntropy(Ref64.linear(z, r[5], null), t, 0.1);
        }, x, w1, b1, lnW, lnB, w2);
    }
}
