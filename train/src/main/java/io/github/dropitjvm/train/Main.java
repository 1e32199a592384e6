package io.github.dropitjvm.train;

import io.github.dropitjvm.tensor.JvmRequirements;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code dropit} command: what {@code ./dropit} runs for everything but {@code bench} and {@code test}. */
@Command(
        name = "dropit",
        mixinStandardHelpOptions = true,
        versionProvider = DropitVersion.class,
        description = "DropIT-JVM: a pure-JVM tensor and autograd engine with DropIT memory-efficient training.",
        subcommands = {TrainCommand.class, CompareCommand.class, DataCommand.class, InfoCommand.class},
        footer = {
            "",
            "The ./dropit launcher also runs:",
            "  ./dropit bench ...        benchmarks (see ./dropit bench --help)",
            "  ./dropit test [mvn args]  build and run every test (mvn -B verify)",
            "JVM options for the launched program come from DROPIT_JAVA_OPTS (e.g. DROPIT_JAVA_OPTS=-Xmx8g)."
        })
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Checks the JVM, then executes the command line; returns the process exit code. */
    static int run(String... args) {
        try {
            JvmRequirements.requireVectorModule();
        } catch (IllegalStateException e) {
            System.err.println("dropit: " + e.getMessage());
            return 2;
        }
        return new CommandLine(new Main()).execute(args);
    }

    /** Without a subcommand: the usage text. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
