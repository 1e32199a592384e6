package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradCheck;
import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

class LossesTest {
    private static final int[] TARGETS = {3, 0, 6, 6, 1};

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1, 0.5})
    void crossEntropyWithLabelSmoothing(double eps) {
        Tensor logits = randn(1, 5, 7).mul(2);
        Tensor targets = Tensor.fromArray(TARGETS, 5);
        assertForward("crossEntropy ε=" + eps, v -> Losses.crossEntropy(v[0], targets, eps), r -> Ref64.crossEntropy(r[0], TARGETS, eps),
                2e-6, 4e-6, logits);
        assertGradcheck("crossEntropy ε=" + eps, v -> Losses.crossEntropy(v[0], targets, eps), r -> Ref64.crossEntropy(r[0], TARGETS, eps), logits);
    }

    @Test
    void crossEntropyWithInt64TargetsAndATransposedView() {
        Tensor logits = randnT(2, 5, 7);
        Tensor targets = Tensor.fromArray(new long[]{3, 0, 6, 6, 1}, 5);
        assertForward("crossEntropy int64", v -> Losses.crossEntropy(v[0], targets, 0.1), r -> Ref64.crossEntropy(r[0], TARGETS, 0.1),
                2e-6, 4e-6, logits);
        assertGradcheck("crossEntropy int64 view", v -> Losses.crossEntropy(v[0], targets, 0.1), r -> Ref64.crossEntropy(r[0], TARGETS, 0.1), logits);
    }

    @Test
    void crossEntropyWithLargeLogitsStaysFinite() {
        Tensor logits = randn(3, 4, 6).mul(30);
        int[] t = {0, 5, 2, 3};
        Variable loss = assertForward("crossEntropy large", v -> Losses.crossEntropy(v[0], Tensor.fromArray(t, 4), 0.1),
                r -> Ref64.crossEntropy(r[0], t, 0.1), 1e-5, 1e-5, logits);
        assertTrue(Float.isFinite(loss.item()));
        assertGradcheck("crossEntropy large", v -> Losses.crossEntropy(v[0], Tensor.fromArray(t, 4), 0.1), r -> Ref64.crossEntropy(r[0], t, 0.1),
                new boolean[]{true}, new GradCheck.Tolerance(1e-3, 2e-4, 2e-3), logits);
    }

    @Test
    void crossEntropyRefusesBadTargetsAndArguments() {
        Variable logits = Variable.param(randn(4, 3, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> Losses.crossEntropy(logits, Tensor.fromArray(new int[]{0, 5, 1}, 3), 0.0),
                "a target equal to C must be refused");
        assertThrows(IndexOutOfBoundsException.class, () -> Losses.crossEntropy(logits, Tensor.fromArray(new int[]{0, -1, 1}, 3), 0.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(logits, Tensor.fromArray(new int[]{0, 1}, 2), 0.0));
        assertTrue(e.getMessage().contains("crossEntropy") && e.getMessage().contains("[2]") && e.getMessage().contains("[3, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(logits, Tensor.fromArray(new float[]{0, 1, 2}, 3), 0.0));
        assertTrue(e.getMessage().contains("INT32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(logits, Tensor.fromArray(new int[]{0, 1, 2}, 3), 1.5));
        assertTrue(e.getMessage().contains("label smoothing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(Variable.param(randn(5, 3, 5, 2)), Tensor.fromArray(new int[]{0, 1, 2}, 3), 0));
        assertTrue(e.getMessage().contains("(N, C)"), e.getMessage());
    }

    @Test
    void crossEntropyGradientIsSoftmaxMinusSmoothedTargetOverN() {
        // closed form, independent of gradcheck: d/dlogits = (softmax − q)/N
        Tensor logits = randn(6, 3, 4);
        int[] t = {2, 0, 3};
        double eps = 0.2;
        Variable x = Variable.param(logits);
        Losses.crossEntropy(x, Tensor.fromArray(t, 3), eps).backward();
        Ref64.T p = Ref64.softmax(ref(logits), 1);
        float[] g = x.grad().toFloatArray();
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < 4; c++) {
                double q = (c == t[i] ? 1 - eps : 0) + eps / 4;
                assertEquals((p.at(i, c) - q) / 3, g[i * 4 + c], 1e-6, "dlogits[" + i + "][" + c + "]");
            }
    }
}
