package io.github.dropitjvm.bench;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.optim.AdamW;
import io.github.dropitjvm.nn.optim.ParamGroups;

import java.util.Arrays;
import java.util.Locale;

/**
 * The trainer's step on random data, for profiling: {@code java ... TrainStepTiming [preset] [batch] [steps]}.
 * Forward (label smoothing 0.1), backward, AdamW step with timm's no-decay groups (wd 0.05), as {@code dropit train}
 * runs it. Prints each step's wall time, then the median and images/s of the steps after the first 2.
 */
public final class TrainStepTiming {
    private TrainStepTiming() {}

    public static void main(String[] args) {
        String preset = args.length > 0 ? args[0] : "vit-fmnist";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        BenchModels.Batch b = BenchModels.Batch.random(preset, BenchModels.channels(preset), batch, 1);
        Module model = BenchModels.model(preset);
        model.train();
        AdamW opt = new AdamW(ParamGroups.timmWeightDecay(model.namedParameters(), 0.05), 1e-3);
        double[] ms = new double[steps], cpu = new double[steps];
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < steps; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            opt.zeroGrad();
            Variable loss = Losses.crossEntropy(model.forward(Variable.constant(b.x())), b.y(), 0.1);
            float l = loss.item();
            loss.backward();
            opt.step();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
            System.out.printf(Locale.ROOT, "step %d %.1f ms (calling thread's CPU %.1f ms) loss %.5f%n", i, ms[i], cpu[i], l);
        }
        double[] s = Arrays.copyOfRange(ms, Math.min(2, steps - 1), steps);
        Arrays.sort(s);
        double med = s[s.length / 2];
        double[] c = Arrays.copyOfRange(cpu, Math.min(2, steps - 1), steps);
        Arrays.sort(c);
        System.out.printf(Locale.ROOT, "calling thread's CPU time: median %.1f ms/step (with -Ddropit.threads=1 this is the whole step, and load-independent)%n", c[c.length / 2]);
        System.out.printf(Locale.ROOT, "%s batch %d: median %.1f ms/step, %.1f images/s (steps 3..%d)%n", preset, batch, med, batch * 1000 / med, steps);
    }
}
