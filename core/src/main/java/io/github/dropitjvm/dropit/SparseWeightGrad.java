package io.github.dropitjvm.dropit;

import io.github.dropitjvm.tensor.Tensor;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Chooses, per Linear shape and γ, between the two ways of getting dW from a DropIT cache: dense (scatter x̂, then
 * the gᵀ·x̂ GEMM) or sparse ({@link io.github.dropitjvm.tensor.DropItKernels#sparseWeightGrad}, k·out multiply-adds,
 * no x̂). In {@link Mode#AUTO} the choice is measured: the first {@link #TRIALS} backward passes of each
 * (M, in, out, γ in percent) compute both, timed in alternating order, then the path with the faster best trial is
 * kept for that key. The best trial, not the sum: the first calls of a fresh JVM run partly interpreted (up to
 * seconds), and a sum let that one cold call decide.
 * The mode comes from the system property {@code dropit.sparse-dw} (auto, always, never; default auto).
 */
public final class SparseWeightGrad {
    private SparseWeightGrad() {}

    public enum Mode { AUTO, ALWAYS, NEVER }

    /** Timed trials per key before deciding. */
    public static final int TRIALS = 5;

    /** A layer shape and drop rate the decision is kept for. */
    public record Key(int rows, int in, int out, int gammaPercent) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            return java.util.Comparator.comparingInt(Key::in).thenComparingInt(Key::out).thenComparingInt(Key::rows)
                    .thenComparingInt(Key::gammaPercent).compare(this, o);
        }
    }

    /** The fastest trial of each path for one key; sparse is null until decided. */
    public static final class Decision {
        int trials;
        long denseNanos = Long.MAX_VALUE, sparseNanos = Long.MAX_VALUE;
        volatile Boolean sparse;

        public synchronized Boolean sparse() { return sparse; }
        public synchronized long denseNanos() { return denseNanos; }
        public synchronized long sparseNanos() { return sparseNanos; }
    }

    private static volatile Mode mode = parse(System.getProperty("dropit.sparse-dw", "auto"));
    private static final Map<Key, Decision> DECISIONS = new ConcurrentHashMap<>();

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

    /** Sets the mode for this JVM (tests, benchmarks); forgets measured decisions. */
    public static void setMode(Mode m) {
        mode = m;
        DECISIONS.clear();
    }

    /** The measured decisions so far, sorted by shape. */
    public static Map<Key, Decision> decisions() {
        return new TreeMap<>(DECISIONS);
    }

    static Tensor compute(Key key, Supplier<Tensor> dense, Supplier<Tensor> sparse) {
        Mode m = mode;
        if (m == Mode.NEVER) return dense.get();
        if (m == Mode.ALWAYS) return sparse.get();
        Decision d = DECISIONS.computeIfAbsent(key, k -> new Decision());
        Boolean s = d.sparse;
        if (s != null) return s ? sparse.get() : dense.get();
        boolean sparseFirst;
        synchronized (d) {
            sparseFirst = d.trials % 2 == 0;
        }
        long t0 = System.nanoTime();
        Tensor first = sparseFirst ? sparse.get() : dense.get();
        long t1 = System.nanoTime();
        Tensor second = sparseFirst ? dense.get() : sparse.get();
        long t2 = System.nanoTime();
        synchronized (d) {
            d.sparseNanos = Math.min(d.sparseNanos, sparseFirst ? t1 - t0 : t2 - t1);
            d.denseNanos = Math.min(d.denseNanos, sparseFirst ? t2 - t1 : t1 - t0);
            if (++d.trials >= TRIALS) d.sparse = d.sparseNanos < d.denseNanos;
        }
        return sparseFirst ? first : second;
    }
}
