package io.github.dropitjvm.dropit;

import java.util.Locale;

/** Which elements a DropIT layer keeps. */
public enum Strategy {
    /** The paper's: the k largest |x| of the whole tensor (DESIGN.md's exact rule, ties to the lower index). */
    EXACT_MINK("exact-mink"),
    /**
     * Approximate min-k: keeps |x| >= t with t estimated from a seeded sample of 4096 elements of |x| at the k/n
     * quantile; the kept count is within the tolerance {@link io.github.dropitjvm.tensor.DropItKernels#selectApproxTopAbs}
     * states (about ±4.7% of k per standard deviation at γ = 0.9). Positions are stored as for exact min-k. On the
     * CPU the cache is packed in one fused pass over the input (compare, mask word, compressed values), which makes
     * it cheaper than exact selection plus compaction (BENCHMARKS.md, {@code dropit bench select}).
     */
    APPROX_MINK("approx-mink"),
    /** Each element kept with probability 1 − γ from Philox(seed; index, layer, step); positions regenerated in backward. */
    RANDOM("random");

    private final String id;

    Strategy(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Strategy parse(String s) {
        for (Strategy v : values()) if (v.id.equals(s.toLowerCase(Locale.ROOT))) return v;
        throw new IllegalArgumentException("unknown DropIT strategy '" + s + "'; strategies: exact-mink, approx-mink, random");
    }
}
