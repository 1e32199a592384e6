package io.github.dropitjvm.bench;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code dropit bench select}: the cache a DropIT layer builds in forward — selection plus the packed mask and
 * compacted values — by exact min-k (radix select, then compaction) vs approximate min-k (sampled threshold, then
 * one fused compare-and-pack pass), on N(0, 1) tensors (or their ReLU), interleaved; median milliseconds and the kept counts.
 * Default sizes: vit-fmnist's Linear inputs at batch 64 (64×50×96 and 64×50×384) and 16M elements.
 */
@Command(name = "select", mixinStandardHelpOptions = true,
        description = "DropIT selection + pack time: exact vs approximate min-k, interleaved; medians.")
public final class SelectBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--sizes", split = ",", defaultValue = "307200,1228800,16777216", description = "element counts (default ${DEFAULT-VALUE})")
    int[] sizes;

    @Option(names = "--gamma", defaultValue = "0.9", description = "drop rate γ (default ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--reps", defaultValue = "15", description = "timed repetitions of each (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--warmup", defaultValue = "5", description = "untimed rounds first, and at least --warmup-ms of them (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--warmup-ms", defaultValue = "3000", description = "untimed milliseconds per size at least, so the JIT has compiled the kernels (default ${DEFAULT-VALUE})")
    int warmupMs;

    @Option(names = "--bf16", description = "pack bf16 values instead of fp32")
    boolean bf16;

    @Option(names = "--relu", description = "max(x, 0) of the N(0, 1) tensor: about half exact zeros, as a convolution's input after a ReLU")
    boolean relu;

    @Option(names = "--json", description = "one JSON object per size on stdout")
    boolean json;

    @Override
    public Integer call() {
        for (int n : sizes) if (n < 1) throw new IllegalArgumentException("bench select: --sizes: each must be >= 1, got " + n);
        if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException("bench select: --gamma must be in [0, 1], got " + gamma);
        if (reps < 1) throw new IllegalArgumentException("bench select: --reps must be >= 1, got " + reps);
        if (warmup < 0) throw new IllegalArgumentException("bench select: --warmup must be >= 0, got " + warmup);
        if (warmupMs < 0) throw new IllegalArgumentException("bench select: --warmup-ms must be >= 0, got " + warmupMs);
        PrintWriter out = spec.commandLine().getOut();
        for (int n : sizes) {
            Tensor x = Tensor.randn(new Generator(n), n);
            if (relu) x = x.relu();
            long k = DropItKernels.keepCount(n, gamma);
            DType values = bf16 ? DType.BF16 : DType.FLOAT32;
            double[] te = new double[reps], ta = new double[reps];
            long keptApprox = 0;
            long warmEnd = System.nanoTime() + warmupMs * 1_000_000L;
            for (int w = 0; w < warmup || System.nanoTime() < warmEnd; w++) { // untimed: the JIT compiles the kernels
                DropItKernels.packTopAbs(x, k, values, "bench");
                DropItKernels.packApproxTopAbs(x, k, DropItKernels.APPROX_SAMPLE, 1, 0, w, values, "bench");
            }
            for (int r = 0; r < reps; r++) { // interleaved: both see the same machine load
                long t0 = System.nanoTime();
                DropItKernels.Pack e = DropItKernels.packTopAbs(x, k, values, "bench");
                long t1 = System.nanoTime();
                DropItKernels.Pack a = DropItKernels.packApproxTopAbs(x, k, DropItKernels.APPROX_SAMPLE, 1, 0, r, values, "bench");
                long t2 = System.nanoTime();
                te[r] = (t1 - t0) / 1e6;
                ta[r] = (t2 - t1) / 1e6;
                keptApprox = a.kept();
                if (e.kept() != k) throw new IllegalStateException("exact pack kept " + e.kept() + " of k " + k);
            }
            Arrays.sort(te);
            Arrays.sort(ta);
            double me = StepBench.quantile(te, 0.5), ma = StepBench.quantile(ta, 0.5);
            if (json)
                out.println("{\"bench\":\"select\",\"n\":" + n + ",\"gamma\":" + BenchModels.num(gamma) + ",\"values\":\"" + (bf16 ? "bf16" : "fp32") + "\",\"input\":\"" + (relu ? "relu" : "normal") + "\"" + ",\"k\":" + k
                        + ",\"kept_approx\":" + keptApprox + ",\"ms_exact\":" + BenchModels.num(me) + ",\"ms_approx\":" + BenchModels.num(ma)
                        + ",\"speedup\":" + BenchModels.num(me / ma) + "}");
            else
                out.printf("n %d, γ %s, %s values: exact %.2f ms, approx %.2f ms (x%.2f); kept %d of k %d%n", n, gamma, values == DType.BF16 ? "bf16" : "fp32", me, ma, me / ma, keptApprox, k);
            out.flush();
        }
        return 0;
    }
}
