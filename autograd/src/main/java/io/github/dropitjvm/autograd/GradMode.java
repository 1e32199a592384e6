package io.github.dropitjvm.autograd;

/**
 * Per-thread switch for graph recording. Inside {@link #noGrad()} ops record nothing and save nothing, so
 * evaluation holds no memory for backward. Scopes nest and restore the previous state on close.
 */
public final class GradMode {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** A scope; use with try-with-resources. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    public static Scope noGrad() {
        return set(false);
    }

    public static Scope enableGrad() {
        return set(true);
    }

    private static Scope set(boolean on) {
        boolean previous = ENABLED.get();
        ENABLED.set(on);
        return () -> ENABLED.set(previous);
    }
}
