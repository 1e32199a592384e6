package io.github.dropitjvm.tensor;

/**
 * Reductions along dimensions. MAX and MIN propagate NaN; ARGMAX and ARGMIN return the first index of the
 * extreme value (NaN counts as the extreme) as INT64; VAR takes a correction (1 = unbiased, 0 = population).
 */
public enum ReduceOp {
    SUM, MEAN, MAX, MIN, ARGMAX, ARGMIN, VAR
}
