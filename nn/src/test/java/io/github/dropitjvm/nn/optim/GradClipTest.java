package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.github.dropitjvm.nn.optim.OptimTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class GradClipTest {
    @Test
    void scalesEveryGradientByTheGlobalNorm() {
        Parameter a = param(1, 1), b = param(new int[]{2, 2}, 0, 0, 0, 0), c = param(7);
        grad(a, 3, 0);
        grad(b, 0, 4, 0, 0); // global norm sqrt(9 + 16) = 5; c has no gradient
        double norm = GradClip.clipGlobalNorm(List.of(a, b, c), 1.0);
        assertEquals(5.0, norm, 1e-6);
        double coef = 1.0 / (5.0 + 1e-6);
        assertClose(new double[]{3 * coef, 0}, a.grad(), 1e-7, "a");
        assertClose(new double[]{0, 4 * coef, 0, 0}, b.grad(), 1e-7, "b");
        assertNull(c.grad());
        assertEquals(1.0, GradClip.clipGlobalNorm(List.of(a, b, c), 10.0), 1e-6, "clipped norm is maxNorm (minus PyTorch's eps)");
    }

    @Test
    void leavesGradientsBelowTheLimitUntouched() {
        Parameter a = param(0, 0, 0);
        grad(a, 0.1, -0.2, 0.2);
        assertEquals(0.3, GradClip.clipGlobalNorm(List.of(a), 1.0), 1e-6);
        assertArrayEquals(f(0.1, -0.2, 0.2), a.grad().toFloatArray());
    }

    @Test
    void nonFiniteNormIsReportedAndGradientsKept() {
        Parameter a = param(0, 0);
        grad(a, Double.NaN, 1.0);
        assertTrue(Double.isNaN(GradClip.clipGlobalNorm(List.of(a), 1.0)));
        assertEquals(1.0f, a.grad().toFloatArray()[1]);
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(List.of(a), 0));
    }

    @Test
    void noGradientsMeansNormZero() {
        assertEquals(0.0, GradClip.clipGlobalNorm(List.of(param(1, 2)), 1.0));
    }
}
