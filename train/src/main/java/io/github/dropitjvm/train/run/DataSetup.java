package io.github.dropitjvm.train.run;

import io.github.dropitjvm.tensor.Philox;
import io.github.dropitjvm.train.data.Augmentation;
import io.github.dropitjvm.train.data.ImageSet;
import io.github.dropitjvm.train.data.Normalization;

/**
 * The trainer's seam onto the data package's per-dataset choices. Until {@code Datasets.augmentationFor},
 * {@code Datasets.normalizationFor} and {@code Datasets.validationSplit} exist, this uses no augmentation, no
 * normalization and its own seeded split; wiring those in is one line each here.
 */
public final class DataSetup {
    private DataSetup() {}

    /** Augmentation for the training (train = true) or evaluation loader; null for none. */
    public static Augmentation augmentation(String dataset, boolean train) {
        return null; // later: Datasets.augmentationFor(dataset, train)
    }

    public static Normalization normalization(String dataset, int channels) {
        return Normalization.none(channels); // later: Datasets.normalizationFor(dataset)
    }

    /** {train part, validation part}: a seeded random subset of {@code size} images is held out. */
    public static ImageSet[] validationSplit(ImageSet train, int size, long seed) {
        // later: Datasets.validationSplit(train, size, seed)
        int n = train.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int i = n - 1; i > 0; i--) {
            long r = Integer.toUnsignedLong(Philox.first(i, 0, 0x7a11, 0x5917, k0, k1));
            int j = (int) ((r * (i + 1)) >>> 32);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] val = java.util.Arrays.copyOfRange(idx, 0, size), rest = java.util.Arrays.copyOfRange(idx, size, n);
        java.util.Arrays.sort(val);
        java.util.Arrays.sort(rest);
        return new ImageSet[]{train.subset(train.name() + "-train", rest), train.subset(train.name() + "-val", val)};
    }
}
