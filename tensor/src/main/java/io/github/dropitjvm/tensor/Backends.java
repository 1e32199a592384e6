package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.cpu.CpuBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Finds backends by name. The CPU backend always exists; GPU backends register when their driver is present. */
public final class Backends {
    private Backends() {}

    /** The CPU backend (Java heap storage). */
    public static Backend cpu() {
        return CpuBackend.INSTANCE;
    }

    /** Names of the backends usable on this machine. */
    public static List<String> available() {
        List<String> names = new ArrayList<>();
        names.add("cpu");
        return names;
    }

    /** The backend of that name, or a clear error saying which exist; never a silent fallback. */
    public static Backend byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "cpu" -> cpu();
            default -> throw new IllegalArgumentException("backend '" + name + "' is not available on this machine; available: " + available());
        };
    }
}
