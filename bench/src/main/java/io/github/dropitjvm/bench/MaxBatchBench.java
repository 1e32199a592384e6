package io.github.dropitjvm.bench;

import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.optim.Sgd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code dropit bench maxbatch}: the largest batch that completes {@code --steps} training steps under a fixed
 * {@code -Xmx}, found by doubling then bisection, one child JVM per try (so no try inherits another's heap). A try
 * fails (the batch does not fit) when the child runs out of memory or exceeds the per-try time limit. A child that
 * exits non-zero for any other reason (it could not start, a bad option, a bug) stops the search with its exit code
 * and the end of its output: counted as "did not fit", it would shrink the answer silently, down to 0 when no child
 * can start at all. Plain and DropIT are searched alike; {@code max_batch} is DropIT's.
 */
@Command(name = "maxbatch", mixinStandardHelpOptions = true,
        description = "Largest batch that trains under a fixed -Xmx, plain vs DropIT, one child JVM per try.")
public final class MaxBatchBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "preset: vit-fmnist, vit-tiny-32, deit-ti, resnet20, cnn-small")
    String model;

    @Option(names = "--heap", defaultValue = "1g", description = "the child JVMs' -Xmx (default ${DEFAULT-VALUE})")
    String heap;

    @Option(names = "--gamma", defaultValue = "0.9", description = "drop rate γ (default ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--cache-format", defaultValue = "auto", description = "cache format (default ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--strategy", defaultValue = "exact-mink", description = "exact-mink, approx-mink, random (default ${DEFAULT-VALUE})")
    String strategy;

    @Option(names = "--steps", defaultValue = "3", description = "training steps a try must complete (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--start", defaultValue = "16", description = "first batch tried (default ${DEFAULT-VALUE})")
    int start;

    @Option(names = "--tolerance", defaultValue = "0", description = "stop bisecting when hi − lo <= max(1, tolerance·lo); 0 = exact (default ${DEFAULT-VALUE})")
    double tolerance;

    @Option(names = "--try-timeout", defaultValue = "900", description = "seconds before a try counts as failed (default ${DEFAULT-VALUE})")
    int tryTimeout;

    @Option(names = "--variant", defaultValue = "both", description = "both, plain or dropit (default ${DEFAULT-VALUE})")
    String variant;

    @Option(names = "--json", description = "one JSON object on stdout")
    boolean json;

    @Option(names = "--child-batch", hidden = true, defaultValue = "0", description = "internal: run one try in this JVM")
    int childBatch;

    @Option(names = "--child-dropit", hidden = true, description = "internal: the try converts the model")
    boolean childDropit;

    /**
     * How a child reports running out of memory: {@code -XX:+ExitOnOutOfMemoryError} makes the JVM print this line
     * (then ": Java heap space" or the like) on stdout and exit with {@link #OOM_EXIT}; {@link #child} does the same
     * for an OutOfMemoryError that Java code throws, which that flag does not see. Both together, not the exit code
     * alone, mark a try that did not fit.
     */
    static final String OOM_MARKER = "Terminating due to java.lang.OutOfMemoryError";
    static final int OOM_EXIT = 3;

    /** One try's outcome. */
    record Try(int batch, boolean ok, double seconds) {}

    /** A child JVM that failed other than by running out of memory; the search cannot go on. */
    static final class ChildFailed extends Exception {
        ChildFailed(String message) {
            super(message);
        }
    }

    @Override
    public Integer call() throws Exception {
        if (childBatch > 0) return child();
        BenchMain.checkHeap("bench maxbatch", "--heap", heap);
        BenchModels.config("bench maxbatch", model, gamma, format, strategy);
        if (steps < 1) throw new IllegalArgumentException("bench maxbatch: --steps must be >= 1, got " + steps);
        if (start < 1) throw new IllegalArgumentException("bench maxbatch: --start must be >= 1, got " + start);
        if (!(tolerance >= 0)) throw new IllegalArgumentException("bench maxbatch: --tolerance must be >= 0, got " + tolerance);
        if (tryTimeout < 1) throw new IllegalArgumentException("bench maxbatch: --try-timeout must be >= 1, got " + tryTimeout);
        if (!List.of("both", "plain", "dropit").contains(variant))
            throw new IllegalArgumentException("bench maxbatch: --variant must be both, plain or dropit, got '" + variant + "'");
        PrintWriter out = spec.commandLine().getOut();
        List<Try> tries = new ArrayList<>();
        int plain = -1, dropit = -1;
        try {
            if (!variant.equals("dropit")) plain = search(false, tries);
            if (!variant.equals("plain")) dropit = search(true, tries);
        } catch (ChildFailed e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("dropit bench maxbatch: " + e.getMessage());
            err.flush();
            return 1;
        }
        if (json) {
            StringBuilder sb = new StringBuilder("{\"bench\":\"maxbatch\",\"model\":").append(BenchModels.str(model))
                    .append(",\"heap\":").append(BenchModels.str(heap)).append(",\"gamma\":").append(BenchModels.num(gamma))
                    .append(",\"cache_format\":").append(BenchModels.str(format)).append(",\"strategy\":").append(BenchModels.str(strategy))
                    .append(",\"steps\":").append(steps).append(",\"tolerance\":").append(BenchModels.num(tolerance));
            if (dropit >= 0) sb.append(",\"max_batch\":").append(dropit);
            if (plain >= 0) sb.append(",\"max_batch_baseline\":").append(plain);
            if (plain > 0 && dropit >= 0) sb.append(",\"ratio\":").append(BenchModels.num((double) dropit / plain));
            sb.append(",\"tries\":").append(tries.size());
            out.println(sb.append('}'));
        } else {
            if (plain >= 0) out.printf("%s under -Xmx%s: plain max batch %d%n", model, heap, plain);
            if (dropit >= 0) out.printf("%s under -Xmx%s: DropIT γ %s max batch %d%n", model, heap, gamma, dropit);
            if (plain > 0 && dropit >= 0) out.printf("ratio %.3f (%d tries)%n", (double) dropit / plain, tries.size());
        }
        out.flush();
        return 0;
    }

    /** Doubling from --start until a try fails, then bisection; returns the largest batch that passed (0 if none). */
    int search(boolean dropit, List<Try> tries) throws IOException, InterruptedException, ChildFailed {
        return search(start, tolerance, b -> attempt(b, dropit), tries);
    }

    /** A try at one batch size. */
    interface Attempt {
        Try run(int batch) throws IOException, InterruptedException, ChildFailed;
    }

    /** The search itself, over any pass/fail test that is monotone in the batch size. */
    static int search(int start, double tolerance, Attempt attempt, List<Try> tries) throws IOException, InterruptedException, ChildFailed {
        int lo = 0, hi = -1, b = Math.max(1, start);
        while (hi < 0) {
            Try t = attempt.run(b);
            tries.add(t);
            if (t.ok()) {
                lo = b;
                b = Math.multiplyExact(b, 2);
            } else hi = b;
        }
        while (hi - lo > Math.max(1, (int) (tolerance * lo))) {
            int mid = lo + (hi - lo) / 2;
            Try t = attempt.run(mid);
            tries.add(t);
            if (t.ok()) lo = mid;
            else hi = mid;
        }
        return lo;
    }

    /** Runs one try in a child JVM; throws ChildFailed if it neither passed, ran out of memory nor timed out. */
    Try attempt(int batch, boolean dropit) throws IOException, InterruptedException, ChildFailed {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError"));
        cmd.addAll(BenchMain.CHILD_JVM_FLAGS);
        cmd.addAll(List.of(
                "-cp", System.getProperty("java.class.path"), BenchMain.class.getName(), "maxbatch",
                "--model", model, "--gamma", Double.toString(gamma), "--cache-format", format, "--strategy", strategy,
                "--steps", Integer.toString(steps), "--child-batch", Integer.toString(batch)));
        if (dropit) cmd.add("--child-dropit");
        // stdout and stderr in one file: the OOM marker comes on stdout, the JVM's start-up errors on either
        Path log = Files.createTempFile("dropit-maxbatch", ".log");
        try {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean done = p.waitFor(tryTimeout, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            String output = Files.readString(log, StandardCharsets.UTF_8);
            boolean ok = done && p.exitValue() == 0;
            boolean oom = done && p.exitValue() == OOM_EXIT && output.contains(OOM_MARKER);
            String what = (dropit ? "DropIT" : "plain") + " batch " + batch;
            System.err.printf("maxbatch: %s: %s (%.1f s)%n", what, ok ? "ok" : oom ? "out of memory" : done ? "failed, exit " + p.exitValue() : "timed out", s);
            if (done && !ok && !oom)
                throw new ChildFailed("the child JVM for " + what + " exited with " + p.exitValue() + ", not by running out of memory;"
                        + " the search stops. The end of its output:" + System.lineSeparator() + tail(output, 20));
            return new Try(batch, ok, s);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The last {@code lines} lines of a child's output, indented. */
    static String tail(String output, int lines) {
        List<String> all = output.strip().lines().toList();
        if (all.isEmpty()) return "  (no output)";
        StringBuilder sb = new StringBuilder();
        for (String l : all.subList(Math.max(0, all.size() - lines), all.size()))
            sb.append(sb.isEmpty() ? "" : System.lineSeparator()).append("  ").append(l);
        return sb.toString();
    }

    /**
     * The child: --steps training steps at --child-batch. An OutOfMemoryError ends the JVM with the marker and exit
     * code the parent looks for: the JVM's own by -XX:+ExitOnOutOfMemoryError, one Java code throws (e.g. an array
     * length past the VM's limit) here, alike.
     */
    private int child() {
        try {
            Module m = childDropit ? BenchModels.dropit(model, BenchModels.config(gamma, format, strategy)).model() : BenchModels.model(model);
            BenchModels.Batch b = BenchModels.Batch.random(model, BenchModels.channels(model), childBatch, 1);
            Sgd opt = BenchModels.sgd(m);
            for (int i = 0; i < steps; i++) BenchModels.step(m, opt, b);
            return 0;
        } catch (OutOfMemoryError e) {
            try {
                System.out.println(OOM_MARKER + ": " + e.getMessage());
                System.out.flush();
            } finally {
                Runtime.getRuntime().halt(OOM_EXIT);
            }
            throw e;
        }
    }
}
