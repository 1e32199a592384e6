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
        return launch("dropit", Main::new, args);
    }

    /**
     * What every entry point does (this one and {@code dropit bench}): refuse a JVM without the vector module
     * with one clear line and exit code 2, else execute the picocli command built by {@code command}.
     */
    public static int launch(String name, java.util.function.Supplier<Object> command, String... args) {
        try {
            JvmRequirements.requireVectorModule();
        } catch (IllegalStateException e) {
            System.err.println(name + ": " + e.getMessage());
            return 2;
        }
        return commandLine(name, command.get()).execute(args);
    }

    /**
     * The picocli command line of an entry point: a command that refuses its input with IllegalArgumentException
     * gets one line on stderr and exit code 2, like picocli's own usage errors, not a stack trace. The message may
     * already name the subcommand ("bench step: ..."); then it follows the program's name.
     */
    public static CommandLine commandLine(String name, Object command) {
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (!(e instanceof IllegalArgumentException) || e.getMessage() == null) throw e;
            int space = name.lastIndexOf(' ');
            String last = name.substring(space + 1) + " ", msg = String.valueOf(e.getMessage());
            line.getErr().println(msg.startsWith(last) ? name.substring(0, space + 1) + msg : name + ": " + msg);
            line.getErr().flush();
            return 2;
        });
        return cli;
    }

    /** Without a subcommand: the usage text. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
