package io.github.dropitjvm.autograd;

import io.github.dropitjvm.autograd.ops.Elementwise;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

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
}
