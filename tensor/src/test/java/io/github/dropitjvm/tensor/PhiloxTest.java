package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.RefBits;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Philox-4x32-10 against the known-answer vectors of Random123's kat_vectors file (counter, key → output):
 * <pre>
 * 00000000 00000000 00000000 00000000  00000000 00000000  → 6627e8d5 e169c58d bc57ac4c 9b00dbd8
 * ffffffff ffffffff ffffffff ffffffff  ffffffff ffffffff  → 408f276d 41c83b0e a20bc7c6 6d5451fd
 * 243f6a88 85a308d3 13198a2e 03707344  a4093822 299f31d0  → d16cfe09 94fdcceb 5001e420 24126ea1  (digits of π)
 * </pre>
 * The test-side reference implementation is checked against the same vectors, then main and reference are
 * compared on random inputs.
 */
class PhiloxTest {
    static final int[][][] KAT = {
            {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
            {{-1, -1, -1, -1}, {-1, -1}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
            {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };

    @Test
    void knownAnswerVectors() {
        for (int[][] v : KAT) {
            int[] c = v[0], k = v[1], out = new int[4];
            Philox.block(c[0], c[1], c[2], c[3], k[0], k[1], out);
            assertArrayEquals(v[2], out, "main Philox.block");
            assertEquals(v[2][0], Philox.first(c[0], c[1], c[2], c[3], k[0], k[1]), "main Philox.first");
            assertArrayEquals(v[2], RefBits.philox4x32x10(c, k), "test reference");
        }
    }

    @Test
    void mainAgreesWithTheReferenceOnRandomCountersAndKeys() {
        SplittableRandom rng = new SplittableRandom(0x5EED_0008L);
        int[] out = new int[4];
        for (int t = 0; t < 20_000; t++) {
            int[] c = {rng.nextInt(), rng.nextInt(), rng.nextInt(), rng.nextInt()}, k = {rng.nextInt(), rng.nextInt()};
            Philox.block(c[0], c[1], c[2], c[3], k[0], k[1], out);
            int[] expected = RefBits.philox4x32x10(c, k);
            assertArrayEquals(expected, out);
            assertEquals(expected[0], Philox.first(c[0], c[1], c[2], c[3], k[0], k[1]));
        }
    }

    @Test
    void uniformTakesTheTopTwentyFourBits() {
        assertEquals(0f, Philox.uniform(0));
        assertEquals(0f, Philox.uniform(0xFF), "the low 8 bits are dropped");
        assertEquals(0.5f, Philox.uniform(0x8000_0000));
        assertEquals(1 - 0x1p-24f, Philox.uniform(-1), "the largest value is below 1");
        assertTrue(Philox.uniform(-1) < 1f);
        SplittableRandom rng = new SplittableRandom(3);
        for (int t = 0; t < 10_000; t++) {
            int w = rng.nextInt();
            assertEquals((float) RefBits.uniform(w), Philox.uniform(w));
        }
    }
}
