package io.github.dropitjvm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code dropit bench jmh [regex ...] [JMH options]}: runs this module's JMH benchmarks through JMH's own command
 * line, with short default iteration settings so the whole list finishes in minutes; any JMH option given on the
 * command line replaces its default. JMH forks its JVMs with this JVM's class path.
 */
@Command(name = "jmh",
        customSynopsis = "dropit bench jmh [--help] [REGEX ...] [JMH option ...]",
        description = {
                "Runs the JMH benchmarks: KernelBenchmarks (GEMM, elementwise, exact selection vs sort), LayerBenchmarks "
                        + "(softmax, layer norm, Linear and a vit-fmnist Transformer block forward+backward, plain vs DropIT), "
                        + "DropItBenchmarks (exact vs approximate min-k selection, DropIT pack/unpack).",
                "",
                "Selecting: each positional argument is a regular expression JMH looks for (find) in the full benchmark "
                        + "name io.github.dropitjvm.bench.<Class>.<method>; a benchmark runs if any matches. None: all of them. "
                        + "Examples: 'LayerBenchmarks', 'DropItBenchmarks\\.(pack|unpack)', 'block|linear'. "
                        + "'-e REGEX' excludes, '-l' lists what would run.",
                "",
                "Every other argument goes to JMH (its help: -h). Defaults here, each replaced when given: "
                        + "-wi 5 -i 3 -w 1 -r 1 -f 1 (5 warm-up + 3 measured iterations of 1 s, one fork per benchmark: the first "
                        + "calls of a fresh JVM run the Vector API interpreted, up to seconds per call, and C2 needs CPU time; "
                        + "on a busy machine give more, e.g. -wi 8) and -foe true (a benchmark that fails stops the run with a "
                        + "non-zero exit code). "
                        + "Useful: -p threads=2 (one thread count instead of 1 and 2), -p batch=32, "
                        + "-rf json -rff result.json (machine-readable results)."},
        footer = {"", "Example: ./dropit bench jmh '(Layer|DropIt)Benchmarks' -p threads=2"})
public final class JmhCommand implements Callable<Integer> {
    /**
     * The defaults put before the user's arguments, as (JMH option, value) pairs. -foe true: JMH's own default lets a
     * benchmark that throws print its error and still exit 0, so a script could not tell it failed.
     */
    static final List<String[]> DEFAULTS = List.of(
            new String[]{"-wi", "5"}, new String[]{"-i", "3"}, new String[]{"-w", "1"}, new String[]{"-r", "1"}, new String[]{"-f", "1"},
            new String[]{"-foe", "true"});

    @Option(names = "--help", usageHelp = true, description = "this help (JMH's own: -h)")
    boolean help;

    /** Every other argument, in order, for JMH (options and benchmark regexes alike). */
    @Unmatched
    List<String> args = new ArrayList<>();

    /**
     * JMH's arguments: a default for each of {@link #DEFAULTS} the user did not give, then the user's arguments
     * unchanged. Arguments JMH cannot parse are passed unchanged, so that JMH reports them.
     */
    static String[] jmhArgs(List<String> user) {
        String[] given = user.toArray(String[]::new);
        CommandLineOptions parsed;
        try {
            parsed = new CommandLineOptions(given);
        } catch (CommandLineOptionException e) {
            return given;
        }
        List<String> out = new ArrayList<>();
        for (String[] d : DEFAULTS) {
            boolean set = switch (d[0]) {
                case "-wi" -> parsed.getWarmupIterations().hasValue();
                case "-i" -> parsed.getMeasurementIterations().hasValue();
                case "-w" -> parsed.getWarmupTime().hasValue();
                case "-r" -> parsed.getMeasurementTime().hasValue();
                case "-f" -> parsed.getForkCount().hasValue();
                case "-foe" -> parsed.shouldFailOnError().hasValue();
                default -> throw new AssertionError(d[0]);
            };
            if (!set) out.addAll(List.of(d));
        }
        out.addAll(user);
        return out.toArray(String[]::new);
    }

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(jmhArgs(args));
        return 0;
    }
}
