package io.github.dropitjvm.train.data;

/**
 * An in-place transform of one image (C×H×W floats in [0, 1], before normalization). Its randomness must come
 * only from (seed, epoch, index), so a run is reproducible and a resumed run sees the same images; it must keep
 * no mutable state, because a prefetching {@link Loader} calls it from its worker thread.
 */
@FunctionalInterface
public interface Augmentation {
    /**
     * Transforms image in place.
     *
     * @param seed the run's seed
     * @param epoch the epoch
     * @param index the image's index in its image set (not its position in the batch)
     */
    void apply(float[] image, int channels, int height, int width, long seed, int epoch, int index);

    /** Leaves images as they are (evaluation). */
    Augmentation NONE = (image, channels, height, width, seed, epoch, index) -> {};
}
