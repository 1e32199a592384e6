package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Elementwise;
import io.github.dropitjvm.nn.Module;

/** Parameter-free layers. */
public final class Activations {
    private Activations() {}

    /** Exact (erf) GELU; keeps its input. */
    public static final class GELU extends Module {
        @Override
        protected Variable compute(Variable x) {
            return Elementwise.gelu(x);
        }
    }

    /** ReLU; keeps a 1-bit mask. */
    public static final class ReLU extends Module {
        @Override
        protected Variable compute(Variable x) {
            return Elementwise.relu(x);
        }
    }

    public static final class Identity extends Module {
        @Override
        protected Variable compute(Variable x) {
            return x;
        }
    }

    /**
     * Inverted dropout; the mask comes from Philox(seed; index, layer, step) with the step counted per forward,
     * so a run is reproducible. Identity in eval mode.
     */
    public static final class Dropout extends Module {
        private final double p;
        private final long seed;
        private int step;

        public Dropout(double p, long seed) {
            if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: probability must be in [0, 1), got " + p);
            this.p = p;
            this.seed = seed;
        }

        @Override
        protected Variable compute(Variable x) {
            if (!isTraining() || p == 0) return x;
            return Elementwise.dropout(x, p, true, seed, name().hashCode(), step++);
        }
    }
}
