package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.BackwardMemory;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Bytes held for backward of whole blocks equal the sum of DESIGN.md's per-op list for their shapes. */
class BackwardMemoryOfBlocksTest {
    @Test
    void transformerBlockHoldsExactlyTheListedTensors() {
        int b = 2, n = 5, d = 12, h = 3;
        TransformerBlock block = new TransformerBlock(d, h, 4.0, true, new Generator(1));
        Variable x = Variable.constant(Tensor.randn(new Generator(2), b, n, d));
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable y = block.forward(x);
            long bnd = (long) b * n * d, bn = (long) b * n;
            // norm1: x, mean, rstd | qkv: its input | q·kᵀ and attn·v: the qkv output (one storage, 3·BND) and
            // the softmax output (B·H·N²) | proj: its input | norm2: input, mean, rstd | fc1: input | GELU: input
            // (4·BND) | fc2: input (4·BND)
            long floats = (bnd + 2 * bn) + bnd + 3 * bnd + (long) b * h * n * n + bnd + (bnd + 2 * bn) + bnd + 4 * bnd + 4 * bnd;
            BackwardMemory.Report r = m.report();
            assertEquals(4 * floats, r.activationBytes(), r.toString());
            assertEquals(4L * (long) b * h * n * n, r.byOp().get("softmax"));
            y.sum().backward();
            assertEquals(0, m.report().activationBytes());
        }
    }

    @Test
    void vitHeadHoldsOnlyTheClassTokenNotTheWholeNormOutput() {
        VisionTransformer vit = (VisionTransformer) Presets.create("vit-fmnist", 1, 10, 5);
        int b = 2, d = vit.config().dim();
        try (BackwardMemory m = BackwardMemory.track()) {
            vit.forward(Variable.constant(Tensor.randn(new Generator(6), b, 1, 28, 28)));
            assertEquals(4L * b * d, m.report().byModule().get("head"));
        }
    }

    @Test
    void resnetBasicBlockHoldsInputsStatisticsAndOneBitReluMasks() {
        int b = 2, c = 4, hw = 6;
        ResNet.BasicBlock block = new ResNet.BasicBlock(c, c, 1, new Generator(3));
        Variable x = Variable.constant(Tensor.randn(new Generator(4), b, c, hw, hw));
        try (BackwardMemory m = BackwardMemory.track()) {
            block.forward(x);
            long e = (long) b * c * hw * hw;
            long maskBytes = (e + 31) / 32 * 4;
            // conv1: x | bn1: input + mean + rstd | relu: mask | conv2: relu output | bn2: input + mean + rstd | relu: mask
            long expected = 4 * (e + (e + 2L * c) + e + (e + 2L * c)) + 2 * maskBytes;
            BackwardMemory.Report r = m.report();
            assertEquals(expected, r.activationBytes(), r.toString());
            assertEquals(2 * maskBytes, r.byOp().get("relu"));
        }
    }
}
