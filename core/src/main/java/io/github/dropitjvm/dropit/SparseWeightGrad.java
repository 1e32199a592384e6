package io.github.dropitjvm.dropit;

import java.util.Locale;

/**
 * Chooses between the two ways of getting dW from a DropIT cache: dense (scatter x̂, then the gᵀ·x̂ GEMM, M·in·out
 * multiply-adds at GEMM speed) or sparse ({@link io.github.dropitjvm.tensor.DropItKernels#sparseWeightGrad}, k·out
 * multiply-adds and no x̂, but each of them loads and stores a row of dWᵀ, so on the CPU one costs 6–7 of the GEMM's).
 * {@link Mode#AUTO} takes the sparse path when at most {@link #MAX_SPARSE_KEPT} of the inputs are kept.
 *
 * <p>The rule looks at the counts only, never at a clock: the two paths round differently, and a choice made by
 * timing (this class timed both on the first backward passes until 2026-11-29) made a run's result depend on how
 * warm the JIT happened to be, against DESIGN.md's bit-for-bit reproducibility, and chose the slower path at γ 0.5
 * in a grid run (BENCHMARKS.md, "The sparse weight gradient's path by rule").
 * The mode comes from the system property {@code dropit.sparse-dw} (auto, always, never; default auto).
 */
public final class SparseWeightGrad {
    private SparseWeightGrad() {}

    public enum Mode { AUTO, ALWAYS, NEVER }

    /**
     * The largest kept fraction for which AUTO takes the sparse path: where the two paths cost the same on
     * vit-fmnist's Linear shapes at batch 32, one or two threads (γ 0.8–0.9 by shape; BENCHMARKS.md).
     */
    public static final double MAX_SPARSE_KEPT = 0.15;

    private static volatile Mode mode = parse(System.getProperty("dropit.sparse-dw", "auto"));

    public static Mode parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "auto" -> Mode.AUTO;
            case "always" -> Mode.ALWAYS;
            case "never" -> Mode.NEVER;
            default -> throw new IllegalArgumentException("dropit.sparse-dw: expected auto, always or never, got '" + s + "'");
        };
    }

    public static Mode mode() {
        return mode;
    }

    /** Sets the mode for this JVM (tests, benchmarks). */
    public static void setMode(Mode m) {
        mode = m;
    }

    /** Whether dW from a cache that keeps {@code kept} of {@code n} inputs takes the sparse path under the mode. */
    public static boolean sparse(long kept, long n) {
        return switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> kept <= MAX_SPARSE_KEPT * n;
        };
    }
}
