package io.github.dropitjvm.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What the JVM running DropIT-JVM must provide, checked once at every entry point and by the library itself when
 * it first hands out the CPU backend ({@link Backends#cpu}), and the build's version stamp. The CPU kernels use the
 * incubating Vector API, which is only visible when the JVM is started with
 * {@code --add-modules jdk.incubator.vector}; the GPU backends call native libraries through the FFM API, which
 * wants {@code --enable-native-access=ALL-UNNAMED}. The {@code ./dropit} launcher passes both.
 */
public final class JvmRequirements {
    /** Oldest Java feature release the project is built for. */
    public static final int MIN_JAVA = 25;

    /** The JVM options to start a DropIT-JVM process with: the vector module always, native access for the GPU backends. */
    public static final String JVM_FLAGS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED";

    private static final String VERSION_RESOURCE = "/dropit-version.properties";

    private JvmRequirements() {}

    /**
     * Throws if this JVM is older than Java {@value #MIN_JAVA} or was started without the
     * {@code jdk.incubator.vector} module.
     *
     * @throws IllegalStateException with a one-line message that says how to start the JVM
     */
    public static void requireVectorModule() {
        String problem = problem(Runtime.version().feature(),
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
    }

    /** The one-line complaint for a JVM of the given feature release and module state, or null when fine. */
    static String problem(int javaFeature, boolean vectorModulePresent) {
        if (javaFeature >= MIN_JAVA && vectorModulePresent) {
            return null;
        }
        String found = javaFeature < MIN_JAVA
                ? "this is Java " + javaFeature
                : "this JVM was started without the jdk.incubator.vector module";
        return "DropIT-JVM needs Java " + MIN_JAVA + " or newer started as 'java " + JVM_FLAGS
                + " -cp ... <main class>' (or use ./dropit, which does that); " + found + ".";
    }

    /**
     * "VERSION (commit HASH)" from the {@code dropit-version.properties} resource written at build time, with
     * "unknown" for whatever the resource does not say (for instance when classes run unfiltered from an IDE).
     */
    public static String versionString() {
        Properties props = new Properties();
        try (InputStream in = JvmRequirements.class.getResourceAsStream(VERSION_RESOURCE)) {
            if (in != null) {
                props.load(in);
            }
        } catch (IOException e) {
            // fall through: an unreadable resource means an unknown version
        }
        return known(props.getProperty("version")) + " (commit " + known(props.getProperty("commit")) + ")";
    }

    private static String known(String value) {
        if (value == null || value.isBlank() || value.contains("${")) {
            return "unknown";
        }
        return value.strip();
    }
}
