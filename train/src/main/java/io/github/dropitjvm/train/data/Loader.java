package io.github.dropitjvm.train.data;

import io.github.dropitjvm.tensor.Philox;
import io.github.dropitjvm.tensor.Tensor;

import java.lang.ref.Cleaner;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Batches of an {@link ImageSet}: a seeded shuffle per epoch (a pure function of seed and epoch), optional
 * augmentation, normalization. {@link #epoch(int, int)} can start mid-epoch, which is how a resumed run continues
 * exactly where it stopped.
 *
 * <p>With {@link #withPrefetch(int)} a background thread (one per epoch iterator) makes the next batches while the
 * consumer trains on the current one; the batches are identical to the unprefetched ones, in the same order.
 * Close the {@link EpochIterator} when stopping before its end (try-with-resources); an iterator dropped without
 * closing is closed when it is garbage collected, and its thread ends.
 */
public final class Loader {
    private final ImageSet data;
    private final int batchSize;
    private final boolean shuffle, dropLast;
    private final long seed;
    private final Augmentation augmentation;
    private final Normalization normalization;
    private final int prefetch;

    /** The batches of one epoch; {@link #close()} stops a prefetching worker and frees its queue. */
    public interface EpochIterator extends Iterator<Batch>, AutoCloseable {
        /** Stops any background work; idempotent. After it, {@link #next()} throws. */
        @Override
        void close();
    }

    /**
     * A loader without prefetching.
     *
     * @param shuffle visit the images in a seeded random order per epoch ({@link #order(int)}); else in order
     * @param dropLast leave out a last batch smaller than batchSize
     * @param seed drives the shuffle and the augmentation
     * @param augmentation applied to each image before normalization; null or {@link Augmentation#NONE} for none
     * @param normalization applied after scaling the bytes to [0, 1]; one mean and std per channel
     */
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
        this.prefetch = 0;
    }

    private Loader(Loader l, int prefetch) {
        this.data = l.data;
        this.batchSize = l.batchSize;
        this.shuffle = l.shuffle;
        this.dropLast = l.dropLast;
        this.seed = l.seed;
        this.augmentation = l.augmentation;
        this.normalization = l.normalization;
        this.prefetch = prefetch;
    }

    /**
     * This loader, making up to depth batches ahead on one background thread per epoch iterator (0: none, the
     * batches are made in {@code next()}); 2 is a good value.
     */
    public Loader withPrefetch(int depth) {
        if (depth < 0) throw new IllegalArgumentException("loader: prefetch depth must be >= 0, got " + depth);
        return new Loader(this, depth);
    }

    /** How many batches are made ahead (0: no background thread). */
    public int prefetch() {
        return prefetch;
    }

    /** Images per batch (the last batch may hold fewer unless dropLast). */
    public int batchSize() {
        return batchSize;
    }

    /** The images this loader serves. */
    public ImageSet data() {
        return data;
    }

    /** Batches in one epoch: ceil(N / batch size), or floor with dropLast. */
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

    /**
     * Batches of the epoch, starting at batch startBatch (0..{@link #batchesPerEpoch()}). With prefetching, a
     * worker thread starts here; close the iterator if you stop before its end.
     */
    public EpochIterator epoch(int epoch, int startBatch) {
        int batches = batchesPerEpoch();
        if (startBatch < 0 || startBatch > batches)
            throw new IllegalArgumentException("loader: start batch " + startBatch + " outside [0, " + batches + "] for "
                    + data.name());
        int[] order = order(epoch);
        return prefetch == 0 ? new Direct(epoch, startBatch, batches, order) : new Prefetching(epoch, startBatch, batches, order);
    }

    private Batch batch(int epoch, int b, int[] order) {
        int from = b * batchSize, to = Math.min(order.length, from + batchSize);
        return make(epoch, b, order, from, to);
    }

    private final class Direct implements EpochIterator {
        private final int epoch, batches;
        private final int[] order;
        private int b;
        private boolean closed;

        Direct(int epoch, int start, int batches, int[] order) {
            this.epoch = epoch;
            this.b = start;
            this.batches = batches;
            this.order = order;
        }

        @Override
        public boolean hasNext() {
            return !closed && b < batches;
        }

        @Override
        public Batch next() {
            if (closed) throw new IllegalStateException("loader: epoch iterator of " + data.name() + " is closed");
            if (!hasNext()) throw new NoSuchElementException();
            return batch(epoch, b++, order);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicInteger WORKERS = new AtomicInteger();
    /** Name prefix of the prefetching worker threads. */
    public static final String WORKER_NAME = "dropit-loader-prefetch-";

    /** What the worker and the consumer share; the worker must not reach the iterator, so a dropped one is cleaned. */
    private static final class Shared {
        final BlockingQueue<Object> queue;
        volatile boolean closed;

        Shared(int depth) {
            queue = new ArrayBlockingQueue<>(depth);
        }
    }

    private record Failure(Throwable error) {}

    private final class Prefetching implements EpochIterator {
        private final int batches;
        private final Shared shared;
        private final Thread worker;
        private final Cleaner.Cleanable cleanable;
        private int b;
        private boolean closed;

        Prefetching(int epoch, int start, int batches, int[] order) {
            this.b = start;
            this.batches = batches;
            Shared sh = new Shared(prefetch);
            this.shared = sh;
            Loader loader = Loader.this;
            this.worker = Thread.ofPlatform().daemon().name(WORKER_NAME + WORKERS.incrementAndGet())
                    .unstarted(() -> work(loader, sh, epoch, start, batches, order));
            this.cleanable = CLEANER.register(this, () -> {
                sh.closed = true;
                sh.queue.clear();
            });
            if (start < batches) worker.start();
        }

        @Override
        public boolean hasNext() {
            return !closed && b < batches;
        }

        @Override
        public Batch next() {
            if (closed) throw new IllegalStateException("loader: epoch iterator of " + data.name() + " is closed");
            if (!hasNext()) throw new NoSuchElementException();
            Object o;
            try {
                o = shared.queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("loader: interrupted while waiting for a batch of " + data.name(), e);
            }
            if (o instanceof Failure(Throwable t)) {
                close();
                if (t instanceof RuntimeException re) throw re;
                if (t instanceof Error err) throw err;
                throw new IllegalStateException("loader: making a batch of " + data.name() + " failed", t);
            }
            b++;
            if (b == batches) cleanable.clean(); // the worker has finished; nothing to stop
            return (Batch) o;
        }

        @Override
        public void close() {
            closed = true;
            cleanable.clean();
            worker.interrupt();
            boolean interrupted = false;
            while (worker.isAlive()) {
                try {
                    worker.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** The worker's loop: make batches start..batches-1 in order and hand them over, until done or closed. */
    private static void work(Loader loader, Shared sh, int epoch, int start, int batches, int[] order) {
        try {
            for (int b = start; b < batches && !sh.closed; b++) {
                Object item;
                try {
                    item = loader.batch(epoch, b, order);
                } catch (Throwable t) {
                    item = new Failure(t);
                }
                while (!sh.queue.offer(item, 50, TimeUnit.MILLISECONDS))
                    if (sh.closed) return;
                if (item instanceof Failure) return;
            }
        } catch (InterruptedException e) {
            // closed: end quietly
        }
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
