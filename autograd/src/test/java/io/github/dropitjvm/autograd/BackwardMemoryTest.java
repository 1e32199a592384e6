package io.github.dropitjvm.autograd;

import io.github.dropitjvm.autograd.ops.Conv;
import io.github.dropitjvm.autograd.ops.Elementwise;
import io.github.dropitjvm.autograd.ops.Linalg;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.autograd.ops.Norms;
import io.github.dropitjvm.autograd.ops.Reductions;
import io.github.dropitjvm.autograd.ops.Shapes;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.function.Supplier;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Bytes held for backward per op, against DESIGN.md's list computed from the shapes: Linear/Conv keep their input
 * (weight counted as a parameter), matmul both operands, LayerNorm input + mean + rstd, BatchNorm input + batch
 * mean + rstd, softmax its output, GELU its input, ReLU and dropout a 1-bit mask, add/reshape/permute nothing.
 */
class BackwardMemoryTest {

    /** FLOAT32 bytes of a tensor of that shape. */
    private static long f32(int... shape) {
        return 4L * Ref64.numel(shape);
    }

    /** BIT storage bytes: whole 32-bit words. */
    private static long bits(int... shape) {
        return (Ref64.numel(shape) + 31) / 32 * 4L;
    }

    /** What the op saves while the graph is alive, measured around {@code forward}; the result is kept for backward. */
    private record Held(BackwardMemory.Report report, Variable out) {}

