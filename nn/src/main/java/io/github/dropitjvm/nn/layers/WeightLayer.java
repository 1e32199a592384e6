package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.SavedTensorHooks;
import io.github.dropitjvm.nn.InputCache;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;

/**
 * What Linear and Conv2d share: a weight, an optional bias, and the {@link InputCache} that decides how the
 * layer's input is kept for backward (DropIT's seam).
 */
public abstract class WeightLayer extends Module {
    protected final Parameter weight;
    protected final Parameter bias;
    private InputCache inputCache;

    protected WeightLayer(Parameter weight, Parameter bias) {
        this.weight = weight;
        this.bias = bias;
    }

    public final Parameter weight() { return weight; }

    /** The bias, or null. */
    public final Parameter bias() { return bias; }

    /** Sets how this layer caches its input for backward (null: as is); see {@link InputCache}. */
    public final void setInputCache(InputCache cache) {
        this.inputCache = cache;
    }

    public final InputCache inputCache() {
        return inputCache;
    }

    /** Hooks for this forward's saved input, or null to keep it as is. */
    protected final SavedTensorHooks inputHooks() {
        return inputCache == null ? null : inputCache.hooksFor(this);
    }
}
