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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code dropit bench maxbatch}: the largest batch that completes {@code --steps} training steps under a fixed
 * {@code -Xmx}, found by doubling then bisection, one child JVM per try (so no try inherits another's heap). A try
 * fails when the child runs out of memory ({@code -XX:+ExitOnOutOfMemoryError}), exits non-zero, or exceeds the
 * per-try time limit. Plain and DropIT are searched alike; {@code max_batch} is DropIT's.
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

    /** One try's outcome. */
    record Try(int batch, boolean ok, double seconds) {}

    @Override
    public Integer call() throws Exception {
        if (childBatch > 0) return child();
        PrintWriter out = spec.commandLine().getOut();
        List<Try> tries = new ArrayList<>();
        int plain = -1, dropit = -1;
        if (!variant.equals("dropit")) plain = search(false, tries);
        if (!variant.equals("plain")) dropit = search(true, tries);
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
    int search(boolean dropit, List<Try> tries) throws IOException, InterruptedException {
        return search(start, tolerance, b -> attempt(b, dropit), tries);
    }

    /** A try at one batch size. */
    interface Attempt {
        Try run(int batch) throws IOException, InterruptedException;
    }

    /** The search itself, over any pass/fail test that is monotone in the batch size. */
    static int search(int start, double tolerance, Attempt attempt, List<Try> tries) throws IOException, InterruptedException {
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

    /** Runs one try in a child JVM. */
    Try attempt(int batch, boolean dropit) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError"));
        cmd.addAll(BenchMain.CHILD_JVM_FLAGS);
        cmd.addAll(List.of(
                "-cp", System.getProperty("java.class.path"), BenchMain.class.getName(), "maxbatch",
                "--model", model, "--gamma", Double.toString(gamma), "--cache-format", format, "--strategy", strategy,
                "--steps", Integer.toString(steps), "--child-batch", Integer.toString(batch)));
        if (dropit) cmd.add("--child-dropit");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        boolean done = p.waitFor(tryTimeout, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
            p.waitFor();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        boolean ok = done && p.exitValue() == 0;
        System.err.printf("maxbatch: %s batch %d: %s (%.1f s)%n", dropit ? "DropIT" : "plain", batch,
                ok ? "ok" : done ? "failed, exit " + p.exitValue() : "timed out", s);
        return new Try(batch, ok, s);
    }

    /** The child: --steps training steps at --child-batch; an OutOfMemoryError ends the JVM (exit 3). */
    private int child() {
        Module m = childDropit ? BenchModels.dropit(model, BenchModels.config(gamma, format, strategy)).model() : BenchModels.model(model);
        BenchModels.Batch b = BenchModels.Batch.random(model, BenchModels.channels(model), childBatch, 1);
        Sgd opt = BenchModels.sgd(m);
        for (int i = 0; i < steps; i++) BenchModels.step(m, opt, b);
        return 0;
    }
}