    private static Held measure(Supplier<Variable> forward) {
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable out = forward.get();
            return new Held(m.report(), out);
        }
    }

    private static void assertHeld(String what, long activation, long parameter, Held h) {
        assertEquals(activation, h.report().activationBytes(), what + ": activation bytes; " + h.report());
        assertEquals(parameter, h.report().parameterBytes(), what + ": parameter bytes; " + h.report());
    }

    @Test
    void linearKeepsItsInputAndCountsTheWeightAsParameter() {
        Variable x = activation(randn(1, 2, 3, 5));
        Variable w = Variable.param(randn(2, 4, 5)), b = Variable.param(randn(3, 4));
        Held h = measure(() -> Linalg.linear(x, w, b));
        assertHeld("linear", f32(2, 3, 5), f32(4, 5), h);
        assertEquals(Map.of("linear", f32(2, 3, 5)), h.report().byOp());
    }

    @Test
    void convKeepsItsInputAndCountsTheWeightAsParameter() {
        Variable x = activation(randn(4, 2, 3, 7, 7));
        Variable w = Variable.param(randn(5, 4, 3, 3, 3)), b = Variable.param(randn(6, 4));
        Held h = measure(() -> Conv.conv2d(x, w, b, 2, 1));
        assertHeld("conv2d", f32(2, 3, 7, 7), f32(4, 3, 3, 3), h);
        assertEquals(Map.of("conv2d", f32(2, 3, 7, 7)), h.report().byOp());
    }

    @Test
    void matmulKeepsBothOperands() {
        Variable a = activation(randn(7, 2, 3, 5)), b = activation(randn(8, 5, 4));
        Held h = measure(() -> Linalg.matmul(a, b));
        assertHeld("matmul", f32(2, 3, 5) + f32(5, 4), 0, h);
        assertEquals(2, h.report().savedTensors());
    }

    @Test
    void layerNormKeepsInputMeanAndRstd() {
        Variable x = activation(randn(9, 3, 4, 8));
        Variable w = Variable.param(randn(10, 8)), b = Variable.param(randn(11, 8));
        Held h = measure(() -> Norms.layerNorm(x, new int[]{8}, w, b, 1e-5));
        // mean and rstd: one value per normalized group (3·4 groups)
        assertHeld("layerNorm", f32(3, 4, 8) + f32(3, 4) + f32(3, 4), f32(8), h);
        Held plain = measure(() -> Norms.layerNorm(x, new int[]{8}, null, null, 1e-5));
        assertHeld("layerNorm without affine", f32(3, 4, 8) + 2 * f32(3, 4), 0, plain);
    }

    @Test
    void batchNormKeepsInputBatchMeanAndRstd() {
        Variable x = activation(randn(12, 4, 3, 5, 5));
        Variable w = Variable.param(randn(13, 3)), b = Variable.param(randn(14, 3));
        Held h = measure(() -> Norms.batchNorm(x, w, b, null, null, true, 1e-5));
        assertHeld("batchNorm", f32(4, 3, 5, 5) + f32(3) + f32(3), f32(3), h);
    }

    @Test
    void softmaxKeepsItsOutput() {
        Variable x = activation(randn(15, 3, 7));
        Held h = measure(() -> Norms.softmax(x, -1));
        assertHeld("softmax", f32(3, 7), 0, h);
        // and what it keeps really is its output: writing into the output is caught in backward
        h.out().data().fillInPlace(0.5);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> h.out().sum().backward());
        assertTrue(e.getMessage().contains("softmax") && e.getMessage().contains("modified in place"), e.getMessage());
    }

    @Test
    void geluKeepsItsInput() {
        Variable x = activation(randn(16, 3, 7));
        Held h = measure(() -> Elementwise.gelu(x));
        assertHeld("gelu", f32(3, 7), 0, h);
        x.data().fillInPlace(0.5);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> h.out().sum().backward());
        assertTrue(e.getMessage().contains("gelu") && e.getMessage().contains("modified in place"), e.getMessage());
    }

    @Test
    void reluKeepsAOneBitMask() {
        for (int[] shape : new int[][]{{3, 37}, {32}, {33}, {2, 3, 5, 7}}) {
            Variable x = activation(randn(17, shape));
            Held h = measure(() -> Elementwise.relu(x));
            assertHeld("relu " + java.util.Arrays.toString(shape), bits(shape), 0, h);
        }
        assertEquals(16, bits(3, 37), "111 bits are 4 words");
    }

    @Test
    void dropoutKeepsAOneBitMask() {
        Variable x = activation(randn(18, 5, 41));
        Held h = measure(() -> Elementwise.dropout(x, 0.3, true, 9, 0, 0));
        assertHeld("dropout", bits(5, 41), 0, h);
        assertEquals(28, bits(5, 41));
    }

    @Test
    void addReshapePermuteAndOtherViewsKeepNothing() {
        Variable x = activation(randn(19, 2, 3, 4)), y = activation(randn(20, 3, 4));
        Held h = measure(() -> {
            Variable s = Elementwise.add(x, y);
            s = Elementwise.sub(s, y);
            s = Shapes.reshape(s, 6, 4);
            s = Shapes.permute(s, 1, 0);
            s = Shapes.transpose(s, 0, 1);
            s = Shapes.narrow(s, 0, 1, 3);
            s = Shapes.unsqueeze(s, 0);
            s = Shapes.squeeze(s, 0);
            s = Shapes.expand(Shapes.unsqueeze(s, 0), 2, 3, 4);
            s = Shapes.cat(1, s, s);
            s = Elementwise.add(s, 1.0);
            s = Elementwise.mul(s, 2.0);
            s = Elementwise.neg(s);
            s = Reductions.mean(s, new int[]{1}, false);
            return Reductions.sum(s);
        });
        assertHeld("views, add, reductions", 0, 0, h);
        assertEquals(0, h.report().savedTensors());
        assertTrue(h.out().requiresGrad(), "the graph was recorded");
    }

    @Test
    void opsOutsideDesignsListKeepWhatTheirJavadocSays() {
        // not in DESIGN.md's list; pinned here so a change in what they hold is a deliberate one
        int[] s = {3, 5};
        Variable a = activation(uniform(50, 0.5, 2, s)), b = activation(uniform(51, 0.5, 2, s));
        assertHeld("mul keeps both operands", 2 * f32(s), 0, measure(() -> Elementwise.mul(a, b)));
        assertHeld("div keeps both operands", 2 * f32(s), 0, measure(() -> Elementwise.div(a, b)));
        assertHeld("div by a constant keeps the divisor", f32(s), 0, measure(() -> Elementwise.div(a, Variable.constant(b.data()))));
        assertHeld("pow keeps its input", f32(s), 0, measure(() -> Elementwise.pow(a, 3)));
        assertHeld("exp keeps its output", f32(s), 0, measure(() -> Elementwise.exp(a)));
        assertHeld("log keeps its input", f32(s), 0, measure(() -> Elementwise.log(a)));
        assertHeld("sqrt keeps its output", f32(s), 0, measure(() -> Elementwise.sqrt(a)));
        assertHeld("tanh keeps its output", f32(s), 0, measure(() -> Elementwise.tanh(a)));
        assertHeld("sigmoid keeps its output", f32(s), 0, measure(() -> Elementwise.sigmoid(a)));
        assertHeld("logSoftmax keeps its output", f32(s), 0, measure(() -> Norms.logSoftmax(a, 1)));
        Variable img = activation(randn(52, 2, 3, 7, 6));
        assertHeld("maxPool2d keeps INT32 argmax positions", 4L * 2 * 3 * 3 * 3, 0, measure(() -> Conv.maxPool2d(img, 2, 2, 0)));
        assertHeld("avgPool2d keeps nothing", 0, 0, measure(() -> Conv.avgPool2d(img, 2, 2, 0)));
        Tensor rm = Tensor.zeros(3), rv = Tensor.ones(3);
        assertHeld("batchNorm eval keeps input, running-mean copy and rstd", f32(2, 3, 7, 6) + 2 * f32(3), 0,
                measure(() -> Norms.batchNorm(img, null, null, rm, rv, false, 1e-5)));
        Tensor targets = Tensor.fromArray(new long[]{0, 4, 2}, 3);
        assertHeld("crossEntropy keeps log-probabilities and the (INT64) targets", f32(s) + 8L * 3, 0,
                measure(() -> Losses.crossEntropy(a, targets, 0.1)));
    }

    @Test
    void aTensorSavedByTwoOpsCountsOnceAttributedToTheFirst() {
        Variable x = activation(randn(21, 3, 5)), b = activation(randn(22, 5, 4));
        Held h = measure(() -> {
            Variable g = Elementwise.gelu(x);          // saves x
            Variable m = Linalg.matmul(x, b);          // saves x again, and b
            return Elementwise.add(Reductions.sum(g), Reductions.sum(m));
        });
        assertHeld("x shared by gelu and matmul", f32(3, 5) + f32(5, 4), 0, h);
        assertEquals(Map.of("gelu", f32(3, 5), "matmul", f32(5, 4)), h.report().byOp());
        assertEquals(3, h.report().savedTensors(), "three saved tensors, two storages");
    }

    @Test
    void aParameterSavedByTwoOpsCountsOnce() {
        Variable x1 = activation(randn(23, 2, 5)), x2 = activation(randn(24, 3, 5));
        Variable w = Variable.param(randn(25, 4, 5));
        Held h = measure(() -> Elementwise.add(Reductions.sum(Linalg.linear(x1, w, null)), Reductions.sum(Linalg.linear(x2, w, null))));
        assertHeld("shared weight", f32(2, 5) + f32(3, 5), f32(4, 5), h);
    }

    @Test
    void aSavedViewCountsItsWholeStorage() {
        Variable x = activation(randn(26, 8, 16));
        Held h = measure(() -> Elementwise.gelu(Shapes.narrow(x, 1, 0, 4))); // gelu saves an (8, 4) view of x
        assertHeld("narrow view saved by gelu", f32(8, 16), 0, h);
        Held t = measure(() -> Linalg.matmul(Shapes.transpose(x, 0, 1), activation(randn(27, 8, 3))));
        assertHeld("transposed view saved by matmul", f32(8, 16) + f32(8, 3), 0, t);
    }

    @Test
    void everythingIsReleasedAfterBackward() {
        Variable x = activation(randn(28, 4, 6));
        Variable w = Variable.param(randn(29, 5, 6));
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable h = Elementwise.gelu(Linalg.linear(x, w, null));
            Variable loss = Reductions.sum(Norms.softmax(Elementwise.relu(h), 1));
            assertEquals(f32(4, 6) + f32(4, 5) + bits(4, 5) + f32(4, 5), m.report().activationBytes(), m.report().toString());
            loss.backward();
            BackwardMemory.Report after = m.report();
            assertEquals(0, after.activationBytes(), after.toString());
            assertEquals(0, after.parameterBytes(), after.toString());
            assertEquals(0, after.savedTensors());
            assertTrue(after.byOp().isEmpty() && after.byModule().isEmpty(), after.toString());
        }
    }

    @Test
    void retainGraphKeepsEverythingUntilTheLastBackward() {
        Variable x = activation(randn(30, 4, 6));
        Variable w = Variable.param(randn(31, 5, 6));
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable loss = Reductions.sum(Elementwise.gelu(Linalg.linear(x, w, null)));
            BackwardMemory.Report before = m.report();
            loss.backward(true);
            assertEquals(before, m.report(), "retainGraph keeps every saved tensor");
            loss.backward(false);
            assertEquals(0, m.report().activationBytes());
            assertEquals(0, m.report().parameterBytes());
        }
    }

    @Test
    void noGradSavesNothingForAnyOp() {
        Variable x = activation(randn(32, 2, 3, 6, 6));
        Variable w = Variable.param(randn(33, 4, 3, 3, 3)), wl = Variable.param(randn(34, 5, 6));
        Variable g = Variable.param(randn(35, 3)), bb = Variable.param(randn(36, 3));
        try (BackwardMemory m = BackwardMemory.track(); var ng = GradMode.noGrad()) {
            Variable c = Conv.conv2d(x, w, null, 1, 1);
            Variable y = Elementwise.relu(Norms.batchNorm(Conv.maxPool2d(x, 2, 2, 0), g, bb, null, null, true, 1e-5));
            Variable z = Elementwise.dropout(Elementwise.gelu(Linalg.linear(x, wl, null)), 0.5, true, 1, 0, 0);
            Variable s = Norms.softmax(Linalg.matmul(z, Shapes.transpose(z, -1, -2)), -1);
            Variable l = Norms.layerNorm(s, new int[]{6}, null, null, 1e-5);
            Variable e = Elementwise.div(Elementwise.exp(l), Elementwise.sqrt(Elementwise.add(Elementwise.pow(l, 2), 1.0)));
            for (Variable v : new Variable[]{c, y, z, s, l, e}) assertFalse(v.requiresGrad());
            assertEquals(0, m.report().activationBytes(), m.report().toString());
            assertEquals(0, m.report().parameterBytes());
            assertEquals(0, m.report().savedTensors());
        }
    }

    @Test
    void breakdownPerOpAndPerModule() {
        Variable x = activation(randn(37, 2, 5, 8));
        Variable wq = Variable.param(randn(38, 8, 8)), w1 = Variable.param(randn(39, 16, 8)), w2 = Variable.param(randn(40, 8, 16));
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable a;
            try (var s = ModuleScope.enter("blocks.0.attn")) {
                Variable q = Linalg.linear(x, wq, null);                                  // x: 2·5·8 floats
                a = Norms.softmax(Linalg.matmul(q, Shapes.transpose(q, -1, -2)), -1);     // q (once), output 2·5·5
            }
            Variable out;
            try (var s = ModuleScope.enter("blocks.0.mlp")) {
                Variable h;
                try (var fc1 = ModuleScope.enter("blocks.0.mlp.fc1")) {
                    h = Linalg.linear(Linalg.matmul(a, x), w1, null);                     // a, x already held; matmul output 2·5·8
                }
                out = Linalg.linear(Elementwise.gelu(h), w2, null);                       // gelu: h 2·5·16; linear: gelu out 2·5·16
            }
            assertEquals("", ModuleScope.current());
            BackwardMemory.Report r = m.report();
            assertEquals(Map.of(
                    "linear", f32(2, 5, 8) + f32(2, 5, 8) + f32(2, 5, 16),
                    "matmul", f32(2, 5, 8),
                    "softmax", f32(2, 5, 5),
                    "gelu", f32(2, 5, 16)), r.byOp(), r.toString());
            assertEquals(Map.of(
                    "blocks.0.attn", f32(2, 5, 8) + f32(2, 5, 8) + f32(2, 5, 5),
                    "blocks.0.mlp.fc1", f32(2, 5, 8),
                    "blocks.0.mlp", f32(2, 5, 16) + f32(2, 5, 16)), r.byModule(), r.toString());
            long total = 0;
            for (long v : r.byModule().values()) total += v;
            assertEquals(r.activationBytes(), total);
            assertEquals(f32(8, 8) + f32(16, 8) + f32(8, 16), r.parameterBytes());
            Reductions.sum(out).backward();
            assertEquals(0, m.report().activationBytes());
        }
    }

    @Test
    void trackersNestAndSeeOnlyWhatWasSavedWhileOpen() {
        Variable x = activation(randn(41, 3, 7)), y = activation(randn(42, 3, 7));
        try (BackwardMemory outer = BackwardMemory.track()) {
            Variable gx = Elementwise.gelu(x);
            try (BackwardMemory inner = BackwardMemory.track()) {
                Variable gy = Elementwise.gelu(y);
                assertEquals(f32(3, 7), inner.report().activationBytes());
                assertEquals(2 * f32(3, 7), outer.report().activationBytes());
                assertNotNull(gy);
            }
            assertNotNull(gx);
        }
        BackwardMemory a = BackwardMemory.track(), b = BackwardMemory.track();
        IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
        assertTrue(e.getMessage().contains("out of order"), e.getMessage());
        b.close();
        a.close();
    }

    @Test
    void anotherThreadsOpsAreNotCountedHere() throws Exception {
        try (BackwardMemory m = BackwardMemory.track()) {
            Thread t = new Thread(() -> Elementwise.gelu(activation(randn(43, 3, 7))));
            t.start();
            t.join();
            assertEquals(0, m.report().activationBytes());
        }
    }
}
