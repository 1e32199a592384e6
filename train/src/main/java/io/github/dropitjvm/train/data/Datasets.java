package io.github.dropitjvm.train.data;

import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;

import java.nio.file.Path;
import java.util.List;

/**
 * Datasets by name. {@code synthetic}: random class-dependent images for smoke runs (no files).
 * (Fashion-MNIST, MNIST, the shipped mini subset and CIFAR-10 files are added by the data work of the training
 * issue, behind this same entry point.)
 */
public final class Datasets {
    private Datasets() {}

    public static final List<String> NAMES = List.of("synthetic");

    /**
     * @param dataDir cache directory for downloaded files (may be null for datasets that need none)
     */
    public static Split load(String name, Path dataDir) {
        return switch (name) {
            case "synthetic" -> new Split(synthetic("synthetic-train", 2000, 1), synthetic("synthetic-test", 500, 2));
            default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; datasets: " + NAMES);
        };
    }

    /** 28×28 grey images whose class c is a bright horizontal band at rows 2c..2c+3 over noise: learnable quickly. */
    static ImageSet synthetic(String name, int n, long seed) {
        float[] noise = Tensor.rand(new Generator(seed), n, 28 * 28).toFloatArray();
        byte[] px = new byte[n * 784];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 10;
            labels[i] = c;
            for (int p = 0; p < 784; p++) {
                int row = p / 28;
                float v = noise[i * 784 + p] * 0.5f + (row >= 2 * c + 4 && row < 2 * c + 8 ? 0.5f : 0f);
                px[i * 784 + p] = (byte) Math.min(255, (int) (v * 255));
            }
        }
        return new ImageSet(name, px, labels, 1, 28, 28, 10);
    }
}
