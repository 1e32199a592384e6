package io.github.dropitjvm.dropit;

import java.util.List;
import java.util.Map;

/**
 * How to convert a model: drop rate γ (one for all layers, or per layer name), strategy, cache format, rescaling
 * for the random strategy, seed, γ warm-up (γ ramps linearly from 0 over warmupSteps), and which layers to
 * convert: by default every Linear/Conv2d except the first (patch embedding / stem) and the last (classifier
 * head); {@code include} / {@code exclude} are regular expressions on full module names and override that.
 */
public record DropItConfig(double gamma, Map<String, Double> gammaPerLayer, Strategy strategy, CacheFormat format,
                           boolean rescale, long seed, int warmupSteps, List<String> include, List<String> exclude,
                           boolean convertFirstAndLast) {
    public DropItConfig {
        if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException("DropIT: gamma must be in [0, 1], got " + gamma);
        gammaPerLayer.forEach((k, v) -> {
            if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("DropIT: gamma for layer " + k + " must be in [0, 1], got " + v);
        });
        if (warmupSteps < 0) throw new IllegalArgumentException("DropIT: warm-up steps must be >= 0, got " + warmupSteps);
        gammaPerLayer = Map.copyOf(gammaPerLayer);
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
    }

    /** The paper's setting: exact min-k, default format, no warm-up, first and last layers left dense. */
    public static DropItConfig of(double gamma) {
        return new DropItConfig(gamma, Map.of(), Strategy.EXACT_MINK, CacheFormat.AUTO, false, 0, 0, List.of(), List.of(), false);
    }

    public DropItConfig withStrategy(Strategy s) {
        return new DropItConfig(gamma, gammaPerLayer, s, format, rescale, seed, warmupSteps, include, exclude, convertFirstAndLast);
    }

    public DropItConfig withFormat(CacheFormat f) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, f, rescale, seed, warmupSteps, include, exclude, convertFirstAndLast);
    }

    public DropItConfig withWarmup(int steps) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, format, rescale, seed, steps, include, exclude, convertFirstAndLast);
    }

    public DropItConfig withRescale(boolean on, long seed) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, format, on, seed, warmupSteps, include, exclude, convertFirstAndLast);
    }

    /** γ for a layer at a training step (per-layer override, then warm-up). */
    public double gammaAt(String layer, int step) {
        double g = gammaPerLayer.getOrDefault(layer, gamma);
        if (warmupSteps > 0 && step < warmupSteps) g *= (double) step / warmupSteps;
        return g;
    }
}
