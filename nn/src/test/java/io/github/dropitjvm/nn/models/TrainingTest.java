package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.GradMode;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.io.Checkpoints;
import io.github.dropitjvm.nn.optim.AdamW;
import io.github.dropitjvm.nn.optim.Optimizer;
import io.github.dropitjvm.nn.optim.ParamGroups;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The presets learn (overfit a tiny fixed batch), are reproducible bit for bit, and survive a checkpoint round trip. */
class TrainingTest {
    private static final Tensor LABELS = Tensor.fromArray(new int[]{0, 1, 2, 3, 4, 5, 6, 7}, 8);

    private static float[] train(Module model, Tensor x, int steps, double lr) {
        Optimizer opt = new AdamW(ParamGroups.timmWeightDecay(model.namedParameters(), 0.0), lr);
        float[] losses = new float[steps];
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            Variable loss = Losses.crossEntropy(model.forward(Variable.constant(x)), LABELS, 0.0);
            loss.backward();
            opt.step();
            losses[s] = loss.item();
        }
        return losses;
    }

    @Test
    void vitFmnistOverfitsATinyBatchReproducibly() {
        Tensor x = Tensor.randn(new Generator(11), 8, 1, 28, 28);
        float[] a = train(Presets.create("vit-fmnist", 1, 10, 3), x, 40, 2e-3);
        assertTrue(a[a.length - 1] < 0.05, "final loss " + a[a.length - 1] + " from " + a[0]);
        float[] b = train(Presets.create("vit-fmnist", 1, 10, 3), x, 5, 2e-3);
        for (int i = 0; i < b.length; i++) assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(b[i]), "step " + i);
    }

    @Test
    void resnet20OverfitsATinyBatch() {
        Tensor x = Tensor.randn(new Generator(12), 8, 1, 28, 28);
        float[] a = train(Presets.create("resnet20", 1, 10, 4), x, 40, 1e-2);
        assertTrue(a[a.length - 1] < 0.05, "final loss " + a[a.length - 1] + " from " + a[0]);
    }

    @Test
    void saveThenLoadGivesIdenticalOutputs(@TempDir Path dir) throws Exception {
        Module trained = Presets.create("resnet20", 1, 10, 5);
        Tensor x = Tensor.randn(new Generator(13), 8, 1, 28, 28);
        train(trained, x, 2, 1e-2);              // moves weights and batch-norm running statistics
        trained.eval();
        Path file = dir.resolve("model.safetensors");
        Checkpoints.save(file, trained, DType.FLOAT32, Map.of());
        Module fresh = Presets.create("resnet20", 1, 10, 99);
        Checkpoints.load(fresh, file);
        fresh.eval();
        try (var s = GradMode.noGrad()) {
            assertArrayEquals(trained.forward(Variable.constant(x)).data().toFloatArray(),
                    fresh.forward(Variable.constant(x)).data().toFloatArray());
        }
        Module other = Presets.create("cnn-small", 3, 10, 1);
        Exception e = assertThrows(Exception.class, () -> Checkpoints.load(other, file));
        assertTrue(e.getMessage().contains("conv1.weight"), e.getMessage());
    }
}
