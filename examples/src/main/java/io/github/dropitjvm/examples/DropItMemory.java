package io.github.dropitjvm.examples;

import io.github.dropitjvm.autograd.BackwardMemory;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;

/**
 * Builds the vit-fmnist preset twice, converts one copy with DropIT (γ = 0.9, bitmask + fp32 values), runs one
 * training forward + backward on a random batch with each, and prints the bytes held for backward.
 *
 * <p>Usage: {@code DropItMemory [batch]} (default 16).
 */
public final class DropItMemory {
    private DropItMemory() {}

    public static void main(String[] args) {
        int batch = 16;
        if (args.length > 0) {
            try {
                batch = Integer.parseInt(args[0]);
            } catch (NumberFormatException e) {
                batch = 0;
            }
            if (batch < 1 || args.length > 1) {
                System.err.println("usage: DropItMemory [batch], batch a positive integer (default 16); got " + String.join(" ", args));
                System.exit(2);
            }
        }
        Tensor x = Tensor.randn(new Generator(1), batch, 1, 28, 28);
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = i % 10;
        Tensor y = Tensor.fromArray(labels, batch);
        long plain = heldBytes(Presets.create("vit-fmnist", 1, 10, 42), x, y);
        Module model = Presets.create("vit-fmnist", 1, 10, 42);
        DropIt.Report report = DropIt.convert(model, DropItConfig.of(0.9).withFormat(CacheFormat.BITMASK_FP32));
        long dropit = heldBytes(model, x, y);
        System.out.println(report);
        System.out.printf("bytes held for backward, vit-fmnist batch %d: plain %d, DropIT γ=0.9 %d, ratio %.4f%n",
                batch, plain, dropit, (double) dropit / plain);
    }

    private static long heldBytes(Module model, Tensor x, Tensor y) {
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable loss = Losses.crossEntropy(model.forward(Variable.constant(x)), y, 0.1);
            long held = m.report().activationBytes();
            loss.backward();
            return held;
        }
    }
}
