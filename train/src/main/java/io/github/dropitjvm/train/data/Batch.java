package io.github.dropitjvm.train.data;

import io.github.dropitjvm.tensor.Tensor;

/**
 * One batch: FLOAT32 images (B, C, H, W), already augmented and normalized, and INT32 labels (B); epoch and
 * the index of this batch within the epoch, so a trainer can checkpoint its position.
 */
public record Batch(Tensor images, Tensor labels, int epoch, int index) {
    /** The number of images in the batch (the last batch of an epoch may be smaller). */
    public int size() {
        return labels.size(0);
    }
}
