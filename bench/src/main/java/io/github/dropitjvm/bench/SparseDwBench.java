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
        // Every option is checked before the first shape is timed, so a bad value late in a list is not found minutes in.
        int[][] dims = new int[shapes.length][];
        for (int i = 0; i < shapes.length; i++) dims[i] = shape(shapes[i]);
        for (double gamma : gammas)
            if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException("bench sparsedw: --gammas: each γ must be in [0, 1], got " + gamma);
        if (reps < 1) throw new IllegalArgumentException("bench sparsedw: --reps must be >= 1, got " + reps);
        PrintWriter out = spec.commandLine().getOut();
        for (int i = 0; i < shapes.length; i++) {
            String s = shapes[i];
            int m = dims[i][0], in = dims[i][1], o = dims[i][2];
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

    /** M, in and out of one --shapes entry, MxINxOUT; anything else is refused (exit code 2) naming the entry. */
    static int[] shape(String s) {
        String[] p = s.split("x", -1); // -1: "64x8x" has an empty third part, not two parts
        int[] d = new int[p.length];
        try {
            for (int i = 0; i < p.length; i++) d[i] = Integer.parseInt(p[i]);
        } catch (NumberFormatException e) {
            d = null;
        }
        if (d == null || d.length != 3 || d[0] < 1 || d[1] < 1 || d[2] < 1)
            throw new IllegalArgumentException("bench sparsedw: --shapes: '" + s + "' is not MxINxOUT (three positive integers, e.g. 3200x96x288)");
        return d;
    }
}
