package io.github.dropitjvm.bench;

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
 * {@code dropit bench select}: exact min-k (radix select) vs approximate min-k (sampled threshold, one comparison
 * pass) on large N(0, 1) tensors, interleaved; median milliseconds and the kept counts.
 */
@Command(name = "select", mixinStandardHelpOptions = true,
        description = "DropIT selection time: exact vs approximate min-k, interleaved; medians.")
public final class SelectBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--sizes", split = ",", defaultValue = "1048576,4194304,16777216", description = "element counts (default ${DEFAULT-VALUE})")
    int[] sizes;

    @Option(names = "--gamma", defaultValue = "0.9", description = "drop rate γ (default ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--reps", defaultValue = "15", description = "timed repetitions of each (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--json", description = "one JSON object per size on stdout")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (int n : sizes) {
            Tensor x = Tensor.randn(new Generator(n), n);
            long k = DropItKernels.keepCount(n, gamma);
            double[] te = new double[reps], ta = new double[reps];
            long keptApprox = 0;
            for (int r = -2; r < reps; r++) { // two warm-up rounds
                long t0 = System.nanoTime();
                Tensor e = DropItKernels.selectTopAbs(x, k, "bench");
                long t1 = System.nanoTime();
                Tensor a = DropItKernels.selectApproxTopAbs(x, k, DropItKernels.APPROX_SAMPLE, 1, 0, r + 2, "bench");
                long t2 = System.nanoTime();
                if (r >= 0) {
                    te[r] = (t1 - t0) / 1e6;
                    ta[r] = (t2 - t1) / 1e6;
                    keptApprox = DropItKernels.countKept(a);
                }
                if (e.numel() != n) throw new IllegalStateException();
            }
            Arrays.sort(te);
            Arrays.sort(ta);
            double me = StepBench.quantile(te, 0.5), ma = StepBench.quantile(ta, 0.5);
            if (json)
                out.println("{\"bench\":\"select\",\"n\":" + n + ",\"gamma\":" + BenchModels.num(gamma) + ",\"k\":" + k
                        + ",\"kept_approx\":" + keptApprox + ",\"ms_exact\":" + BenchModels.num(me) + ",\"ms_approx\":" + BenchModels.num(ma)
                        + ",\"speedup\":" + BenchModels.num(me / ma) + "}");
            else
                out.printf("n %d, γ %s: exact %.2f ms, approx %.2f ms (x%.2f); kept %d of k %d%n", n, gamma, me, ma, me / ma, keptApprox, k);
            out.flush();
        }
        return 0;
    }
}
