package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.nn.Parameter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameters that share optimizer settings, by their full (dotted) names, with the weight decay they get. The
 * names key the optimizer's state ({@code exp_avg.blocks.0.attn.qkv.weight}), so they must be unique across the
 * groups of one optimizer.
 *
 * @param params      parameters by full name, in a stable order (the map is copied)
 * @param weightDecay the group's weight decay coefficient, {@code >= 0}
 */
public record ParamGroup(Map<String, Parameter> params, double weightDecay) {
    public ParamGroup {
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay))
            throw new IllegalArgumentException("param group: weight decay must be finite and >= 0, got " + weightDecay);
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }
}
