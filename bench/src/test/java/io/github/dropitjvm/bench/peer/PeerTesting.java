package io.github.dropitjvm.bench.peer;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Test helpers for the PyTorch peer. */
final class PeerTesting {
    private PeerTesting() {}

    /** Whether this run is CI (env CI=true, or -Ddropit.ci=true as Surefire passes it). */
    static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI")) || "true".equalsIgnoreCase(System.getProperty("dropit.ci"));
    }

    /** Loads libtorch; if it cannot: fails under CI (a missing peer must never pass as a skip there), else skips. */
    static void requireTorch() {
        String why = Torch.unavailableReason();
        if (why == null) return;
        if (underCi()) Assertions.fail("CI requires the PyTorch peer: " + why);
        Assumptions.abort("PyTorch peer unavailable (skipped outside CI): " + why);
    }
}
