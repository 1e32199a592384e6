package io.github.dropitjvm.bench;

import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.optim.Sgd;
import one.profiler.AsyncProfiler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code dropit bench step}: wall time of whole training steps (forward, backward, SGD step) of a preset, plain
 * and DropIT, interleaved one step each so drift on a shared machine hits both alike; medians and IQRs.
 */
@Command(name = "step", mixinStandardHelpOptions = true,
        description = "Training-step time, plain vs DropIT, interleaved; medians and interquartile ranges.")
public final class StepBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "preset: vit-fmnist, vit-tiny-32, deit-ti, resnet20, cnn-small")
    String model;

    @Option(names = "--gamma", defaultValue = "0.9", description = "drop rate γ (default ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--cache-format", defaultValue = "auto", description = "cache format (default ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--strategy", defaultValue = "exact-mink", description = "exact-mink, approx-mink, random (default ${DEFAULT-VALUE})")
    String strategy;

    @Option(names = "--batch", defaultValue = "64", description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--steps", defaultValue = "20", description = "timed steps of each variant (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "10", description = "untimed steps of each variant first (default ${DEFAULT-VALUE}: the JIT compiles the kernels during them)")
    int warmup;

    @Option(names = "--json", description = "one JSON object on stdout")
    boolean json;

    @Option(names = "--profile", paramLabel = "FILE", description = "sample the timed steps of both variants (not the"
            + " warm-up) with async-profiler's CPU-time sampler, every 1 ms, and write FILE: a flame graph if it ends in"
            + " .html, collapsed stacks (one line per stack and its sample count) otherwise")
    Path profile;

    /** Quartiles of a sample (linear interpolation between order statistics). */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    @Override
    public Integer call() {
        if (batch < 1) throw new IllegalArgumentException("bench step: --batch must be >= 1, got " + batch);
        if (steps < 1) throw new IllegalArgumentException("bench step: --steps must be >= 1, got " + steps);
        if (warmup < 0) throw new IllegalArgumentException("bench step: --warmup must be >= 0, got " + warmup);
        DropItConfig config = BenchModels.config("bench step", model, gamma, format, strategy);
        BenchModels.Batch b = BenchModels.Batch.random(model, BenchModels.channels(model), batch, 1);
        Module plain = BenchModels.model(model);
        Module dropit = BenchModels.dropit(model, config).model();
        Sgd optPlain = BenchModels.sgd(plain), optDropit = BenchModels.sgd(dropit);
        AsyncProfiler profiler = profile == null ? null : profiler(profile);
        double[] tp = new double[steps], td = new double[steps];
        boolean profiling = false;
        try {
            for (int i = 0; i < warmup + steps; i++) {
                if (i == warmup && profiler != null) {
                    profilerDo(profiler, "start,event=itimer,interval=1ms");
                    profiling = true;
                }
                // Alternate which variant goes first, so neither always runs right after the other's garbage.
                boolean plainFirst = i % 2 == 0;
                double a = time(plainFirst ? plain : dropit, plainFirst ? optPlain : optDropit, b);
                double c = time(plainFirst ? dropit : plain, plainFirst ? optDropit : optPlain, b);
                if (i >= warmup) {
                    tp[i - warmup] = plainFirst ? a : c;
                    td[i - warmup] = plainFirst ? c : a;
                }
            }
        } finally {
            if (profiling) profilerDo(profiler, "stop,file=" + profile.toAbsolutePath() + (profile.toString().endsWith(".html") ? "" : ",collapsed"));
        }
        Arrays.sort(tp);
        Arrays.sort(td);
        double mp = quantile(tp, 0.5), md = quantile(td, 0.5);
        double iqrP = quantile(tp, 0.75) - quantile(tp, 0.25), iqrD = quantile(td, 0.75) - quantile(td, 0.25);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println("{\"bench\":\"step\",\"model\":" + BenchModels.str(model) + ",\"batch\":" + batch
                    + ",\"gamma\":" + BenchModels.num(gamma) + ",\"cache_format\":" + BenchModels.str(format)
                    + ",\"strategy\":" + BenchModels.str(strategy) + ",\"steps\":" + steps
                    + ",\"ms_baseline\":" + BenchModels.num(mp) + ",\"ms_dropit\":" + BenchModels.num(md)
                    + ",\"iqr_ms_baseline\":" + BenchModels.num(iqrP) + ",\"iqr_ms_dropit\":" + BenchModels.num(iqrD)
                    + ",\"ratio\":" + BenchModels.num(md / mp) + "}");
        } else {
            out.printf("%s batch %d, γ %s (%s, %s), %d interleaved steps each:%n", model, batch, gamma, strategy, format, steps);
            out.printf("  plain  median %.2f ms (IQR %.2f)%n  DropIT median %.2f ms (IQR %.2f)%n  ratio %.3f%n", mp, iqrP, md, iqrD, md / mp);
        }
        out.flush();
        return 0;
    }

    /**
     * async-profiler, loaded before the run so a machine it cannot run on is told at once: its jar carries the
     * native library for Linux (x64, arm64) and macOS. Steady state only, since the warm-up's interpreted and C1
     * code allocates and computes through slow paths and would dominate a whole-run profile.
     */
    private static AsyncProfiler profiler(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) throw new IllegalArgumentException("bench step: --profile: no directory " + dir);
        if (Files.isDirectory(file)) throw new IllegalArgumentException("bench step: --profile: " + file + " is a directory");
        // the profiler's command string splits at commas and expands %p, %t... in file names
        if (file.toString().contains(",") || file.toString().contains("%"))
            throw new IllegalArgumentException("bench step: --profile: a path with ',' or '%' cannot be passed to async-profiler: " + file);
        try {
            return AsyncProfiler.getInstance();
        } catch (LinkageError | IllegalStateException e) {
            throw new IllegalArgumentException("bench step: --profile: async-profiler cannot run on this machine (" + e.getMessage() + ")", e);
        }
    }

    private static void profilerDo(AsyncProfiler profiler, String command) {
        try {
            profiler.execute(command);
        } catch (java.io.IOException | IllegalStateException e) {
            throw new IllegalStateException("bench step: --profile: async-profiler refused '" + command + "': " + e.getMessage(), e);
        }
    }

    /**
     * One step's wall time. A device backend queues kernels and a step reads nothing back, so the clock stops only
     * once the device has run them, and starts once the work queued before has run (else it is charged here).
     */
    private static double time(Module m, Sgd opt, BenchModels.Batch b) {
        b.x().backend().synchronize();
        long t0 = System.nanoTime();
        BenchModels.step(m, opt, b);
        b.x().backend().synchronize();
        return (System.nanoTime() - t0) / 1e6;
    }
}
