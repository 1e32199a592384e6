package io.github.dropitjvm.dropit;

import io.github.dropitjvm.nn.InputCache;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.Linear;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Converts a model's Linear and Conv2d layers to DropIT, in place, by attaching a {@link DropItCache} to each. */
public final class DropIt {
    private DropIt() {}

    /**
     * What one {@link #convert} did, by full module names in definition order.
     *
     * @param converted the layers that got a {@link DropItCache}
     * @param skipped   the other Linear/Conv2d layers of the model, which this conversion left dense (the first and
     *                  the last unless converted too, and those matched by {@code exclude})
     */
    public record Report(List<String> converted, List<String> skipped) {
        @Override
        public String toString() {
            return "DropIT converted " + converted.size() + " layer(s) " + converted + "; left dense " + skipped;
        }
    }

    /**
     * Converts the model in place: attaches a {@link DropItCache} with this config to each chosen Linear and Conv2d
     * layer, so that its training forwards cache the kept elements of its input instead of the whole input. The
     * forward output, dx and db are unchanged; only dW is computed from the cache.
     *
     * <p>The candidates are the model's Linear and Conv2d layers in definition order: a depth-first walk over
     * {@link Module#children()} in the order the children were registered, which need not be the order forward
     * calls them. The model itself is not a candidate, only its descendants, so a bare Linear or Conv2d passed as
     * the model is left dense, with an empty report: wrap it in a parent module. A candidate is converted unless
     * it is the first or the last of them (the patch embedding / stem and the classifier head, left dense as in the
     * paper) and {@link DropItConfig#convertFirstAndLast()} is off; a layer matched by an {@code include} pattern
     * is converted whatever its place, and one matched by an {@code exclude} pattern is not, even if included.
     * Each converted layer's {@link DropItCache#layerId()} (a word of the random strategy's and the approximate
     * min-k sample's counters) is its position among the candidates.
     *
     * <p>Refused, before any layer is changed: a model that already has converted layers
     * ({@link IllegalStateException}, naming them with their γ; a second conversion would neither change them nor be
     * right to report them dense: convert a fresh model, or detach the caches first with
     * {@code setInputCache(null)}); an {@code include} pattern that matches no candidate, and a
     * {@code gammaPerLayer} name that is not a layer this call converts ({@link IllegalArgumentException}: either
     * would silently have no effect).
     *
     * @return the converted layers and the candidates left dense, by full name
     */
    public static Report convert(Module model, DropItConfig config) {
        List<Module> candidates = new ArrayList<>(); // in definition (depth-first) order
        collect(model, candidates);
        refuseConverted(candidates);
        List<Module> take = new ArrayList<>();
        List<String> converted = new ArrayList<>(), skipped = new ArrayList<>();
        List<Pattern> include = config.include().stream().map(Pattern::compile).toList();
        List<Pattern> exclude = config.exclude().stream().map(Pattern::compile).toList();
        Set<Pattern> unmatched = new LinkedHashSet<>(include);
        for (int i = 0; i < candidates.size(); i++) {
            String name = candidates.get(i).name();
            boolean edge = i == 0 || i == candidates.size() - 1;
            boolean t = config.convertFirstAndLast() || !edge;
            for (Pattern p : include)
                if (p.matcher(name).matches()) {
                    t = true;
                    unmatched.remove(p);
                }
            if (exclude.stream().anyMatch(p -> p.matcher(name).matches())) t = false;
            (t ? converted : skipped).add(name);
            take.add(t ? candidates.get(i) : null);
        }
        List<String> names = candidates.stream().map(Module::name).toList();
        if (!unmatched.isEmpty())
            throw new IllegalArgumentException("DropIT: include pattern(s) " + unmatched.stream().map(p -> "'" + p + "'").toList()
                    + " match no Linear/Conv2d layer; patterns match whole full names, the model's are " + names);
        List<String> unknown = new ArrayList<>(), dense = new ArrayList<>();
        for (String k : config.gammaPerLayer().keySet()) {
            if (!names.contains(k)) unknown.add(k);
            else if (!converted.contains(k)) dense.add(k);
        }
        if (!unknown.isEmpty())
            throw new IllegalArgumentException("DropIT: gammaPerLayer names " + unknown + ", which are not Linear/Conv2d layers of the model;"
                    + " keys are full names, the model's are " + names);
        if (!dense.isEmpty())
            throw new IllegalArgumentException("DropIT: gammaPerLayer names " + dense + ", which this conversion leaves dense, so their γ"
                    + " would have no effect; add them to include (or turn convertFirstAndLast on), or drop those keys");
        for (int i = 0; i < candidates.size(); i++) {
            Module layer = take.get(i);
            if (layer == null) continue;
            DropItCache cache = new DropItCache(config, i);
            if (layer instanceof Linear lin) lin.setInputCache(cache);
            else ((Conv2d) layer).setInputCache(cache);
        }
        return new Report(List.copyOf(converted), List.copyOf(skipped));
    }

    /**
     * Refuses a model with converted layers: converting it again used to skip them silently (they kept their
     * config) and list them as left dense; there is no re-conversion, since swapping a layer's cache mid-training
     * would also lose its step counter.
     */
    private static void refuseConverted(List<Module> candidates) {
        Map<Double, List<String>> byGamma = new LinkedHashMap<>();
        int n = 0;
        for (Module layer : candidates) {
            DropItCache c = cacheOf(layer);
            if (c == null) continue;
            byGamma.computeIfAbsent(c.config().gammaPerLayer().getOrDefault(layer.name(), c.config().gamma()), g -> new ArrayList<>())
                    .add(layer.name());
            n++;
        }
        if (n == 0) return;
        StringBuilder s = new StringBuilder();
        byGamma.forEach((g, names) -> s.append(s.isEmpty() ? "" : ", ").append(names).append(" at γ ").append(g));
        throw new IllegalStateException("DropIT: the model is already converted (" + n + " layer(s): " + s + "); convert a fresh"
                + " model to use another config, or detach the caches first with setInputCache(null) on those layers");
    }

    private static void collect(Module parent, List<Module> out) {
        for (Module m : parent.children().values()) {
            if (m instanceof Linear || m instanceof Conv2d) out.add(m);
            else collect(m, out);
        }
    }

    /** The DropIT state of a converted layer, or null when the layer is dense (or not a Linear/Conv2d). */
    public static DropItCache cacheOf(Module layer) {
        InputCache c = switch (layer) {
            case Linear l -> l.inputCache();
            case Conv2d cv -> cv.inputCache();
            default -> null;
        };
        return c instanceof DropItCache d ? d : null;
    }
}
