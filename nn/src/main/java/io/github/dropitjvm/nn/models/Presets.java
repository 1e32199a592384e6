package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.tensor.Generator;

import java.util.List;

/** The model presets, by the names every command uses ({@code dropit train --help} lists them under --model). */
public final class Presets {
    private Presets() {}

    public static final List<String> NAMES = List.of("vit-fmnist", "vit-tiny-32", "deit-ti", "resnet20", "cnn-small");

    /** Input shape (C, H, W) a preset expects for the given channel count (used by resnet20, which takes 1 or 3). */
    public static int[] inputShape(String name, int channels) {
        return switch (name) {
            case "vit-fmnist" -> new int[]{1, 28, 28};
            case "vit-tiny-32", "cnn-small" -> new int[]{3, 32, 32};
            case "deit-ti" -> new int[]{3, 224, 224};
            case "resnet20" -> new int[]{channels, channels == 1 ? 28 : 32, channels == 1 ? 28 : 32};
            default -> throw unknown(name);
        };
    }

    /**
     * Builds a preset. {@code channels} matters for resnet20 (1 or 3); the ViT presets and cnn-small have fixed
     * inputs and refuse other channel counts.
     */
    public static Module create(String name, int channels, int numClasses, long seed) {
        Generator g = new Generator(seed);
        return switch (name) {
            case "vit-fmnist" -> vit(new VisionTransformer.Config(28, 4, 1, numClasses, 96, 6, 3, 4.0, true), channels, g);
            case "vit-tiny-32" -> vit(new VisionTransformer.Config(32, 4, 3, numClasses, 192, 12, 3, 4.0, true), channels, g);
            case "deit-ti" -> vit(new VisionTransformer.Config(224, 16, 3, numClasses, 192, 12, 3, 4.0, true), channels, g);
            case "resnet20" -> {
                if (channels != 1 && channels != 3) throw new IllegalArgumentException("resnet20: 1 or 3 input channels, got " + channels);
                yield new ResNet(channels, numClasses, 3, 16, g);
            }
            case "cnn-small" -> {
                requireChannels(name, channels, 3);
                yield new CnnSmall(3, 32, numClasses, g);
            }
            default -> throw unknown(name);
        };
    }

    private static Module vit(VisionTransformer.Config c, int channels, Generator g) {
        requireChannels("ViT", channels, c.inChannels());
        return new VisionTransformer(c, g);
    }

    private static void requireChannels(String name, int got, int expected) {
        if (got != expected) throw new IllegalArgumentException(name + ": preset takes " + expected + " input channel(s), got " + got);
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("unknown model preset '" + name + "'; presets: " + NAMES);
    }
}
