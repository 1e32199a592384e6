package io.github.dropitjvm.train.data;

/**
 * An in-place transform of one image (C×H×W floats in [0, 1], before normalization). Its randomness must come
 * only from (seed, epoch, index), so a run is reproducible and a resumed run sees the same images.
 */
@FunctionalInterface
public interface Augmentation {
    void apply(float[] image, int channels, int height, int width, long seed, int epoch, int index);
}
