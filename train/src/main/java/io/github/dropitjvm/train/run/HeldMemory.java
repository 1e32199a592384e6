package io.github.dropitjvm.train.run;

import io.github.dropitjvm.autograd.BackwardMemory;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.train.data.Batch;

import java.util.Map;

/**
 * Bytes held for backward by one training forward (with the loss) of the same batch, for a plain copy of the
 * model and for a DropIT-converted copy. Copies, so the trained model's DropIT step counters are untouched.
 */
public final class HeldMemory {
    private HeldMemory() {}

    /** dropit is null when the run has no DropIT (γ = 0). */
    public record Result(BackwardMemory.Report plain, BackwardMemory.Report dropit) {
        public long dropitOrPlainBytes() {
            return dropit != null ? dropit.activationBytes() : plain.activationBytes();
        }
    }

    public static Result measure(TrainConfig cfg, Module trained, int channels, int classes, Batch batch, DropItConfig dropIt) {
        BackwardMemory.Report plain = forward(copy(cfg, trained, channels, classes), batch, cfg.labelSmoothing());
        BackwardMemory.Report dropped = null;
        if (dropIt != null) {
            Module m = copy(cfg, trained, channels, classes);
            DropIt.convert(m, dropIt);
            dropped = forward(m, batch, cfg.labelSmoothing());
        }
        return new Result(plain, dropped);
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
