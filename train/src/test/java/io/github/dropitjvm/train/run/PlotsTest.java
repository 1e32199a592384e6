package io.github.dropitjvm.train.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
    @TempDir
    Path tmp;

    /** The compare.png that led to this: accuracies 93.49..93.97 were labelled 93.5, 93.6, ... at lines 0.09 apart. */
    @Test
    void ticksOfAnAccuracyRangeAreRoundValuesLabelledExactly() {
        double[] t = Plots.ticks(93.4693, 94.0013, 5);
        assertArrayEquals(new double[] {93.5, 93.6, 93.7, 93.8, 93.9, 94.0}, t, 1e-9);
        assertEquals("93.5", Plots.tickLabel(t[0], t));
        assertEquals("94.0", Plots.tickLabel(t[5], t));
        double[] u = Plots.ticks(93.50, 93.62, 5);
        assertArrayEquals(new double[] {93.50, 93.52, 93.54, 93.56, 93.58, 93.60, 93.62}, u, 1e-9);
        assertEquals("93.56", Plots.tickLabel(u[3], u));
        double[] steps = Plots.ticks(0, 6435, 5);
        assertArrayEquals(new double[] {0, 1000, 2000, 3000, 4000, 5000, 6000}, steps, 0);
        assertEquals("6000", Plots.tickLabel(steps[6], steps));
        double[] neg = Plots.ticks(-0.013, 0.011, 5);
        assertEquals("0.000", Plots.tickLabel(neg[2], neg)); // no "-0.000"
    }

    @Test
    void ticksAreMultiplesOfARoundStepInsideTheRangeForAnyRange() {
        Random r = new Random(7);
        for (int trial = 0; trial < 2000; trial++) {
            double lo = (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(12) - 4);
            double hi = lo + r.nextDouble() * Math.pow(10, r.nextInt(12) - 6) + 1e-9;
            if (hi - lo < 1e-6 * Math.abs(lo)) continue; // values equal to 7 digits: beyond what a chart shows
            int target = 3 + r.nextInt(6);
            double[] t = Plots.ticks(lo, hi, target);
            String range = "[" + lo + ", " + hi + "] target " + target;
            assertTrue(t.length >= 2 && t.length <= 3 * target + 1, range + ": " + t.length + " ticks");
            double step = t[1] - t[0];
            double round = 0; // the step as 1, 2 or 5 × 10^k (t[1] - t[0] carries the rounding of the subtraction)
            for (int k = (int) Math.floor(Math.log10(step)) - 1; k <= (int) Math.floor(Math.log10(step)) + 1; k++)
                for (double m : new double[] {1, 2, 5})
                    if (Math.abs(step - m * Math.pow(10, k)) <= 1e-6 * step) round = m * Math.pow(10, k);
            assertTrue(round > 0, range + ": step " + step);
            for (double v : t) {
                assertTrue(v >= lo - 1e-9 * step && v <= hi + 1e-9 * step, range + ": tick " + v + " outside");
                assertEquals(Math.rint(v / round), v / round, 1e-6, range + ": tick " + v + " not a multiple of " + round);
                // the label, read back, is the tick's value to well within a step
                assertEquals(v, Double.parseDouble(Plots.tickLabel(v, t)), step * 1e-3, range);
            }
        }
    }

    @Test
    void emptyRangesAndTooFewTicksAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Plots.ticks(1, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> Plots.ticks(2, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> Plots.ticks(0, 1, 2));
    }

    @Test
    void chartWritesAPngOfTheDrawnSize() throws Exception {
        Path f = tmp.resolve("c.png");
        Plots.chart(f, "t", "x", "y", List.of(new Plots.Series("s", new double[] {1, 2, 3}, new double[] {93.5, 93.9, 93.7},
                new double[] {0.05, 0.01, 0}, true)));
        BufferedImage img = ImageIO.read(f.toFile());
        assertEquals(900, img.getWidth());
        assertEquals(560, img.getHeight());
    }
}
