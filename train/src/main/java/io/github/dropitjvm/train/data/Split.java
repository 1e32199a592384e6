package io.github.dropitjvm.train.data;

/** Train and test parts of a dataset (see {@link Datasets#validationSplit} for a validation part of train). */
public record Split(ImageSet train, ImageSet test) {}
