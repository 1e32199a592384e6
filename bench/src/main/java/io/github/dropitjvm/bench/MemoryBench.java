package io.github.dropitjvm.bench;

import io.github.dropitjvm.autograd.BackwardMemory;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.train.run.HeldMemory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dropit bench memory}: bytes held for backward after one training forward of a preset, plain and with
 * DropIT, and the ratio the cache arithmetic predicts: the plain figure, minus what each converted layer held
 * on its own in the plain run (its dense input, from the per-module breakdown), plus that layer's cache by
 * the cache arithmetic (ARCHITECTURE.md) ({@link CacheFormat#bytes}) for the elements it saw. A measured ratio far from the
 * expected one means a converted layer's input is still held by another op.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Bytes held for backward, plain vs DropIT, for one training forward of a preset.")
public final class MemoryBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "preset: vit-fmnist, vit-tiny-32, deit-ti, resnet20, cnn-small")
    String model;

    @Option(names = "--gamma", defaultValue = "0.9", description = "drop rate γ (default ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--cache-format", defaultValue = "bitmask-fp32", description = "index32-fp32, bitmask-fp32, index32-bf16, bitmask-bf16, auto (default ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--strategy", defaultValue = "exact-mink", description = "exact-mink, approx-mink, random (default ${DEFAULT-VALUE})")
    String strategy;

    @Option(names = "--batch", defaultValue = "64", description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random batch (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "one JSON object on stdout")
    boolean json;

    @Option(names = "--breakdown", description = "also print bytes held per op (both runs) and per converted layer")
    boolean breakdown;

    /** The figures of one comparison. */
    record Result(long baseline, long dropit, double expected, BackwardMemory.Report plain, BackwardMemory.Report converted,
                  List<String> layers, List<long[]> perLayer) {
        double ratio() {
            return (double) dropit / baseline;
        }

        double expectedRatio() {
            return expected / baseline;
        }
    }

    static BackwardMemory.Report held(Module model, BenchModels.Batch b) {
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable loss = BenchModels.loss(model, b);
            BackwardMemory.Report r = m.report();
            loss.backward();
            return r;
        }
    }

    /** Measures plain vs DropIT for a preset; the same initial weights and batch for both. */
    static Result measure(String preset, DropItConfig config, int batch, long seed) {
        BenchModels.Batch b = BenchModels.Batch.random(preset, BenchModels.channels(preset), batch, seed);
        BackwardMemory.Report plain = held(BenchModels.model(preset), b);
        BenchModels.Converted c = BenchModels.dropit(preset, config);
        BackwardMemory.Report conv = held(c.model(), b);
        List<HeldMemory.Layer> layers = HeldMemory.layers(plain, c.model());
        List<long[]> perLayer = new ArrayList<>();
        for (HeldMemory.Layer l : layers) perLayer.add(new long[]{l.n(), l.dense(), l.formula(), conv.byModule().getOrDefault(l.name(), 0L)});
        double expected = HeldMemory.expectedBytes(plain, layers);
        return new Result(plain.activationBytes(), conv.activationBytes(), expected, plain, conv,
                layers.stream().map(HeldMemory.Layer::name).toList(), perLayer);
    }

    @Override
    public Integer call() {
        if (batch < 1) throw new IllegalArgumentException("bench memory: --batch must be >= 1, got " + batch);
        DropItConfig config = BenchModels.config("bench memory", model, gamma, format, strategy);
        Result r = measure(model, config, batch, seed);
        java.io.PrintWriter out = spec.commandLine().getOut();
        if (json) {
            StringBuilder sb = new StringBuilder("{");
            sb.append("\"bench\":\"memory\",\"model\":").append(BenchModels.str(model))
                    .append(",\"batch\":").append(batch)
                    .append(",\"gamma\":").append(BenchModels.num(gamma))
                    .append(",\"cache_format\":").append(BenchModels.str(format))
                    .append(",\"strategy\":").append(BenchModels.str(strategy))
                    .append(",\"converted_layers\":").append(r.layers().size())
                    .append(",\"saved_bytes_baseline\":").append(r.baseline())
                    .append(",\"saved_bytes_dropit\":").append(r.dropit())
                    .append(",\"expected_bytes_dropit\":").append(Math.round(r.expected()))
                    .append(",\"ratio\":").append(BenchModels.num(r.ratio()))
                    .append(",\"expected_ratio\":").append(BenchModels.num(r.expectedRatio()));
            if (breakdown) {
                sb.append(",\"by_op_baseline\":").append(map(r.plain().byOp()))
                        .append(",\"by_op_dropit\":").append(map(r.converted().byOp()));
            }
            out.println(sb.append('}'));
        } else {
            out.printf("%s batch %d, γ %s, %s, %s: converted %d layers%n", model, batch, gamma, format, strategy, r.layers().size());
            out.printf("bytes held for backward: plain %d, DropIT %d, ratio %.4f (expected %.4f)%n",
                    r.baseline(), r.dropit(), r.ratio(), r.expectedRatio());
            if (breakdown) {
                out.println("by op, plain:  " + r.plain().byOp());
                out.println("by op, DropIT: " + r.converted().byOp());
                for (int i = 0; i < r.layers().size(); i++) {
                    long[] v = r.perLayer().get(i);
                    out.printf("  %-28s n %9d  dense-held %10d  cache(formula) %9d  cache(held) %9d%n", r.layers().get(i), v[0], v[1], v[2], v[3]);
                }
            }
        }
        out.flush();
        return 0;
    }

    private static String map(Map<String, Long> m) {
        StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(BenchModels.str(k)).append(':').append(v));
        return sb.append('}').toString();
    }
}
