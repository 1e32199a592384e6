package io.github.dropitjvm.autograd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Sanity of the float64 reference itself, against values worked out by hand or from tables. */
class Ref64Test {

    @Test
    void erfMatchesTabulatedValues() {
        // Abramowitz & Stegun table 7.1 / high-precision values
        assertEquals(0.5204998778130465, Ref64.erf(0.5), 1e-10);
        assertEquals(0.8427007929497149, Ref64.erf(1.0), 1e-10);
        assertEquals(0.9953222650189527, Ref64.erf(2.0), 1e-10);
        assertEquals(0.9999779095030014, Ref64.erf(3.0), 1e-10);
        assertEquals(-0.8427007929497149, Ref64.erf(-1.0), 1e-10);
        assertEquals(0.0, Ref64.erf(0.0));
        assertEquals(1.0, Ref64.erf(7.0));
    }

    @Test
    void geluAtKnownPoints() {
        assertEquals(0.8413447460685429, Ref64.gelu(1.0), 1e-10); // Φ(1)
        assertEquals(-0.15865525393145707, Ref64.gelu(-1.0), 1e-10);
        assertEquals(0.0, Ref64.gelu(0.0));
    }

    @Test
    void matmulBroadcastsBatches() {
        Ref64.T a = Ref64.of(new double[]{1, 2, 3, 4}, 1, 2, 2);     // [[1,2],[3,4]]
        Ref64.T b = Ref64.of(new double[]{1, 0, 0, 1, 2, 0, 0, 2}, 2, 2, 2); // I, 2I
        Ref64.T c = Ref64.matmul(a, b);
        assertArrayEquals(new int[]{2, 2, 2}, c.shape());
        assertArrayEquals(new double[]{1, 2, 3, 4, 2, 4, 6, 8}, c.v());
    }

    @Test
    void conv2dByHand() {
        // 1×1×3×3 input 1..9, 2×2 kernel of ones, stride 1, no padding: window sums
        Ref64.T x = Ref64.of(new double[]{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Ref64.T w = Ref64.of(new double[]{1, 1, 1, 1}, 1, 1, 2, 2);
        assertArrayEquals(new double[]{12, 16, 24, 28}, Ref64.conv2d(x, w, null, 1, 0).v());
        // padding 1, stride 2: corners of the padded input
        assertArrayEquals(new double[]{1, 5, 11, 28}, Ref64.conv2d(x, w, null, 2, 1).v());
        assertArrayEquals(new double[]{5, 6, 8, 9}, Ref64.maxPool2d(x, 2, 1, 0).v());
        assertArrayEquals(new double[]{0.25, 1.25, 2.75, 7}, Ref64.avgPool2d(x, 2, 2, 1).v());
    }

    @Test
    void shapesAndReductionsByHand() {
        Ref64.T x = Ref64.of(new double[]{1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new double[]{1, 4, 2, 5, 3, 6}, Ref64.transpose(x, 0, 1).v());
        assertArrayEquals(new double[]{5, 7, 9}, Ref64.sum(x, new int[]{0}, false).v());
        assertArrayEquals(new double[]{2, 5}, Ref64.mean(x, new int[]{1}, false).v());
        assertArrayEquals(new double[]{2, 5}, Ref64.select(x, 1, 1).v());
        assertArrayEquals(new double[]{1, 2, 3, 7, 4, 5, 6, 8}, Ref64.cat(1, x, Ref64.of(new double[]{7, 8}, 2, 1)).v());
        assertArrayEquals(new double[]{1, 1, 2, 2}, Ref64.expand(Ref64.of(new double[]{1, 2}, 2, 1), 2, 2).v());
    }

    @Test
    void crossEntropyOfUniformLogitsIsLogC() {
        Ref64.T logits = Ref64.zeros(3, 4);
        assertEquals(Math.log(4), Ref64.crossEntropy(logits, new int[]{0, 1, 2}, 0.0).v()[0], 1e-15);
        assertEquals(Math.log(4), Ref64.crossEntropy(logits, new int[]{0, 1, 2}, 0.3).v()[0], 1e-15);
    }
}
