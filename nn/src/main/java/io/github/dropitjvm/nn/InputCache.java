package io.github.dropitjvm.nn;

import io.github.dropitjvm.autograd.SavedTensorHooks;

/**
 * A policy attached to a Linear or Conv2d layer that decides how the layer's input is kept for backward: the
 * seam DropIT plugs into. The layer asks once per forward; the returned hooks pack the saved input (null: keep
 * it as is). Only the weight gradient reads the saved input, so the forward output, dx and db are unaffected.
 */
@FunctionalInterface
public interface InputCache {
    SavedTensorHooks hooksFor(Module layer);
}
