package io.github.dropitjvm.dropit;

import io.github.dropitjvm.autograd.GradMode;
import io.github.dropitjvm.autograd.SavedTensorHooks;
import io.github.dropitjvm.nn.InputCache;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.Linear;

import java.util.Objects;

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

    /**
     * DropIT state for one layer, to attach with the layer's {@code setInputCache}; {@link DropIt#convert} makes these
     * for a whole model, which is what most code wants. The step counter starts at 0.
     *
     * @param config  the conversion's config; γ for the layer is looked up in it by the layer's full name
     * @param layerId a word of the random strategy's (and the approximate min-k sample's) Philox counter, with the
     *                seed and the step: layers sharing a config need different ids, or their random masks coincide
     *                wherever their inputs have the same size. {@code convert} uses the layer's position among the
     *                model's Linear/Conv2d layers in definition order
     */
    public DropItCache(DropItConfig config, int layerId) {
        this.config = Objects.requireNonNull(config, "DropIT: config is null; use e.g. DropItConfig.of(gamma)");
        this.layerId = layerId;
    }

    /**
     * The layer's statistics, live: updated by every training forward that caches (kept and seen elements, cache
     * bytes of the latest call, totals and mean selection time over all calls). Never reset, not even by
     * {@link #setStep}.
     */
    public LayerStats stats() {
        return stats;
    }

    public DropItConfig config() {
        return config;
    }

    /** The word of the Philox counter that tells this layer's random masks from other layers' (see the constructor). */
    public int layerId() {
        return layerId;
    }

    /**
     * Training forwards that cached so far: the step the random strategy, the approximate min-k sample and γ warm-up
     * see next. It counts forwards of this layer, not optimizer steps: with gradient accumulation, a layer called
     * more than once per forward, or a forward in training mode whose loss is never backwarded, it runs ahead of
     * the optimizer.
     */
    public int step() {
        return step;
    }

    /**
     * Restores the step counter, so a resumed run continues with the same masks and γ as an uninterrupted one. The
     * counter is not part of the model's state dict, so nn's {@code Checkpoints} does not save it: whoever saves a
     * checkpoint must save {@link #step()} of each converted layer and restore it here after converting the
     * reloaded model, before the first training forward; the train module's Trainer keeps them in
     * {@code trainer.json} ({@code dropit_layer_steps}, by layer name). Without that, a resumed run starts the
     * warm-up over and draws the random strategy's masks of step 0 again.
     *
     * @throws IllegalArgumentException if {@code step} is negative
     */
    public void setStep(int step) {
        if (step < 0) throw new IllegalArgumentException("DropIT step counter must be >= 0, got " + step);
        this.step = step;
    }

    /**
     * Called by the layer at each forward (not meant for user code): the packer that caches the input at the current
     * step with its γ, then the step advances; null, and no step, when nothing will be cached (eval mode, no-grad,
     * frozen weight).
     *
     * @throws IllegalArgumentException if the layer is not a Linear or Conv2d
     */
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
