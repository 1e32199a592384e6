package io.github.dropitjvm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RandomCropFlipTest {
    static float[] image(int c, int h, int w) {
        float[] x = new float[c * h * w];
        for (int i = 0; i < x.length; i++) x[i] = (i % 251 + 1) / 252f; // all distinct within a plane, none zero
        return x;
    }

    static float[] applied(Augmentation a, int c, int h, int w, long seed, int epoch, int index) {
        float[] x = image(c, h, w);
        a.apply(x, c, h, w, seed, epoch, index);
        return x;
    }

    /** The reference transform: out(y, x) = in(y + dy, (mirror ? w-1-x : x) + dx), zero outside. */
    static float[] shifted(float[] in, int c, int h, int w, int dy, int dx, boolean mirror) {
        float[] out = new float[in.length];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int sy = y + dy, sx = (mirror ? w - 1 - x : x) + dx;
                    out[ch * h * w + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? in[ch * h * w + sy * w + sx] : 0f;
                }
        return out;
    }

    /** Which (dy, dx, mirror) the augmented image is; fails if it is none of the allowed ones. */
    static String which(float[] out, int c, int h, int w, int pad, boolean flip) {
        float[] in = image(c, h, w);
        for (int dy = -pad; dy <= pad; dy++)
            for (int dx = -pad; dx <= pad; dx++)
                for (boolean m : flip ? new boolean[] {false, true} : new boolean[] {false})
                    if (Arrays.equals(out, shifted(in, c, h, w, dy, dx, m))) return dy + "," + dx + "," + m;
        throw new AssertionError("not a crop" + (flip ? "/flip" : "") + " with padding " + pad);
    }

    @Test
    void sameSeedEpochIndexGivesTheSameImage() {
        Augmentation a = new RandomCropFlip(4, true);
        for (int index = 0; index < 20; index++)
            assertArrayEquals(applied(a, 3, 32, 32, 7, 3, index), applied(a, 3, 32, 32, 7, 3, index));
    }

    @Test
    void seedEpochAndIndexEachChangeTheDraw() {
        Augmentation a = new RandomCropFlip(2, true);
        Set<String> byIndex = new HashSet<>(), byEpoch = new HashSet<>(), bySeed = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            byIndex.add(which(applied(a, 1, 28, 28, 1, 0, i), 1, 28, 28, 2, true));
            byEpoch.add(which(applied(a, 1, 28, 28, 1, i, 0), 1, 28, 28, 2, true));
            bySeed.add(which(applied(a, 1, 28, 28, i, 0, 0), 1, 28, 28, 2, true));
        }
        assertTrue(byIndex.size() > 10 && byEpoch.size() > 10 && bySeed.size() > 10, byIndex + " " + byEpoch + " " + bySeed);
    }

    @Test
    void everyOutputIsAPaddedCropOrItsMirrorAndAllShiftsOccur() {
        Set<String> seen = new HashSet<>();
        int mirrored = 0, n = 2000;
        for (int i = 0; i < n; i++) {
            String k = which(applied(new RandomCropFlip(2, true), 2, 28, 28, 5, 1, i), 2, 28, 28, 2, true);
            seen.add(k);
            if (k.endsWith("true")) mirrored++;
        }
        assertEquals(5 * 5 * 2, seen.size(), "all 25 shifts, each with and without flip");
        assertTrue(mirrored > n * 0.4 && mirrored < n * 0.6, "about half flipped: " + mirrored);
    }

    @Test
    void withoutFlipNothingIsMirrored() {
        for (int i = 0; i < 500; i++)
            assertFalse(which(applied(new RandomCropFlip(2, false), 1, 28, 28, 9, 0, i), 1, 28, 28, 2, false).endsWith("true"));
    }

    @Test
    void paddingZeroWithoutFlipIsTheIdentity() {
        for (int i = 0; i < 50; i++) assertArrayEquals(image(1, 28, 28), applied(new RandomCropFlip(0, false), 1, 28, 28, 3, 2, i));
        assertThrows(IllegalArgumentException.class, () -> new RandomCropFlip(-1, true));
    }

    @Test
    void allChannelsMoveTogether() {
        float[] out = applied(new RandomCropFlip(4, true), 3, 32, 32, 11, 0, 17);
        which(out, 3, 32, 32, 4, true); // one (dy, dx, mirror) explains all three planes
    }
}
