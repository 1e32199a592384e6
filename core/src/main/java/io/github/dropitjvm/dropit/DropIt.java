package io.github.dropitjvm.dropit;

import io.github.dropitjvm.nn.InputCache;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.Linear;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Converts a model's Linear and Conv2d layers to DropIT, in place, by attaching a {@link DropItCache} to each. */
public final class DropIt {
    private DropIt() {}

    /** Which layers were converted (full names) and which candidates were left dense. */
    public record Report(List<String> converted, List<String> skipped) {
        @Override
        public String toString() {
            return "DropIT converted " + converted.size() + " layer(s) " + converted + "; left dense " + skipped;
        }
    }

    public static Report convert(Module model, DropItConfig config) {
        List<Module> candidates = new ArrayList<>(); // in definition (depth-first) order
        collect(model, candidates);
        List<String> converted = new ArrayList<>(), skipped = new ArrayList<>();
        List<Pattern> include = config.include().stream().map(Pattern::compile).toList();
        List<Pattern> exclude = config.exclude().stream().map(Pattern::compile).toList();
        for (int i = 0; i < candidates.size(); i++) {
            Module layer = candidates.get(i);
            String name = layer.name();
            boolean edge = i == 0 || i == candidates.size() - 1;
            boolean take = config.convertFirstAndLast() || !edge;
            if (include.stream().anyMatch(p -> p.matcher(name).matches())) take = true;
            if (exclude.stream().anyMatch(p -> p.matcher(name).matches())) take = false;
            if (cacheOf(layer) != null) take = false; // already converted
            if (!take) {
                skipped.add(name);
                continue;
            }
            DropItCache cache = new DropItCache(config, i);
            if (layer instanceof Linear lin) lin.setInputCache(cache);
            else ((Conv2d) layer).setInputCache(cache);
            converted.add(name);
        }
        return new Report(List.copyOf(converted), List.copyOf(skipped));
    }

    private static void collect(Module parent, List<Module> out) {
        for (Module m : parent.children().values()) {
            if (m instanceof Linear || m instanceof Conv2d) out.add(m);
            else collect(m, out);
        }
    }

    /** The DropIT state of a converted layer, or null when the layer is dense. */
    public static DropItCache cacheOf(Module layer) {
        InputCache c = switch (layer) {
            case Linear l -> l.inputCache();
            case Conv2d cv -> cv.inputCache();
            default -> null;
        };
        return c instanceof DropItCache d ? d : null;
    }
}
