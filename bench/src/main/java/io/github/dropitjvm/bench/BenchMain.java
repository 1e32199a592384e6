package io.github.dropitjvm.bench;

import io.github.dropitjvm.train.DropitVersion;
import io.github.dropitjvm.train.InfoCommand;
import io.github.dropitjvm.train.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.regex.Pattern;

/** The {@code dropit bench} command: what {@code ./dropit bench ...} runs. */
@Command(
        name = "dropit bench",
        mixinStandardHelpOptions = true,
        versionProvider = DropitVersion.class,
        description = "DropIT-JVM benchmarks: kernels (gemm, select, sparsedw, jmh), DropIT memory and speed (memory, step, maxbatch), PyTorch side by side (compare); 'info' shows the machine.",
        subcommands = {InfoCommand.class, GemmCommand.class, JmhCommand.class, SelectBench.class, SparseDwBench.class,
                MemoryBench.class, StepBench.class, MaxBatchBench.class, CompareCommand.class},
        footer = {"", "JVM options for the launched program come from DROPIT_JAVA_OPTS (e.g. DROPIT_JAVA_OPTS=-Xmx8g)."})
public final class BenchMain implements Runnable {
    /**
     * What every child JVM of a benchmark needs, as the launcher passes it: the Vector API, native access (OpenCL,
     * CUDA, libtorch) and jdk.internal.misc, without which result arrays fall back to zero-filled allocation.
     */
    static final List<String> CHILD_JVM_FLAGS = List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED");

    /** What -Xmx takes (without HotSpot's rarely used hexadecimal): digits, not all zero, and an optional unit. */
    private static final Pattern HEAP = Pattern.compile("0*[1-9][0-9]*[kmgt]?", Pattern.CASE_INSENSITIVE);

    /**
     * Refuses (exit code 2) a child JVM heap size that -Xmx would not take, so that a typo is not found child by
     * child. A size too small for the JVM to start passes here; the first child then fails with the JVM's message.
     */
    static void checkHeap(String command, String option, String heap) {
        if (!HEAP.matcher(heap).matches())
            throw new IllegalArgumentException(command + ": " + option + ": '" + heap + "' is not a heap size (digits and an optional k, m, g or t, as -Xmx takes, e.g. 1g)");
    }

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Checks the JVM, then executes the command line; returns the process exit code. */
    static int run(String... args) {
        return Main.launch("dropit bench", BenchMain::new, args);
    }

    /** Without a subcommand: the usage text. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
