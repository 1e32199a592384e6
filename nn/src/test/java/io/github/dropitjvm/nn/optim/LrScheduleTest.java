package io.github.dropitjvm.nn.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LrScheduleTest {
    private static final double EPS = 1e-15;

    @Test
    void warmupCosineAtItsBoundaries() {
        LrSchedule s = new LrSchedule.WarmupCosine(1e-3, 10, 110, 1e-5);
        assertEquals(0.0, s.lr(0), EPS, "warm-up starts at 0");
        assertEquals(1e-4, s.lr(1), EPS);
        assertEquals(5e-4, s.lr(5), EPS);
        assertEquals(9e-4, s.lr(9), EPS);
        assertEquals(1e-3, s.lr(10), EPS, "base lr when warm-up ends");
        assertEquals((1e-3 + 1e-5) / 2, s.lr(60), EPS, "half way down the cosine: mean of base and min");
        assertEquals(1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + Math.cos(Math.PI * 0.25)), s.lr(35), EPS);
        assertEquals(1e-5, s.lr(110), EPS, "min lr at the end");
        assertEquals(1e-5, s.lr(10_000), EPS, "held after the end");
        for (long t = 11; t <= 110; t++) assertTrue(s.lr(t) <= s.lr(t - 1), "monotone after warm-up at " + t);
    }

    @Test
    void warmupCosineWithoutWarmupAndDegenerateLengths() {
        LrSchedule s = new LrSchedule.WarmupCosine(0.1, 0, 4, 0);
        assertEquals(0.1, s.lr(0), EPS);
        assertEquals(0.05, s.lr(2), 1e-15);
        assertEquals(0.0, s.lr(4), EPS);
        LrSchedule allWarmup = new LrSchedule.WarmupCosine(0.1, 10, 5, 0.01);
        assertEquals(0.05, allWarmup.lr(5), EPS);
        assertEquals(0.01, allWarmup.lr(10), EPS, "no cosine phase: min lr after warm-up");
        assertThrows(IllegalArgumentException.class, () -> s.lr(-1));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.WarmupCosine(-1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.WarmupCosine(1, -1, 1, 0));
    }

    @Test
    void stepLrDecaysAtEachMultipleOfStepSize() {
        LrSchedule s = new LrSchedule.StepLr(0.1, 30, 0.1);
        assertEquals(0.1, s.lr(0), EPS);
        assertEquals(0.1, s.lr(29), EPS);
        assertEquals(0.01, s.lr(30), 1e-17);
        assertEquals(0.01, s.lr(59), 1e-17);
        assertEquals(0.001, s.lr(60), 1e-18);
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.StepLr(0.1, 0, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.StepLr(0.1, 10, 0));
    }
}
