package io.github.dropitjvm.dropit;

import io.github.dropitjvm.autograd.GradMode;
import io.github.dropitjvm.autograd.SavedTensorHooks;
import io.github.dropitjvm.nn.InputCache;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.Linear;

/**
 * DropIT attached to one Linear or Conv2d layer: each training forward gets a {@link DropItPacker} for the
 * current step, so the layer's saved input becomes the compact cache (Conv drops elements of its input feature
 * map, before im2col, since the conv op saves its input, not the columns). No selection happens where nothing
 * will be cached: in eval mode, under no-grad, or when the weight is frozen (its gradient is the only user).
 */
public final class DropItCache implements InputCache {
    private final DropItConfig config;
    private final int layerId;
    private final LayerStats stats = new LayerStats();
    private int step;

    public DropItCache(DropItConfig config, int layerId) {
        this.config = config;
        this.layerId = layerId;
    }

    public LayerStats stats() {
        return stats;
    }

    public DropItConfig config() {
        return config;
    }

    /** Training forwards that cached so far: the step the random strategy and γ warm-up see next. */
    public int step() {
        return step;
    }

    /** Restores the step counter (a resumed run continues with the same masks and γ as an uninterrupted one). */
    public void setStep(int step) {
        if (step < 0) throw new IllegalArgumentException("DropIT step counter must be >= 0, got " + step);
        this.step = step;
    }

    @Override
    public SavedTensorHooks hooksFor(Module layer) {
        boolean trainable = switch (layer) {
            case Linear l -> l.weight().trainable();
            case Conv2d c -> c.weight().trainable();
            default -> throw new IllegalArgumentException("DropIT applies to Linear and Conv2d layers, not " + layer.getClass().getSimpleName());
        };
        if (!layer.isTraining() || !trainable || !GradMode.isEnabled()) return null;
        int s = step++;
        return new DropItPacker(config.gammaAt(layer.name(), s), config.strategy(), config.format(), config.rescale(),
                config.seed(), layer.name(), layerId, s, stats);
    }
}
