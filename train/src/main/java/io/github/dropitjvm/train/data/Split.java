package io.github.dropitjvm.train.data;

/** Train and test parts of a dataset. */
public record Split(ImageSet train, ImageSet test) {}
