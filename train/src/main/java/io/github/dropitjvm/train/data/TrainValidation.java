package io.github.dropitjvm.train.data;

/**
 * A training set split into the part to train on and a held-out validation part (disjoint; together the whole
 * training set). Made by {@link Datasets#validationSplit(ImageSet, int, long)}.
 */
public record TrainValidation(ImageSet train, ImageSet validation) {}
