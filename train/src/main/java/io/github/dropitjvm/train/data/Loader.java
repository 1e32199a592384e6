package io.github.dropitjvm.train.data;

import io.github.dropitjvm.tensor.Philox;
import io.github.dropitjvm.tensor.Tensor;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Batches of an {@link ImageSet}: a seeded shuffle per epoch (a pure function of seed and epoch), optional
 * augmentation, normalization. {@link #epoch(int, int)} can start mid-epoch, which is how a resumed run continues
 * exactly where it stopped.
 */
public final class Loader {
    private final ImageSet data;
    private final int batchSize;
    private final boolean shuffle, dropLast;
    private final long seed;
    private final Augmentation augmentation;
    private final Normalization normalization;

    public Loader(ImageSet data, int batchSize, boolean shuffle, boolean dropLast, long seed, Augmentation augmentation,
                  Normalization normalization) {
        if (batchSize <= 0) throw new IllegalArgumentException("loader: batch size must be positive, got " + batchSize);
        if (normalization.mean().length != data.channels() || normalization.std().length != data.channels())
            throw new IllegalArgumentException("loader: normalization has " + normalization.mean().length + " channels, data " + data.channels());
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
        this.augmentation = augmentation;
        this.normalization = normalization;
    }

    public ImageSet data() {
        return data;
    }

    public int batchesPerEpoch() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The visiting order of an epoch: a Fisher–Yates shuffle driven by Philox(seed; epoch, step). */
    public int[] order(int epoch) {
        int n = data.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        if (!shuffle) return idx;
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int i = n - 1; i > 0; i--) {
            long r = Integer.toUnsignedLong(Philox.first(i, 0, epoch, 0x5eed, k0, k1));
            int j = (int) ((r * (i + 1)) >>> 32);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return idx;
    }

    /** Batches of the epoch, starting at batch startBatch. */
    public Iterator<Batch> epoch(int epoch, int startBatch) {
        int[] order = order(epoch);
        int batches = batchesPerEpoch();
        return new Iterator<>() {
            int b = startBatch;

            @Override
            public boolean hasNext() {
                return b < batches;
            }

            @Override
            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException();
                int from = b * batchSize, to = Math.min(order.length, from + batchSize);
                return make(epoch, b++, order, from, to);
            }
        };
    }

    private Batch make(int epoch, int index, int[] order, int from, int to) {
        int c = data.channels(), h = data.height(), w = data.width(), per = c * h * w, plane = h * w;
        int bs = to - from;
        float[] images = new float[bs * per];
        int[] labels = new int[bs];
        float[] img = new float[per];
        byte[] px = data.pixels();
        for (int j = 0; j < bs; j++) {
            int i = order[from + j];
            for (int p = 0; p < per; p++) img[p] = (px[i * per + p] & 0xFF) / 255f;
            if (augmentation != null) augmentation.apply(img, c, h, w, seed, epoch, i);
            for (int ch = 0; ch < c; ch++) {
                float m = normalization.mean()[ch], s = normalization.std()[ch];
                for (int p = 0; p < plane; p++) images[j * per + ch * plane + p] = (img[ch * plane + p] - m) / s;
            }
            labels[j] = data.labels()[i];
        }
        return new Batch(Tensor.fromArray(images, bs, c, h, w), Tensor.fromArray(labels, bs), epoch, index);
    }
}
