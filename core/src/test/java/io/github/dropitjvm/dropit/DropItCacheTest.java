package io.github.dropitjvm.dropit;

import io.github.dropitjvm.autograd.BackwardMemory;
import io.github.dropitjvm.autograd.GradMode;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Linalg;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

class DropItCacheTest {
    /** Holder so a test can wrap a layer in a parent and convert it. */
    static final class One extends Module {
        final Module inner;

        One(Module m) {
            inner = child("layer", m);
        }

        @Override
        protected Variable compute(Variable x) {
            return children().get("layer").forward(x);
        }
    }

    /** Kept set of DESIGN.md's rule, by a stable sort: |x| descending, ties to the lower flat index. */
    static boolean[] referenceKept(float[] x, long k) {
        Integer[] order = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -Math.abs((double) x[i])).thenComparingInt(i -> i));
        boolean[] kept = new boolean[x.length];
        for (int j = 0; j < k; j++) kept[order[j]] = true;
        return kept;
    }

    private static Tensor withRepeats(int n) {
        float[] v = Tensor.randn(new Generator(5), n).toFloatArray();
        for (int i = 0; i < n; i += 2) v[i] = 0f;            // 50% zeros (ReLU-like)
        for (int i = 1; i < n; i += 7) v[i] = (i % 3 == 0) ? -0.5f : 0.5f; // repeated magnitudes
        return Tensor.fromArray(v, n);
    }

    @Test
    void dxDbExactAndDwFromTheKeptSetForEveryFormat() {
        int rows = 6, in = 11, out = 5;
        Tensor x = withRepeats(rows * in).reshape(rows, in);
        Tensor w = Tensor.randn(new Generator(6), out, in), b = Tensor.randn(new Generator(7), out);
        Tensor dy = Tensor.randn(new Generator(8), rows, out);
        Variable px = Variable.param(x), pw = Variable.param(w), pb = Variable.param(b);
        Linalg.linear(px, pw, pb).backward(dy, false);
        for (CacheFormat f : CacheFormat.values()) {
            double gamma = 0.7;
            long k = (long) Math.floor((1 - gamma) * rows * in + 0.5);
            Variable qx = Variable.param(x), qw = Variable.param(w), qb = Variable.param(b);
            DropItPacker packer = new DropItPacker(gamma, Strategy.EXACT_MINK, f, false, 0, "fc", 0, 0, null);
            Linalg.linear(qx, qw, qb, packer).backward(dy, false);
            assertArrayEquals(px.grad().toFloatArray(), qx.grad().toFloatArray(), f.id());
            assertArrayEquals(pb.grad().toFloatArray(), qb.grad().toFloatArray(), f.id());
            boolean[] kept = referenceKept(x.toFloatArray(), k);
            float[] xv = x.toFloatArray(), dyv = dy.toFloatArray(), got = qw.grad().toFloatArray();
            boolean bf16 = f.valueType() == io.github.dropitjvm.tensor.DType.BF16;
            for (int o = 0; o < out; o++)
                for (int i = 0; i < in; i++) {
                    double ref = 0, mag = 0;
                    for (int r = 0; r < rows; r++) {
                        double xh = kept[r * in + i] ? xv[r * in + i] : 0;
                        ref += dyv[r * out + o] * xh;
                        mag += Math.abs(dyv[r * out + o] * xh);
                    }
                    double tol = (bf16 ? 0x1p-8 : 4 * rows * 0x1p-24) * mag + 1e-7;
                    assertEquals(ref, got[o * in + i], tol, f.id() + " dW[" + o + "," + i + "]");
                }
        }
    }

    @Test
    void gammaZeroThroughThePackerEqualsThePlainLayerExactly() {
        Tensor x = Tensor.randn(new Generator(1), 2, 3, 6, 6);
        Conv2d plain = new Conv2d(3, 4, 3, 1, 1, true, new Generator(2));
        One model = new One(plain);
        Variable x1 = Variable.param(x);
        model.forward(x1).sum().backward();
        float[] gw = plain.weight().grad().toFloatArray(), gx = x1.grad().toFloatArray();
        plain.zeroGrad();
        DropIt.Report rep = DropIt.convert(model, new DropItConfig(0.0, java.util.Map.of(), Strategy.EXACT_MINK,
                CacheFormat.INDEX32_FP32, false, 0, 0, java.util.List.of(), java.util.List.of(), true));
        assertEquals(java.util.List.of("layer"), rep.converted());
        Variable x2 = Variable.param(x);
        model.forward(x2).sum().backward();
        assertArrayEquals(gw, plain.weight().grad().toFloatArray());
        assertArrayEquals(gx, x2.grad().toFloatArray());
        assertEquals(1, DropIt.cacheOf(plain).stats().calls());
    }

    @Test
    void cachedBytesMatchTheArithmeticOfEachFormat() {
        int n = 1000;
        Tensor x = Tensor.randn(new Generator(3), 10, 100);
        double gamma = 0.9;
        long k = 100;
        for (CacheFormat f : new CacheFormat[]{CacheFormat.INDEX32_FP32, CacheFormat.BITMASK_FP32, CacheFormat.INDEX32_BF16, CacheFormat.BITMASK_BF16}) {
            Linear lin = new Linear(100, 4, true, new Generator(4));
            One model = new One(lin);
            DropIt.convert(model, new DropItConfig(gamma, java.util.Map.of(), Strategy.EXACT_MINK, f, false, 0, 0,
                    java.util.List.of(), java.util.List.of(), true));
            try (BackwardMemory m = BackwardMemory.track()) {
                model.forward(Variable.constant(x));
                long expected = switch (f) {
                    case INDEX32_FP32 -> 8 * k;                 // 8(1−γ) B per element
                    case BITMASK_FP32 -> (n + 31) / 32 * 4 + 4 * k; // 4(1−γ) + 1/8 B per element, words rounded up
                    case INDEX32_BF16 -> 6 * k;
                    case BITMASK_BF16 -> (n + 31) / 32 * 4 + 2 * k;
                    default -> throw new IllegalStateException();
                };
                assertEquals(expected, m.report().activationBytes(), f.id());
                assertEquals(expected, f.bytes(n, k));
            }
        }
    }

    @Test
    void noSelectionInEvalNoGradOrFrozenLayers() {
        Linear lin = new Linear(8, 3, true, new Generator(1));
        One model = new One(lin);
        DropIt.convert(model, new DropItConfig(0.5, java.util.Map.of(), Strategy.EXACT_MINK, CacheFormat.AUTO, false, 0, 0,
                java.util.List.of(), java.util.List.of(), true));
        DropItCache d = DropIt.cacheOf(lin);
        Variable x = Variable.constant(Tensor.randn(new Generator(2), 4, 8));
        model.eval();
        model.forward(x);
        model.train();
        try (var s = GradMode.noGrad()) {
            model.forward(x);
        }
        model.setTrainable(false);
        model.forward(x);
        assertEquals(0, d.stats().calls());
        model.setTrainable(true);
        model.forward(x);
        assertEquals(1, d.stats().calls());
        assertEquals(16, d.stats().lastKept());
    }

    @Test
    void nanInputNamesTheLayerAndRetainGraphAllowsTwoBackwards() {
        Linear lin = new Linear(4, 2, true, new Generator(1));
        One model = new One(lin);
        DropIt.convert(model, new DropItConfig(0.5, java.util.Map.of(), Strategy.EXACT_MINK, CacheFormat.AUTO, false, 0, 0,
                java.util.List.of(), java.util.List.of(), true));
        Tensor bad = Tensor.fromArray(new float[]{1, Float.NaN, 2, 3}, 1, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(Variable.constant(bad)));
        assertTrue(e.getMessage().contains("'layer'"), e.getMessage());
        Variable y = model.forward(Variable.constant(Tensor.randn(new Generator(3), 3, 4))).sum();
        y.backward(true);
        float[] once = lin.weight().grad().toFloatArray();
        y.backward(true);
        float[] twice = lin.weight().grad().toFloatArray();
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-6);
    }

    @Test
    void randomStrategyRegeneratesPositionsAndStoresNoIndex() {
        Tensor x = Tensor.randn(new Generator(9), 20, 50);
        Variable w = Variable.param(Tensor.randn(new Generator(10), 3, 50));
        DropItPacker packer = new DropItPacker(0.8, Strategy.RANDOM, CacheFormat.BITMASK_FP32, false, 1234, "fc", 7, 3, null);
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable y = Linalg.linear(Variable.constant(x), w, null, packer);
            long held = m.report().activationBytes();
            Tensor mask = io.github.dropitjvm.tensor.DropItKernels.randomKeepMask(x.backend(), 1000, 1234, 7, 3, 0.8);
            long k = io.github.dropitjvm.tensor.DropItKernels.countKept(mask);
            assertEquals(4 * k, held, "values only");
            y.backward(Tensor.ones(20, 3), false);
            Tensor xhat = x.mul(io.github.dropitjvm.tensor.DropItKernels.scatterMasked(Tensor.ones((int) k), mask, 20, 50));
            float[] expect = Tensor.ones(20, 3).transpose(0, 1).matmul(xhat).toFloatArray();
            assertArrayEquals(expect, w.grad().toFloatArray(), 1e-4f);
        }
    }

    @Test
    void convertLeavesPatchEmbeddingAndHeadDenseAndShrinksTheViTCache() {
        Module vit = Presets.create("vit-fmnist", 1, 10, 1);
        Module plain = Presets.create("vit-fmnist", 1, 10, 1);
        DropIt.Report rep = DropIt.convert(vit, DropItConfig.of(0.9).withFormat(CacheFormat.BITMASK_FP32));
        assertEquals(24, rep.converted().size(), rep.toString());
        assertEquals(java.util.List.of("patch_embed.proj", "head"), rep.skipped());
        Variable x = Variable.constant(Tensor.randn(new Generator(2), 4, 1, 28, 28));
        long dense, sparse;
        try (BackwardMemory m = BackwardMemory.track()) {
            plain.forward(x);
            dense = m.report().activationBytes();
        }
        try (BackwardMemory m = BackwardMemory.track()) {
            vit.forward(x);
            sparse = m.report().activationBytes();
        }
        assertTrue(sparse < 0.7 * dense, "DropIT " + sparse + " vs plain " + dense);
    }
}
