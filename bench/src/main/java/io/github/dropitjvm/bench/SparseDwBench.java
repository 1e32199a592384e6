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
 * {@code dropit bench sparsedw}: DropIT's weight gradient by the dense path (scatter x̂, then gᵀ·x̂) vs the sparse
 * kernel, per Linear shape (M, in, out) and γ, interleaved; medians and the crossover γ (the smallest γ tried at
 * which sparse is faster) per shape. The default shapes are vit-fmnist's block Linears at batch 64 (M = 3200).
 */
@Command(name = "sparsedw", mixinStandardHelpOptions = true,
        description = "DropIT weight gradient: dense (scatter + GEMM) vs sparse kernel per shape and γ; crossover γ.")
public final class SparseDwBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--shapes", split = ",", defaultValue = "3200x96x288,3200x96x96,3200x96x384,3200x384x96",
            description = "MxINxOUT list (default ${DEFAULT-VALUE})")
    String[] shapes;

    @Option(names = "--gammas", split = ",", defaultValue = "0.5,0.7,0.8,0.9,0.95,0.99", description = "γ list (default ${DEFAULT-VALUE})")
    double[] gammas;

    @Option(names = "--reps", defaultValue = "7", description = "timed repetitions of each (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--json", description = "one JSON object per shape on stdout")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (String s : shapes) {
            String[] p = s.split("x");
            int m = Integer.parseInt(p[0]), in = Integer.parseInt(p[1]), o = Integer.parseInt(p[2]);
            Tensor x = Tensor.randn(new Generator(1), m, in), g = Tensor.randn(new Generator(2), m, o);
            StringBuilder rows = new StringBuilder();
            double crossover = Double.NaN;
            for (double gamma : gammas) {
                Tensor mask = DropItKernels.selectTopAbs(x, DropItKernels.keepCount((long) m * in, gamma), "bench");
                Tensor values = DropItKernels.compact(x, mask, DType.FLOAT32);
                double[] td = new double[reps], ts = new double[reps];
                for (int r = -2; r < reps; r++) {
                    long t0 = System.nanoTime();
                    Tensor dense = g.transpose(0, 1).matmul(DropItKernels.scatterMasked(values, mask, m, in));
                    long t1 = System.nanoTime();
                    Tensor sparse = DropItKernels.sparseWeightGrad(g, values, mask, in);
                    long t2 = System.nanoTime();
                    if (r >= 0) {
                        td[r] = (t1 - t0) / 1e6;
                        ts[r] = (t2 - t1) / 1e6;
                    }
                    if (dense.numel() != sparse.numel()) throw new IllegalStateException();
                }
                Arrays.sort(td);
                Arrays.sort(ts);
                double md = StepBench.quantile(td, 0.5), ms = StepBench.quantile(ts, 0.5);
                if (Double.isNaN(crossover) && ms < md) crossover = gamma;
                rows.append(rows.isEmpty() ? "" : ",").append("{\"gamma\":").append(BenchModels.num(gamma))
                        .append(",\"ms_dense\":").append(BenchModels.num(md)).append(",\"ms_sparse\":").append(BenchModels.num(ms)).append('}');
                if (!json) out.printf("%s γ %.2f: dense %.3f ms, sparse %.3f ms%n", s, gamma, md, ms);
            }
            if (json)
                out.println("{\"bench\":\"sparsedw\",\"shape\":" + BenchModels.str(s) + ",\"crossover_gamma\":"
                        + (Double.isNaN(crossover) ? "null" : BenchModels.num(crossover)) + ",\"points\":[" + rows + "]}");
            else out.printf("%s: crossover γ %s%n", s, Double.isNaN(crossover) ? "none (dense faster throughout)" : crossover);
            out.flush();
        }
        return 0;
    }
}
