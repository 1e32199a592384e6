package io.github.dropitjvm.bench;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.dropit.Strategy;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.nn.optim.ParamGroups;
import io.github.dropitjvm.nn.optim.Sgd;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;

import java.util.Locale;

/** What the DropIT bench subcommands share: a preset model (plain or converted), a seeded random batch, one step. */
final class BenchModels {
    private BenchModels() {}

    static final int CLASSES = 10;
    static final long MODEL_SEED = 42;

    /** A random batch (seeded) for a preset: inputs N(0, 1) of the preset's input shape, labels i mod 10. */
    record Batch(Tensor x, Tensor y) {
        static Batch random(String preset, int channels, int batch, long seed) {
            int[] in = Presets.inputShape(preset, channels);
            int[] shape = new int[in.length + 1];
            shape[0] = batch;
            System.arraycopy(in, 0, shape, 1, in.length);
            Tensor x = Tensor.randn(new Generator(seed), shape);
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = i % CLASSES;
            return new Batch(x, Tensor.fromArray(labels, batch));
        }
    }

    /** Default input channels of a preset (resnet20 runs on 3-channel 32×32 inputs here, as on CIFAR-10). */
    static int channels(String preset) {
        return preset.equals("vit-fmnist") ? 1 : 3;
    }

    static Module model(String preset) {
        return Presets.create(preset, channels(preset), CLASSES, MODEL_SEED);
    }

    static DropItConfig config(double gamma, String format, String strategy) {
        return DropItConfig.of(gamma).withFormat(CacheFormat.parse(format)).withStrategy(Strategy.parse(strategy));
    }

    /**
     * The DropIT config of a command's --model, --gamma, --cache-format and --strategy, each checked before any
     * work: a bad value is refused (exit code 2) naming its option, not found after the plain run or by a child JVM.
     */
    static DropItConfig config(String command, String model, double gamma, String format, String strategy) {
        try {
            Presets.inputShape(model, channels(model));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(command + ": --model: " + e.getMessage());
        }
        if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException(command + ": --gamma must be in [0, 1], got " + gamma);
        CacheFormat f;
        Strategy s;
        try {
            f = CacheFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(command + ": --cache-format: " + e.getMessage());
        }
        try {
            s = Strategy.parse(strategy);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(command + ": --strategy: " + e.getMessage());
        }
        return DropItConfig.of(gamma).withFormat(f).withStrategy(s);
    }

    /** A model converted with the given config, and the conversion report. */
    record Converted(Module model, DropIt.Report report) {}

    static Converted dropit(String preset, DropItConfig config) {
        Module m = model(preset);
        return new Converted(m, DropIt.convert(m, config));
    }

    /** The loss of one training forward (label smoothing 0.1, as the trainer uses). */
    static Variable loss(Module model, Batch b) {
        return Losses.crossEntropy(model.forward(Variable.constant(b.x())), b.y(), 0.1);
    }

    /** Plain SGD with momentum over every parameter (enough to make a step a real training step). */
    static Sgd sgd(Module model) {
        return new Sgd(ParamGroups.single(model.namedParameters(), 0.0), 0.01, 0.9, false);
    }

    /** One training step: forward, backward, optimizer step, gradients cleared. */
    static void step(Module model, Sgd opt, Batch b) {
        Variable loss = loss(model, b);
        loss.backward();
        opt.step();
        opt.zeroGrad();
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }

    static String str(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}
