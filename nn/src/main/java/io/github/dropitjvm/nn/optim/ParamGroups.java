package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.nn.Parameter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builders for {@link ParamGroup} lists. */
public final class ParamGroups {
    /**
     * Names whose last dotted component marks a parameter that gets no weight decay: timm's ViT
     * {@code no_weight_decay()} set. Decaying a position embedding or a class token towards zero only erases
     * what they learned; they are not the over-parameterised weights decay is meant to regularise.
     */
    public static final Set<String> TIMM_NO_DECAY_NAMES = Set.of("pos_embed", "cls_token", "dist_token");

    private ParamGroups() {}

    /** One group holding every parameter, all with the same weight decay. */
    public static List<ParamGroup> single(Map<String, Parameter> named, double weightDecay) {
        return List.of(new ParamGroup(named, weightDecay));
    }

    /**
     * The timm split ({@code param_groups_weight_decay}): group 0 decays with {@code weightDecay}, group 1 gets
     * none. See {@link #isNoDecay} for the rule. Unlike timm, frozen parameters are kept in their group: they have
     * no gradient, so {@link Optimizer#step()} skips them, and they train again if unfrozen later.
     */
    public static List<ParamGroup> timmWeightDecay(Map<String, Parameter> named, double weightDecay) {
        Map<String, Parameter> decay = new LinkedHashMap<>(), noDecay = new LinkedHashMap<>();
        named.forEach((name, p) -> (isNoDecay(name, p) ? noDecay : decay).put(name, p));
        return List.of(new ParamGroup(decay, weightDecay), new ParamGroup(noDecay, 0.0));
    }

    /**
     * timm's rule: no weight decay for parameters of rank 0 or 1 (biases, LayerNorm/BatchNorm weights), for names
     * ending in {@code .bias}, and for names whose last dotted component is in {@link #TIMM_NO_DECAY_NAMES}
     * ({@code pos_embed}, {@code cls_token}, {@code dist_token}).
     */
    public static boolean isNoDecay(String name, Parameter p) {
        if (p.shape().length <= 1 || name.endsWith(".bias") || name.equals("bias")) return true;
        String last = name.substring(name.lastIndexOf('.') + 1);
        return TIMM_NO_DECAY_NAMES.contains(last);
    }
}
