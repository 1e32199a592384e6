package io.github.dropitjvm.bench;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code dropit bench jmh [JMH options] [benchmark regex]}: runs the JMH benchmarks of this module (e.g.
 * {@code KernelBenchmarks}) through JMH's own command line; JMH forks its JVMs with this JVM's class path.
 */
@Command(name = "jmh", description = "Runs JMH benchmarks (e.g. 'KernelBenchmarks'); arguments go to JMH (-h for its help).")
public final class JmhCommand implements Callable<Integer> {
    /** Every argument, in order, for JMH (options and the benchmark regex alike). */
    @Unmatched
    List<String> args = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(args.toArray(String[]::new));
        return 0;
    }
}
