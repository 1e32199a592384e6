package io.github.dropitjvm.bench.peer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.nn.models.VisionTransformer;
import io.github.dropitjvm.nn.optim.AdamW;
import io.github.dropitjvm.nn.optim.ParamGroups;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One thread count of {@code bench compare}, run in its own JVM (started by CompareCommand with
 * -Dai.djl.pytorch.num_threads=N and -Ddropit.threads=N). Prints one line per result on stdout:
 * {@code ROW<TAB>metric<TAB>threads<TAB>ours<TAB>peer<TAB>unit<TAB>higherIsBetter}; progress goes to stderr.
 * Ours and the peer alternate, first untimed for {@link #WARMUP_S} seconds, then within each timed repetition;
 * results are medians.
 */
public final class CompareWorker {
    private CompareWorker() {}

    /** First line on stdout: this tag, a tab, and the OMP_WAIT_POLICY this JVM got (empty when unset). */
    public static final String POLICY_LINE = "OMP_WAIT_POLICY";

    public static void main(String[] args) {
        String policy = System.getenv("OMP_WAIT_POLICY");
        System.out.println(POLICY_LINE + "\t" + (policy == null ? "" : policy));
        int threads = Integer.parseInt(args[0]), reps = Integer.parseInt(args[1]);
        boolean quick = args.length > 2 && args[2].equals("quick");
        if (quick) warmupSeconds = 0;
        Torch.engine();
        try (NDManager root = Torch.newManager()) {
            for (int n : quick ? new int[]{64} : new int[]{512, 1024}) sgemm(root, n, threads, reps);
            int batch = quick ? 2 : 64;
            step(root, "vit-tiny-32", batch, threads, reps, false);
            step(root, "cnn-small", batch, threads, reps, false);
            step(root, "vit-tiny-32", batch, threads, reps, true);
        }
    }

    static void row(String metric, int threads, double ours, double peer, String unit, boolean higherIsBetter) {
        System.out.println("ROW\t" + metric + "\t" + threads + "\t" + ours + "\t" + peer + "\t" + unit + "\t" + higherIsBetter);
        System.out.flush();
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /**
     * Seconds of untimed alternating calls before any timing. A fresh JVM runs the Vector-API kernels interpreted
     * until C2 has compiled them, which takes seconds of calls: one warm-up call measured ours at 22 GFLOP/s for a
     * kernel that `bench gemm` times at 146 after warm-up (and libtorch's first calls are slow too).
     */
    static final double WARMUP_S = 4;

    /** WARMUP_S, or 0 with --quick (which only shows that the command works). */
    private static double warmupSeconds = WARMUP_S;

    /** Runs ours, then the peer, untimed for at least WARMUP_S seconds (none with --quick) and minCalls calls each. */
    static void warmUp(Runnable ours, Runnable peer, int minCalls) {
        long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < minCalls || System.nanoTime() < end; i++) {
            ours.run();
            peer.run();
        }
    }

    static void sgemm(NDManager root, int n, int threads, int reps) {
        Generator g = new Generator(n);
        Tensor a = Tensor.randn(g, n, n), b = Tensor.randn(g, n, n);
        List<Double> ours = new ArrayList<>(), peer = new ArrayList<>();
        try (NDManager m = root.newSubManager()) {
            NDArray an = Torch.toNd(m, a), bn = Torch.toNd(m, b);
            Runnable o = () -> a.matmul(b), p = () -> an.matMul(bn).close(); // CPU libtorch returns when the product is done
            warmUp(o, p, 3);
            int inner = Math.max(1, (int) (5e9 / (2.0 * n * n * n))); // ~5 GFLOP per timing: tens of ms
            for (int r = 0; r < Math.max(reps, 5); r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < inner; i++) o.run();
                double to = (System.nanoTime() - t0) / 1e9 / inner;
                t0 = System.nanoTime();
                for (int i = 0; i < inner; i++) p.run();
                double tp = (System.nanoTime() - t0) / 1e9 / inner;
                ours.add(2.0 * n * n * n / to / 1e9);
                peer.add(2.0 * n * n * n / tp / 1e9);
            }
        }
        row("sgemm " + n + "^3", threads, median(ours), median(peer), "GFLOP/s", true);
    }

    /** Training step (forward, cross-entropy, backward, AdamW) on random data; DropIT γ 0.9 on ours if asked. */
    static void step(NDManager root, String preset, int batch, int threads, int reps, boolean dropit) {
        Module model = Presets.create(preset, 3, 10, 1);
        if (dropit) DropIt.convert(model, DropItConfig.of(0.9));
        Map<String, Parameter> named = model.namedParameters();
        AdamW opt = new AdamW(ParamGroups.timmWeightDecay(named, 0.05), 1e-3);
        Generator g = new Generator(2);
        Tensor x = Tensor.randn(g, batch, 3, 32, 32);
        long[] t = new long[batch];
        for (int i = 0; i < batch; i++) t[i] = i % 10;
        Tensor targets = Tensor.fromArray(t, batch);
        List<Double> ours = new ArrayList<>(), peer = new ArrayList<>();
        try (NDManager m = root.newSubManager(); TorchNet net = new TorchNet(model, m)) {
            TorchAdamW topt = new TorchAdamW(net, 1e-3, 0.9, 0.999, 1e-8, name -> ParamGroups.isNoDecay(name, named.get(name)) ? 0.0 : 0.05);
            Function<NDArray, NDArray> fwd = preset.startsWith("vit")
                    ? in -> net.vit(in, ((VisionTransformer) model).config())
                    : net::cnnSmall;
            Runnable o = () -> {
                opt.zeroGrad();
                Losses.crossEntropy(model.forward(Variable.constant(x)), targets, 0.0).backward();
                opt.step();
            };
            Runnable p = () -> {
                try (NDManager s = m.newSubManager()) { // per-step manager: intermediates die with it
                    net.attachAll(s);
                    topt.attachAll(s);
                    net.zeroGrad();
                    NDArray xn = Torch.toNd(s, x), tn = Torch.toNd(s, targets);
                    try (GradientCollector gc = Torch.engine().newGradientCollector()) {
                        gc.backward(TorchNet.crossEntropy(fwd.apply(xn), tn, 0.0));
                    }
                    topt.step();
                }
            };
            warmUp(o, p, 2);
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                o.run();
                double to = (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                p.run();
                double tp = (System.nanoTime() - t0) / 1e6;
                System.err.printf("compare: %s%s batch %d threads %d rep %d: ours %.1f ms, libtorch %.1f ms%n",
                        preset, dropit ? " DropIT" : "", batch, threads, r, to, tp);
                ours.add(to);
                peer.add(tp);
            }
        }
        String metric = preset + (dropit ? " DropIT γ0.9" : "") + " train step b" + batch;
        row(metric, threads, median(ours), median(peer), "ms", false);
    }

    static String str(int[] a) {
        return Arrays.toString(a);
    }
}
