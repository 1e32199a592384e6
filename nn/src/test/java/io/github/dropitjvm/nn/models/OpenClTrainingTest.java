package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.optim.AdamW;
import io.github.dropitjvm.nn.optim.Optimizer;
import io.github.dropitjvm.nn.optim.ParamGroups;
import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.opencl.OpenClBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 24 AdamW steps (batch 8) of the vit-fmnist preset with every tensor on the OpenCL backend (made the default, so the
 * model's parameters are created there) give the CPU backend's losses within float tolerance. Under CI a missing
 * OpenCL device is a failure; elsewhere the test is skipped.
 */
class OpenClTrainingTest {
    private static float[] train(Backend backend, int steps) {
        Backends.setDefault(backend);
        try {
            Module model = Presets.create("vit-fmnist", 1, 10, 3);
            Tensor x = Tensor.randn(new Generator(11), 8, 1, 28, 28);
            Tensor labels = Tensor.fromArray(new int[]{0, 1, 2, 3, 4, 5, 6, 7}, 8);
            assertEquals(backend, x.backend());
            Optimizer opt = new AdamW(ParamGroups.timmWeightDecay(model.namedParameters(), 0.05), 2e-3);
            float[] losses = new float[steps];
            for (int s = 0; s < steps; s++) {
                opt.zeroGrad();
                Variable loss = Losses.crossEntropy(model.forward(Variable.constant(x)), labels, 0.1);
                loss.backward();
                opt.step();
                losses[s] = loss.item();
            }
            return losses;
        } finally {
            Backends.setDefault(null);
        }
    }

    /**
     * 200 AdamW steps of a tiny ViT (d 32, depth 2, batch 8) whose intermediate tensors are never closed: the
     * device memory the allocator holds stops growing once the garbage collector is asked to run (a 16 MiB
     * threshold here), instead of growing with every step.
     */
    @Test
    void noDeviceMemoryGrowthOver200TrainingSteps() {
        requireOpenCl();
        String old = System.getProperty("dropit.opencl.collectBytes");
        System.setProperty("dropit.opencl.collectBytes", Long.toString(16L << 20));
        OpenClBackend cl = OpenClBackend.create(0, 0);
        Backends.setDefault(cl);
        try {
            Module model = new VisionTransformer(new VisionTransformer.Config(28, 7, 1, 10, 32, 2, 2, 2.0, true), new Generator(1));
            Tensor x = Tensor.randn(new Generator(2), 8, 1, 28, 28);
            Tensor labels = Tensor.fromArray(new int[]{0, 1, 2, 3, 4, 5, 6, 7}, 8);
            Optimizer opt = new AdamW(ParamGroups.timmWeightDecay(model.namedParameters(), 0.05), 1e-3);
            long after20 = 0, peak = 0;
            for (int s = 0; s < 200; s++) {
                opt.zeroGrad();
                Variable loss = Losses.crossEntropy(model.forward(Variable.constant(x)), labels, 0.0);
                loss.backward();
                opt.step();
                if (s == 19) after20 = cl.deviceBytes();
                if (s >= 20) peak = Math.max(peak, cl.deviceBytes());
            }
            assertTrue(peak <= Math.max(after20, 16L << 20) + (8L << 20),
                    "device bytes after 20 steps " + after20 + ", peak over steps 20..200 " + peak);
        } finally {
            Backends.setDefault(null);
            if (old == null) System.clearProperty("dropit.opencl.collectBytes");
            else System.setProperty("dropit.opencl.collectBytes", old);
        }
    }

    private static void requireOpenCl() {
        if (!OpenClBackend.isAvailable()) {
            if ("true".equals(System.getenv("CI")) || "true".equals(System.getProperty("dropit.ci"))) fail("CI requires an OpenCL device (PoCL)");
            Assumptions.abort("no OpenCL device");
        }
    }

    @Test
    void vitFmnistStepsOnOpenClMatchTheCpuLosses() {
        if (!OpenClBackend.isAvailable()) {
            if ("true".equals(System.getenv("CI")) || "true".equals(System.getProperty("dropit.ci"))) fail("CI requires an OpenCL device (PoCL)");
            Assumptions.abort("no OpenCL device");
        }
        int steps = 24;
        float[] cpu = train(Backends.cpu(), steps), cl = train(Backends.byName("opencl"), steps);
        for (int s = 0; s < steps; s++)
            assertTrue(Math.abs(cpu[s] - cl[s]) <= 1e-4 * Math.max(1, Math.abs(cpu[s])), "step " + s + ": cpu " + cpu[s] + ", opencl " + cl[s]);
        assertTrue(cl[steps - 1] < cl[0], "loss decreases on OpenCL: " + cl[0] + " -> " + cl[steps - 1]);
    }
}
