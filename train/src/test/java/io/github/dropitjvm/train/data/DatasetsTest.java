package io.github.dropitjvm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatasetsTest {

    @Test
    void miniSetLoadsWithTheRightCountsShapeAndBalancedClasses() {
        Split s = Datasets.load("fashion-mnist-mini", null);
        assertEquals(2000, s.train().size());
        assertEquals(500, s.test().size());
        for (ImageSet set : new ImageSet[] {s.train(), s.test()}) {
            assertEquals(1, set.channels());
            assertEquals(28, set.height());
            assertEquals(28, set.width());
            assertEquals(10, set.numClasses());
            int[] counts = new int[10];
            for (int l : set.labels()) counts[l]++;
            for (int c : counts) assertTrue(c >= set.size() / 10 * 3 / 4, "class balance " + java.util.Arrays.toString(counts));
        }
        assertEquals("fashion-mnist-mini-train", s.train().name());
        // real images, not blank: Fashion-MNIST's mean is about 0.286
        long sum = 0;
        for (byte b : s.train().pixels()) sum += b & 0xFF;
        double mean = sum / 255.0 / s.train().pixels().length;
        assertTrue(mean > 0.25 && mean < 0.33, "mean " + mean);
    }

    @Test
    void miniSetMatchesItsChecksumFiles() throws Exception {
        // SHA256SUMS lists the shipped .gz files; the loader checks the decoded bytes against MINI_SHA256.
        String sums;
        try (InputStream in = Datasets.class.getResourceAsStream(Datasets.MINI_RESOURCES + "SHA256SUMS")) {
            sums = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        int lines = 0;
        for (String line : sums.strip().split("\n")) {
            String[] p = line.split("\\s+\\*?");
            try (InputStream in = Datasets.class.getResourceAsStream(Datasets.MINI_RESOURCES + p[1])) {
                assertEquals(p[0], Checksums.sha256(in.readAllBytes()), p[1]);
            }
            lines++;
        }
        assertEquals(4, lines);
        for (int i = 0; i < 4; i++) {
            String res = Datasets.MINI_RESOURCES + IdxDataset.MNIST_FILE_NAMES.get(i) + ".gz";
            assertEquals(Datasets.MINI_SHA256.get(i), Checksums.sha256(Idx.decode(Datasets.class.getResourceAsStream(res), res)));
        }
        assertTrue(Datasets.class.getResource(Datasets.MINI_RESOURCES + "LICENSE") != null, "LICENSE is shipped");
    }

    @Test
    void syntheticStillLoads() {
        Split s = Datasets.load("synthetic", null);
        assertEquals(2000, s.train().size());
        assertEquals(500, s.test().size());
    }

    @Test
    void unknownNamesAreRefusedListingTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.load("cifar100", null));
        assertTrue(e.getMessage().contains("cifar100") && e.getMessage().contains("fashion-mnist"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Datasets.normalizationFor("nope"));
        assertThrows(IllegalArgumentException.class, () -> Datasets.augmentationFor("nope", true));
        assertThrows(IllegalArgumentException.class, () -> Datasets.defaultValidationSize("nope"));
    }

    @Test
    void normalizationConstantsPerDataset() {
        assertArrayEquals(new float[] {0.2860f}, Datasets.normalizationFor("fashion-mnist").mean());
        assertArrayEquals(new float[] {0.3530f}, Datasets.normalizationFor("fashion-mnist-mini").std());
        assertArrayEquals(new float[] {0.1307f}, Datasets.normalizationFor("mnist").mean());
        assertArrayEquals(new float[] {0.3081f}, Datasets.normalizationFor("mnist").std());
        assertArrayEquals(new float[] {0.4914f, 0.4822f, 0.4465f}, Datasets.normalizationFor("cifar10").mean());
        assertArrayEquals(new float[] {0.2470f, 0.2435f, 0.2616f}, Datasets.normalizationFor("cifar10").std());
        for (String n : Datasets.NAMES) Datasets.normalizationFor(n);
    }

    @Test
    void augmentationPerDataset() {
        assertEquals(new RandomCropFlip(2, true), Datasets.augmentationFor("fashion-mnist", true));
        assertEquals(new RandomCropFlip(2, false), Datasets.augmentationFor("mnist", true), "no flip for digits");
        assertEquals(new RandomCropFlip(4, true), Datasets.augmentationFor("cifar10", true));
        for (String n : Datasets.NAMES) assertSame(Augmentation.NONE, Datasets.augmentationFor(n, false));
    }

    @Test
    void validationSplitIsDeterministicDisjointAndComplete() {
        ImageSet train = Datasets.load("fashion-mnist-mini", null).train();
        int size = Datasets.defaultValidationSize("fashion-mnist-mini");
        assertEquals(200, size);
        assertEquals(5000, Datasets.defaultValidationSize("fashion-mnist"));
        TrainValidation a = Datasets.validationSplit(train, size, 42), b = Datasets.validationSplit(train, size, 42);
        assertEquals(200, a.validation().size());
        assertEquals(1800, a.train().size());
        assertArrayEquals(a.validation().pixels(), b.validation().pixels());
        assertArrayEquals(a.train().labels(), b.train().labels());
        // Identify images by their index: tag each image's first pixel cannot be unique, so split an index set.
        ImageSet indexed = indexedSet(train.size());
        TrainValidation s = Datasets.validationSplit(indexed, size, 42);
        Set<Integer> val = ids(s.validation()), rest = ids(s.train());
        assertEquals(200, val.size());
        assertEquals(1800, rest.size());
        Set<Integer> both = new HashSet<>(val);
        both.retainAll(rest);
        assertTrue(both.isEmpty(), "disjoint");
        Set<Integer> all = new HashSet<>(val);
        all.addAll(rest);
        assertEquals(2000, all.size(), "complete");
        assertNotEquals(val, ids(Datasets.validationSplit(indexed, size, 43).validation()), "another seed, another split");
        // the same seed on the real set picks the same positions as on the indexed set
        for (int j = 0; j < 5; j++) {
            int i = s.validation().labels()[j] * 256 + (s.validation().pixels()[j * 784] & 0xFF);
            assertEquals(train.labels()[i], a.validation().labels()[j]);
        }
        // not just the first or last 200
        assertFalse(val.equals(ids(indexed.first(200))));
    }

    @Test
    void validationSplitSizeIsChecked() {
        ImageSet t = indexedSet(10);
        assertThrows(IllegalArgumentException.class, () -> Datasets.validationSplit(t, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Datasets.validationSplit(t, 10, 1));
        assertEquals(9, Datasets.validationSplit(t, 9, 1).validation().size());
    }

    /** n 1×28×28 images whose index is label·256 + first pixel (labels 0..9 cover 2560 images). */
    static ImageSet indexedSet(int n) {
        byte[] px = new byte[n * 784];
        int[] lb = new int[n];
        for (int i = 0; i < n; i++) {
            lb[i] = i / 256;
            px[i * 784] = (byte) (i % 256);
        }
        return new ImageSet("indexed", px, lb, 1, 28, 28, 10);
    }

    static Set<Integer> ids(ImageSet s) {
        Set<Integer> ids = new HashSet<>();
        for (int j = 0; j < s.size(); j++) ids.add(s.labels()[j] * 256 + (s.pixels()[j * 784] & 0xFF));
        return ids;
    }
}
