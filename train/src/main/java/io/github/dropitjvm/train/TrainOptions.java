package io.github.dropitjvm.train;

import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.Strategy;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.train.run.TrainConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options {@code dropit train} and {@code dropit compare} share. Defaults train vit-fmnist on Fashion-MNIST:
 * AdamW, lr 1e-3, weight decay 0.05 (none on biases, norms, position embedding and class token), 1 epoch of linear
 * warm-up then cosine to --min-lr, label smoothing 0.1, batch 128, 10 epochs.
 */
public final class TrainOptions {
    @Option(names = "--model", paramLabel = "PRESET", description = "Model preset: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            defaultValue = "vit-fmnist", completionCandidates = PresetNames.class)
    String model;

    @Option(names = "--dataset", paramLabel = "NAME", defaultValue = "fashion-mnist",
            description = "Dataset (default: ${DEFAULT-VALUE}); 'synthetic' needs no files.")
    String dataset;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where datasets are cached (default: $DROPIT_DATA_DIR, else ~/.cache/dropit-jvm/data).")
    Path dataDir;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "Training batch size (default: ${DEFAULT-VALUE}); the last partial batch of an epoch is dropped.")
    int batchSize;

    @Option(names = "--optimizer", paramLabel = "adamw|sgd", defaultValue = "adamw", description = "adamw (PyTorch AdamW) or sgd (momentum --momentum) (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--min-lr", defaultValue = "1e-5", description = "Learning rate the cosine decays to at the last step (default: ${DEFAULT-VALUE}).")
    double minLr;

    @Option(names = "--warmup", paramLabel = "EPOCHS|Nsteps", defaultValue = "1",
            description = "Linear warm-up from 0 to --lr: a number of epochs (e.g. 1 or 0.5) or of optimizer steps with"
                    + " a 'steps' suffix (e.g. 500steps); then cosine decay to --min-lr (default: ${DEFAULT-VALUE} epoch).")
    String warmup;

    @Option(names = "--weight-decay", defaultValue = "0.05", description = "Decoupled (AdamW) or L2 (SGD) weight decay; not applied to biases, norms, pos_embed, cls_token (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}); ignored by adamw.")
    double momentum;

    @Option(names = "--label-smoothing", defaultValue = "0.1", description = "Label smoothing of the cross-entropy (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--strategy", paramLabel = "exact-mink|approx-mink|random", defaultValue = "exact-mink",
            description = "DropIT strategy: exact-mink keeps the largest |x| (the paper's), approx-mink keeps |x| >= a threshold estimated from a sample (kept count near k; one pass, faster), random keeps a Philox-drawn subset (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--cache-format", paramLabel = "FORMAT", defaultValue = "auto",
            description = "DropIT cache: index32-fp32, bitmask-fp32, index32-bf16, bitmask-bf16 or auto (smallest for fp32 values) (default: ${DEFAULT-VALUE}).")
    String cacheFormat;

    @Option(names = "--train-limit", paramLabel = "N", defaultValue = "0", description = "Use only the first N training images (0: all).")
    int trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", defaultValue = "0", description = "Evaluate on only the first N test images (0: all).")
    int testLimit;

    @Option(names = "--val-size", paramLabel = "N", defaultValue = "5000",
            description = "Validation images held out of the training set by a seeded split, at most a tenth of it;"
                    + " 'best' is chosen on them, the test set is only reported (default: ${DEFAULT-VALUE}; 0: none).")
    int valSize;

    @Option(names = "--augment", paramLabel = "on|off", defaultValue = "on",
            description = "Training-image augmentation: on applies the dataset's (Fashion-MNIST: random crop with padding 2"
                    + " and horizontal flip; MNIST: crop only; CIFAR-10: crop with padding 4 and flip; synthetic: none),"
                    + " off trains on the images as they are; normalization applies either way (default: ${DEFAULT-VALUE}).")
    String augment;

    @Option(names = "--backend", defaultValue = "cpu", description = "Compute backend: cpu, opencl (an OpenCL driver must be installed) or cuda (an NVIDIA GPU and driver; device by -Ddropit.cuda.device); no silent fallback (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for the CPU kernels (default: all processors).")
    Integer threads;

    /** The run's configuration; a bad value is refused with a message naming its option. */
    TrainConfig toConfig(double gamma, long seed) {
        Strategy s;
        CacheFormat f;
        try {
            s = Strategy.parse(strategy);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--strategy: " + e.getMessage());
        }
        try {
            f = CacheFormat.parse(cacheFormat);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cache-format: " + e.getMessage());
        }
        if (!Presets.NAMES.contains(model))
            throw new IllegalArgumentException("--model: unknown preset '" + model + "'; presets: " + Presets.NAMES);
        boolean aug = switch (augment) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--augment must be on or off, got '" + augment + "'");
        };
        checkThreads();
        return new TrainConfig(model, dataset, epochs, batchSize, optimizer, lr, minLr, warmup, weightDecay, momentum,
                labelSmoothing, gamma + 0.0 /* -0 is 0 */, s, f, seed, trainLimit, testLimit, valSize, backend, aug);
    }

    /** Checks --threads and applies it to the CPU backend's worker pool. */
    void checkThreads() {
        if (threads != null && threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (threads != null) io.github.dropitjvm.tensor.cpu.CpuBackend.setThreads(threads);
    }

    /** Candidates for --model's help. */
    static final class PresetNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Presets.NAMES.iterator();
        }
    }
}
