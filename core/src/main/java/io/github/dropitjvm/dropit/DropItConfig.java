package io.github.dropitjvm.dropit;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How {@link DropIt#convert} converts a model. Start from {@link #of} (the paper's setting) and change it with the
 * {@code with*} methods; each returns a new config, checked like the constructor checks it: a null or out-of-range
 * component, or an include/exclude pattern that does not compile, is refused when the config is made, not at the
 * first forward. What depends on the model (patterns and per-layer names that match no layer) is checked by
 * {@link DropIt#convert}.
 *
 * @param gamma               the drop rate γ in [0, 1]: the fraction of a converted layer's input elements not kept
 *                            for backward (γ 0 keeps all, γ 1 none)
 * @param gammaPerLayer       γ for single layers by full module name (e.g. {@code blocks.0.mlp.fc1}), overriding
 *                            {@code gamma} there; each in [0, 1]. {@link DropIt#convert} refuses a name that is not a
 *                            layer it converts, since its γ would have no effect
 * @param strategy            which elements are kept ({@link Strategy})
 * @param format              how the kept elements are stored ({@link CacheFormat}); the random strategy stores no
 *                            positions, so there only its value type (fp32 or bf16) counts
 * @param rescale             random strategy only (the other strategies ignore it): multiply the kept values by
 *                            1/(1 − γ) so x̂ is an unbiased estimate of x
 * @param seed                seeds the random strategy's keep masks and the approximate min-k strategy's sample of
 *                            |x| (each a Philox stream per layer and step); exact min-k does not use it
 * @param warmupSteps         γ ramps linearly from 0 to its full value over this many steps of each layer (0: none);
 *                            a step is a training forward of the layer, not an optimizer step (see {@link #gammaAt})
 * @param include             regular expressions matched against whole full module names: a matching layer is
 *                            converted even if it is the first or the last; {@link DropIt#convert} refuses a pattern
 *                            that matches no Linear/Conv2d layer of the model
 * @param exclude             regular expressions matched against whole full module names: a matching layer is left
 *                            dense, even if {@code include} matches it too
 * @param convertFirstAndLast convert the first and the last Linear/Conv2d layer too, in definition order (see
 *                            {@link DropIt#convert}); by default they stay dense: the patch embedding / stem and the
 *                            classifier head, as in the paper
 */
public record DropItConfig(double gamma, Map<String, Double> gammaPerLayer, Strategy strategy, CacheFormat format,
                           boolean rescale, long seed, int warmupSteps, List<String> include, List<String> exclude,
                           boolean convertFirstAndLast) {
    public DropItConfig {
        if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException("DropIT: gamma must be in [0, 1], got " + gamma);
        // Checked here, not left to the first forward or to copyOf: a bare NullPointerException there names no component.
        Objects.requireNonNull(gammaPerLayer, "DropIT: gammaPerLayer is null; use Map.of() for no per-layer γ");
        Objects.requireNonNull(strategy, "DropIT: strategy is null; use one of Strategy's values, e.g. Strategy.EXACT_MINK (the paper's)");
        Objects.requireNonNull(format, "DropIT: format is null; use one of CacheFormat's values, e.g. CacheFormat.AUTO");
        gammaPerLayer.forEach((k, v) -> {
            if (k == null) throw new NullPointerException("DropIT: gammaPerLayer has a null layer name; keys are full module names");
            if (v == null) throw new NullPointerException("DropIT: gammaPerLayer has a null γ for layer " + k);
            if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("DropIT: gamma for layer " + k + " must be in [0, 1], got " + v);
        });
        if (warmupSteps < 0) throw new IllegalArgumentException("DropIT: warm-up steps must be >= 0, got " + warmupSteps);
        checkPatterns("include", include);
        checkPatterns("exclude", exclude);
        gammaPerLayer = Map.copyOf(gammaPerLayer);
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
    }

    /** Compiles each pattern once so that a typo is reported here, naming the option, not by convert as a bare PatternSyntaxException. */
    private static void checkPatterns(String option, List<String> patterns) {
        Objects.requireNonNull(patterns, () -> "DropIT: " + option + " is null; use List.of() for no patterns");
        for (int i = 0; i < patterns.size(); i++) {
            String p = patterns.get(i);
            if (p == null) throw new NullPointerException("DropIT: " + option + "[" + i + "] is null; patterns are regular expressions on full module names");
            try {
                Pattern.compile(p);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("DropIT: " + option + " pattern '" + p + "' is not a valid regular expression: "
                        + e.getDescription() + " near index " + e.getIndex(), e);
            }
        }
    }

    /**
     * The paper's setting at drop rate γ: exact min-k, {@link CacheFormat#AUTO}, no rescaling, seed 0, no warm-up,
     * no per-layer γ, no include/exclude patterns, first and last layers left dense.
     */
    public static DropItConfig of(double gamma) {
        return new DropItConfig(gamma, Map.of(), Strategy.EXACT_MINK, CacheFormat.AUTO, false, 0, 0, List.of(), List.of(), false);
    }

    /** This config with another selection strategy (not null). */
    public DropItConfig withStrategy(Strategy s) {
        return new DropItConfig(gamma, gammaPerLayer, s, format, rescale, seed, warmupSteps, include, exclude, convertFirstAndLast);
    }

    /** This config with another cache format (not null). */
    public DropItConfig withFormat(CacheFormat f) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, f, rescale, seed, warmupSteps, include, exclude, convertFirstAndLast);
    }

    /** This config with a γ warm-up over {@code steps} training forwards of each layer (>= 0; 0: none). */
    public DropItConfig withWarmup(int steps) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, format, rescale, seed, steps, include, exclude, convertFirstAndLast);
    }

    /**
     * This config with rescaling on or off and the given seed. Rescaling applies to the random strategy only; the
     * seed seeds the random strategy's masks and the approximate min-k strategy's sample whatever {@code on} is, so
     * this is also how to set the seed alone ({@code withRescale(false, seed)}).
     */
    public DropItConfig withRescale(boolean on, long seed) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, format, on, seed, warmupSteps, include, exclude, convertFirstAndLast);
    }

    /** This config with γ for single layers by full module name (not null; replaces any earlier map). */
    public DropItConfig withGammaPerLayer(Map<String, Double> g) {
        return new DropItConfig(gamma, g, strategy, format, rescale, seed, warmupSteps, include, exclude, convertFirstAndLast);
    }

    /** This config with these include patterns (not null; replaces any earlier ones). */
    public DropItConfig withInclude(List<String> patterns) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, format, rescale, seed, warmupSteps, patterns, exclude, convertFirstAndLast);
    }

    /** This config with these exclude patterns (not null; replaces any earlier ones). */
    public DropItConfig withExclude(List<String> patterns) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, format, rescale, seed, warmupSteps, include, patterns, convertFirstAndLast);
    }

    /** This config with the first and last Linear/Conv2d layers converted too ({@code true}) or left dense. */
    public DropItConfig withConvertFirstAndLast(boolean on) {
        return new DropItConfig(gamma, gammaPerLayer, strategy, format, rescale, seed, warmupSteps, include, exclude, on);
    }

    /**
     * γ for a layer at one of its steps: the per-layer γ if there is one, else {@code gamma}, times step/warmupSteps
     * while {@code step < warmupSteps}. The step is the layer's own {@link DropItCache#step()} counter, which advances once
     * per training forward that caches its input: with gradient accumulation or several forwards per optimizer step,
     * the warm-up is shorter in optimizer steps than {@code warmupSteps}.
     */
    public double gammaAt(String layer, int step) {
        double g = gammaPerLayer.getOrDefault(layer, gamma);
        if (warmupSteps > 0 && step < warmupSteps) g *= (double) step / warmupSteps;
        return g;
    }
}
