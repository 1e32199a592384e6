package io.github.dropitjvm.train;

import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.tensor.JvmRequirements;
import java.io.PrintWriter;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code dropit info}: what this JVM and machine offer DropIT-JVM. */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        versionProvider = DropitVersion.class,
        description = "Print the Java runtime, processors, heap, Vector API width and available backends.")
public final class InfoCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Runtime rt = Runtime.getRuntime();
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        out.printf(Locale.ROOT, "DropIT-JVM  %s%n", JvmRequirements.versionString());
        out.printf(Locale.ROOT, "java        %s (%s), %s%n", Runtime.version(),
                System.getProperty("java.vm.vendor"), System.getProperty("java.home"));
        out.printf(Locale.ROOT, "processors  %d%n", rt.availableProcessors());
        out.printf(Locale.ROOT, "max heap    %s%n", heap(rt.maxMemory()));
        out.printf(Locale.ROOT, "vector      FloatVector.SPECIES_PREFERRED: %d floats (%d bits)%n",
                species.length(), species.vectorBitSize());
        out.printf(Locale.ROOT, "backends    %s%n", String.join(", ", Backends.available()));
        out.flush();
    }

    private static String heap(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "unlimited";
        }
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
