package io.github.dropitjvm.train.run;

import io.github.dropitjvm.autograd.BackwardMemory;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.DropItCache;
import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.train.data.Batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Bytes held for backward by one training forward (with the loss) of the same batch, for a plain copy of the
 * model and for a DropIT-converted copy. Copies, so the trained model's DropIT step counters are untouched.
 */
public final class HeldMemory {
    private HeldMemory() {}

    /** dropit is null when the run has no DropIT (γ = 0); expectedDropit is then the plain figure. */
    public record Result(BackwardMemory.Report plain, BackwardMemory.Report dropit, long expectedDropit) {
        public long dropitOrPlainBytes() {
            return dropit != null ? dropit.activationBytes() : plain.activationBytes();
        }
    }

    /**
     * One converted layer in the cache arithmetic (ARCHITECTURE.md): n input elements, k kept, the bytes its dense input took in
     * the plain figure, and the bytes its cache takes by the format's formula.
     */
    public record Layer(String name, long n, long k, long dense, long formula) {}

    /**
     * The converted layers of a DropIT model after one training forward (each cache then knows its input size and
     * the step its γ was taken at), each against its share of the plain model's report.
     */
    public static List<Layer> layers(BackwardMemory.Report plain, Module converted) {
        List<Layer> out = new ArrayList<>();
        converted.visit(m -> {
            DropItCache cache = DropIt.cacheOf(m);
            if (cache == null || cache.step() == 0) return;
            DropItConfig c = cache.config();
            long n = cache.stats().lastElements();
            long k = DropItKernels.keepCount(n, c.gammaAt(m.name(), cache.step() - 1));
            CacheFormat f = c.format().resolve(n, k, c.format().valueType() == DType.BF16);
            out.add(new Layer(m.name(), n, k, plain.byModule().getOrDefault(m.name(), 0L), f.bytes(n, k)));
        });
        return out;
    }

    /**
     * What the DropIT model should hold: the plain figure, less each converted layer's own dense input, plus its
     * cache's formula bytes. Equal to the measured figure when every converted layer is the only holder of its
     * input; above it by what other ops still hold of those inputs otherwise.
     */
    public static long expectedBytes(BackwardMemory.Report plain, List<Layer> layers) {
        long e = plain.activationBytes();
        for (Layer l : layers) e += l.formula() - l.dense();
        return e;
    }

    public static Result measure(TrainConfig cfg, Module trained, int channels, int classes, Batch batch, DropItConfig dropIt) {
        BackwardMemory.Report plain = forward(copy(cfg, trained, channels, classes), batch, cfg.labelSmoothing());
        BackwardMemory.Report dropped = null;
        long expected = plain.activationBytes();
        if (dropIt != null) {
            Module m = copy(cfg, trained, channels, classes);
            DropIt.convert(m, dropIt);
            dropped = forward(m, batch, cfg.labelSmoothing());
            expected = expectedBytes(plain, layers(plain, m));
        }
        return new Result(plain, dropped, expected);
    }

    private static Module copy(TrainConfig cfg, Module trained, int channels, int classes) {
        Module m = Presets.create(cfg.model(), channels, classes, cfg.seed());
        Map<String, Tensor> dst = m.stateDict();
        trained.stateDict().forEach((k, v) -> dst.get(k).copyFrom(v));
        m.train();
        return m;
    }

    private static BackwardMemory.Report forward(Module m, Batch batch, double labelSmoothing) {
        try (BackwardMemory tracker = BackwardMemory.track()) {
            Variable loss = Losses.crossEntropy(m.forward(Variable.constant(batch.images())), batch.labels(), labelSmoothing);
            BackwardMemory.Report r = tracker.report();
            if (loss == null) throw new AssertionError(); // keeps the graph reachable until the report is taken
            return r;
        }
    }
}
