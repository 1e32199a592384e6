package io.github.dropitjvm.nn.optim;

/**
 * A learning rate as a pure function of the step index (0 for the first optimizer step), so a resumed run gets
 * the same rates from the step counter alone; the trainer calls {@code optimizer.setLr(schedule.lr(step))}
 * before each step.
 */
public interface LrSchedule {
    /** The learning rate for step {@code step >= 0}. */
    double lr(long step);

    /**
     * Linear warm-up from 0 to {@code baseLr} over {@code warmupSteps} steps (timm's {@code CosineLRScheduler}
     * with {@code warmup_lr_init = 0}: step 0 gets 0, step {@code warmupSteps} gets {@code baseLr}), then a
     * half cosine from {@code baseLr} down to {@code minLr}, reached at {@code totalSteps} and held after it.
     *
     * <p>{@code lr(t) = baseLr·t/warmup} for {@code t < warmup}; otherwise
     * {@code minLr + ½(baseLr − minLr)(1 + cos(π·min(1, (t − warmup)/(total − warmup))))}. When
     * {@code totalSteps <= warmupSteps} the cosine phase is empty and every step after warm-up gets {@code minLr}.
     */
    record WarmupCosine(double baseLr, long warmupSteps, long totalSteps, double minLr) implements LrSchedule {
        public WarmupCosine {
            if (!(baseLr >= 0) || Double.isInfinite(baseLr) || !(minLr >= 0) || Double.isInfinite(minLr))
                throw new IllegalArgumentException("warmup-cosine: learning rates must be finite and >= 0, got base " + baseLr + ", min " + minLr);
            if (warmupSteps < 0 || totalSteps < 0)
                throw new IllegalArgumentException("warmup-cosine: step counts must be >= 0, got warmup " + warmupSteps + ", total " + totalSteps);
        }

        @Override
        public double lr(long step) {
            checkStep("warmup-cosine", step);
            if (step < warmupSteps) return baseLr * step / warmupSteps;
            double progress = totalSteps > warmupSteps
                    ? Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps)) : 1.0;
            return minLr + 0.5 * (baseLr - minLr) * (1.0 + Math.cos(Math.PI * progress));
        }
    }

    /** PyTorch's {@code StepLR}: {@code baseLr·gamma^floor(step/stepSize)}. */
    record StepLr(double baseLr, long stepSize, double gamma) implements LrSchedule {
        public StepLr {
            if (!(baseLr >= 0) || Double.isInfinite(baseLr))
                throw new IllegalArgumentException("step-lr: base learning rate must be finite and >= 0, got " + baseLr);
            if (stepSize <= 0) throw new IllegalArgumentException("step-lr: step size must be > 0, got " + stepSize);
            if (!(gamma > 0) || Double.isInfinite(gamma))
                throw new IllegalArgumentException("step-lr: gamma must be finite and > 0, got " + gamma);
        }

        @Override
        public double lr(long step) {
            checkStep("step-lr", step);
            return baseLr * Math.pow(gamma, (double) (step / stepSize));
        }
    }

    private static void checkStep(String schedule, long step) {
        if (step < 0) throw new IllegalArgumentException(schedule + ": step must be >= 0, got " + step);
    }
}
