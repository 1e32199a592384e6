package io.github.dropitjvm.bench.peer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.autograd.ops.Norms;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.nn.layers.Activations;
import io.github.dropitjvm.nn.layers.BatchNorm2d;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.LayerNorm;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.nn.models.Attention;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.nn.models.ResNet;
import io.github.dropitjvm.nn.models.TransformerBlock;
import io.github.dropitjvm.nn.models.VisionTransformer;
import io.github.dropitjvm.nn.optim.AdamW;
import io.github.dropitjvm.nn.optim.ParamGroups;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with libtorch 2.7.1 (through DJL): with identical weights (copied by name) and inputs, our forward
 * outputs and every gradient (input and all parameters) match libtorch's.
 *
 * <p>Error measure, per tensor: rel(a, b) = max_i |a_i − b_i| / max(max_i |b_i|, 1e-6), a ours, b libtorch's;
 * every tensor must have rel &lt;= 1e-4. (Max-normalised rather than elementwise: near-zero elements of a sum of
 * many float32 products legitimately differ by more than 1e-4 of themselves.) Backward for layer tests runs from
 * loss = Σ out·R with a fixed random R, so every output element gets a distinct gradient.
 *
 * <p>Without libtorch the tests are skipped, except under CI (env CI=true), where that is a failure.
 */
class TorchParityTest {
    static final double TOL = 1e-4, FLOOR = 1e-6;
    static NDManager root;

    @BeforeAll
    static void load() {
        PeerTesting.requireTorch();
        root = Torch.newManager();
    }

    @AfterAll
    static void close() {
        if (root != null) root.close();
    }

    static double rel(Tensor ours, Tensor torch) {
        assertEquals(java.util.Arrays.toString(torch.shape()), java.util.Arrays.toString(ours.shape()), "shape");
        float[] a = ours.contiguous().toFloatArray(), b = torch.contiguous().toFloatArray();
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - b[i]));
            scale = Math.max(scale, Math.abs((double) b[i]));
            if (Double.isNaN(a[i]) != Double.isNaN(b[i])) return Double.POSITIVE_INFINITY;
        }
        return diff / Math.max(scale, FLOOR);
    }

    static void assertClose(String what, Tensor ours, Tensor torch) {
        double r = rel(ours, torch);
        assertTrue(r <= TOL, what + ": relative error " + r + " > " + TOL);
    }

    /** Adds N(0, 0.2²) noise to every parameter so no weight is trivially 1 or 0. */
    static <M extends Module> M perturbed(M m, long seed) {
        Generator g = new Generator(seed);
        for (Parameter p : m.parameters()) p.data().copyFrom(p.data().add(Tensor.randn(g, p.shape()).mul(0.2)));
        return m;
    }

    /**
     * Forward both, backward from Σ out·R on both, and compare out, dx and every parameter gradient by name;
     * then, if {@code extra} is given, compare what it returns (e.g. updated buffers).
     */
    static void check(String what, Module ours, Function<Variable, Variable> oursFwd,
                      BiFunction<TorchNet, NDArray, NDArray> torchFwd, int[] inputShape, long seed) {
        Generator g = new Generator(seed);
        Tensor x = Tensor.randn(g, inputShape);
        try (NDManager m = root.newSubManager(); TorchNet net = new TorchNet(ours, m)) { // copy before our forward changes buffers
            Variable xv = Variable.param(x);
            Variable y = oursFwd.apply(xv);
            Tensor r = Tensor.randn(g, y.shape());
            y.mul(Variable.constant(r)).sum().backward();
            NDArray xn = Torch.toNd(m, x);
            xn.setRequiresGradient(true);
            NDArray yn;
            try (GradientCollector gc = Torch.engine().newGradientCollector()) {
                yn = torchFwd.apply(net, xn);
                gc.backward(yn.mul(Torch.toNd(m, r)).sum());
            }
            assertClose(what + " forward", y.data(), Torch.toTensor(yn));
            assertClose(what + " d(input)", xv.grad(), Torch.toTensor(xn.getGradient()));
            int n = 0;
            for (Map.Entry<String, Parameter> e : ours.namedParameters().entrySet()) {
                assertClose(what + " d(" + e.getKey() + ")", e.getValue().grad(), net.grad(e.getKey()));
                n++;
            }
            assertEquals(ours.namedParameters().size(), n);
            // buffers (batch-norm running statistics) after the training forward
            ours.namedBuffers().forEach((name, b) -> {
                if (b.dtype().isFloating()) assertClose(what + " buffer " + name, b, Torch.toTensor(net.buffer(name)));
            });
        }
    }

    @Test
    void linear() {
        Linear l = perturbed(new Linear(7, 6, true, new Generator(1)), 2);
        check("Linear", l, l::forward, (net, x) -> net.linear(x, ""), new int[]{4, 5, 7}, 3);
    }

    @Test
    void conv2d() {
        Conv2d c = perturbed(new Conv2d(3, 4, 3, 2, 1, true, new Generator(4)), 5);
        check("Conv2d", c, c::forward, (net, x) -> net.conv2d(x, "", 2, 1), new int[]{2, 3, 7, 7}, 6);
        Conv2d even = perturbed(new Conv2d(3, 4, 3, 2, 1, true, new Generator(4)), 5);
        check("Conv2d even input", even, even::forward, (net, x) -> net.conv2d(x, "", 2, 1), new int[]{2, 3, 8, 8}, 6);
    }

    @Test
    void conv2dOneByOneStrided() {
        Conv2d c = perturbed(new Conv2d(4, 8, 1, 2, 0, false, new Generator(31)), 32);
        check("Conv2d 1x1/2", c, c::forward, (net, x) -> net.conv2d(x, "", 2, 0), new int[]{3, 4, 8, 8}, 33);
    }

    /**
     * libtorch's own convolution gradients (through {@link TorchNet#conv2d}) against a float64 direct convolution,
     * at batch 3: dx[n,c,iy,ix] = Σ R[n,o,oy,ox]·w[o,c,ki,kj] and dw[o,c,ki,kj] = Σ R[n,o,oy,ox]·x[n,c,iy,ix] over
     * iy = oy·s − p + ki, ix = ox·s − p + kj. The stride-1 3×3 shapes with out-channels not a multiple of 16 are
     * those where libtorch 2.7.1's oneDNN kernel (jit:avx512_core backward_data) returns a wrong or NaN input
     * gradient on this machine's AVX-512 CPU; see {@link TorchNet#conv2d}.
     */
    @Test
    void conv2dGradientsBatch3AgainstDirectConvolution() {
        int[][] cases = { // n, c, h, o, k, stride, pad
                {3, 8, 4, 8, 3, 1, 1}, {3, 4, 8, 8, 3, 1, 1}, {3, 6, 6, 6, 3, 1, 1}, {2, 16, 4, 8, 3, 1, 1},
                {3, 8, 8, 24, 5, 1, 2}, {3, 8, 4, 16, 3, 1, 1}, {3, 4, 8, 8, 3, 2, 1}, {3, 4, 8, 8, 1, 2, 0}};
        for (int[] q : cases) {
            int n = q[0], c = q[1], h = q[2], o = q[3], k = q[4], s = q[5], p = q[6], oh = (h + 2 * p - k) / s + 1;
            String what = "conv n" + n + " c" + c + " h" + h + " o" + o + " k" + k + " s" + s + " p" + p;
            Generator g = new Generator(40 + o + 100L * c);
            Tensor x = Tensor.randn(g, n, c, h, h), w = Tensor.randn(g, o, c, k, k), r = Tensor.randn(g, n, o, oh, oh);
            float[] xa = x.toFloatArray(), wa = w.toFloatArray(), ra = r.toFloatArray();
            double[] dx = new double[xa.length], dw = new double[wa.length];
            for (int b = 0; b < n; b++) for (int oc = 0; oc < o; oc++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < oh; ox++) {
                double gy = ra[((b * o + oc) * oh + oy) * oh + ox];
                for (int ci = 0; ci < c; ci++) for (int ki = 0; ki < k; ki++) for (int kj = 0; kj < k; kj++) {
                    int iy = oy * s - p + ki, ix = ox * s - p + kj;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= h) continue;
                    int xi = ((b * c + ci) * h + iy) * h + ix, wi = ((oc * c + ci) * k + ki) * k + kj;
                    dx[xi] += gy * wa[wi];
                    dw[wi] += gy * xa[xi];
                }
            }
            Conv2d layer = new Conv2d(c, o, k, s, p, false, new Generator(1));
            layer.namedParameters().get("weight").data().copyFrom(w);
            try (NDManager m = root.newSubManager(); TorchNet net = new TorchNet(layer, m)) {
                NDArray xn = Torch.toNd(m, x);
                xn.setRequiresGradient(true);
                try (GradientCollector gc = Torch.engine().newGradientCollector()) {
                    gc.backward(net.conv2d(xn, "", s, p).mul(Torch.toNd(m, r)).sum());
                }
                assertClose(what + " libtorch d(input) vs float64", Torch.toTensor(xn.getGradient()), Tensor.fromArray(toFloat(dx), n, c, h, h));
                assertClose(what + " libtorch d(weight) vs float64", net.grad("weight"), Tensor.fromArray(toFloat(dw), o, c, k, k));
                // The same convolution without TorchNet's padding: report (not assert) whether this CPU has the fault.
                NDArray xr = Torch.toNd(m, x), wr = Torch.toNd(m, w);
                xr.setRequiresGradient(true);
                try (GradientCollector gc = Torch.engine().newGradientCollector()) {
                    gc.backward(ai.djl.nn.convolutional.Conv2d.conv2d(xr, wr, m.zeros(Torch.shape(o)), Torch.shape(s, s), Torch.shape(p, p),
                            Torch.shape(1, 1), 1).singletonOrThrow().mul(Torch.toNd(m, r)).sum());
                }
                double raw = rel(Torch.toTensor(xr.getGradient()), Tensor.fromArray(toFloat(dx), n, c, h, h));
                if (!(raw <= TOL))
                    System.err.println("TorchParityTest: " + what + ": unpadded libtorch d(input) off by " + raw + " (known oneDNN fault)");
            }
        }
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    @Test
    void layerNorm() {
        LayerNorm ln = perturbed(new LayerNorm(8, 1e-6), 7);
        check("LayerNorm", ln, ln::forward, (net, x) -> net.layerNorm(x, "", 1e-6), new int[]{3, 5, 8}, 8);
    }

    @Test
    void batchNorm2dTrainMode() {
        BatchNorm2d bn = perturbed(new BatchNorm2d(3), 9);
        bn.train();
        check("BatchNorm2d", bn, bn::forward, (net, x) -> net.batchNorm2d(x, "", true), new int[]{4, 3, 5, 5}, 10);
    }

    @Test
    void gelu() {
        Activations.GELU act = new Activations.GELU();
        check("GELU", act, x -> act.forward(x.mul(3.0)), (net, x) -> TorchNet.gelu(x.mul(3.0)), new int[]{5, 40}, 11);
    }

    @Test
    void softmax() {
        Activations.Identity id = new Activations.Identity();
        check("softmax", id, x -> Norms.softmax(x.mul(4.0), -1), (net, x) -> x.mul(4.0).softmax(-1), new int[]{3, 4, 9}, 12);
    }

    @Test
    void multiHeadAttention() {
        Attention a = perturbed(new Attention(12, 3, true, new Generator(13)), 14);
        check("Attention", a, a::forward, (net, x) -> net.attention(x, "", 3), new int[]{2, 5, 12}, 15);
    }

    @Test
    void preNormTransformerBlock() {
        TransformerBlock b = perturbed(new TransformerBlock(12, 3, 4.0, true, new Generator(16)), 17);
        check("TransformerBlock", b, b::forward, (net, x) -> net.transformerBlock(x, "", 3), new int[]{2, 5, 12}, 18);
    }

    /**
     * Batch 3, so batch-norm statistics span samples. Until TorchNet worked around it this test had to use batch 1:
     * the 3×3 stride-1 convolutions here have 8 and 6 output channels, and for batch &gt; 1 libtorch's oneDNN kernel
     * returned a wrong, run-to-run varying (sometimes NaN) input gradient for them; not a fault of our bridge (see
     * {@link #conv2dGradientsBatch3AgainstDirectConvolution} and {@link TorchNet#conv2d}).
     */
    @Test
    void resnetBasicBlockTrainMode() {
        ResNet.BasicBlock withDownsample = perturbed(new ResNet.BasicBlock(4, 8, 2, new Generator(19)), 20);
        check("BasicBlock(downsample)", withDownsample, withDownsample::forward,
                (net, x) -> net.basicBlock(x, "", 2, true), new int[]{3, 4, 8, 8}, 21);
        ResNet.BasicBlock plain = perturbed(new ResNet.BasicBlock(6, 6, 1, new Generator(22)), 23);
        check("BasicBlock", plain, plain::forward, (net, x) -> net.basicBlock(x, "", 1, true), new int[]{3, 6, 6, 6}, 24);
    }

    /** The CNN of {@code bench compare}'s cnn-small step (its conv2 input gradient runs through oneDNN at batch &gt; 1). */
    @Test
    void cnnSmallForwardBackward() {
        Module cnn = Presets.create("cnn-small", 3, 10, 34);
        Tensor targets = Tensor.fromArray(new long[]{1, 8, 3}, 3);
        try (NDManager m = root.newSubManager()) {
            NDArray t = Torch.toNd(m, targets);
            check("cnn-small", cnn, x -> Losses.crossEntropy(cnn.forward(x), targets, 0.0).reshape(1),
                    (net, x) -> TorchNet.crossEntropy(net.cnnSmall(x), t, 0.0).reshape(1), new int[]{3, 3, 32, 32}, 35);
        }
    }

    @Test
    void crossEntropyWithLabelSmoothing() {
        Tensor targets = Tensor.fromArray(new long[]{0, 4, 2, 2, 1, 3}, 6);
        for (double eps : new double[]{0.0, 0.1}) {
            Activations.Identity id = new Activations.Identity();
            try (NDManager m = root.newSubManager()) {
                NDArray t = Torch.toNd(m, targets);
                check("crossEntropy(ε=" + eps + ")", id, x -> Losses.crossEntropy(x.mul(2.0), targets, eps).reshape(1),
                        (net, x) -> TorchNet.crossEntropy(x.mul(2.0), t, eps).reshape(1), new int[]{6, 5}, 25);
            }
        }
    }

    @Test
    void adamWSteps() {
        // Two steps (bias correction at t = 1 and t = 2) on a model with decay and no-decay groups.
        Linear ours = perturbed(new Linear(5, 4, true, new Generator(26)), 27);
        Map<String, Parameter> named = ours.namedParameters();
        AdamW opt = new AdamW(ParamGroups.timmWeightDecay(named, 0.05), 0.01, 0.9, 0.999, 1e-8);
        try (NDManager m = root.newSubManager(); TorchNet net = new TorchNet(ours, m)) {
            TorchAdamW topt = new TorchAdamW(net, 0.01, 0.9, 0.999, 1e-8,
                    name -> ParamGroups.isNoDecay(name, named.get(name)) ? 0.0 : 0.05);
            Generator g = new Generator(28);
            for (int step = 0; step < 2; step++) {
                Tensor x = Tensor.randn(g, 3, 5), r = Tensor.randn(g, 3, 4);
                opt.zeroGrad();
                ours.forward(Variable.constant(x)).mul(Variable.constant(r)).sum().backward();
                opt.step();
                net.zeroGrad();
                try (GradientCollector gc = Torch.engine().newGradientCollector()) {
                    gc.backward(net.linear(Torch.toNd(m, x), "").mul(Torch.toNd(m, r)).sum());
                }
                topt.step();
                for (String name : named.keySet()) {
                    assertClose("AdamW step " + (step + 1) + " " + name, named.get(name).data(), Torch.toTensor(net.param(name)));
                    assertClose("AdamW step " + (step + 1) + " exp_avg_sq." + name, opt.state().get("exp_avg_sq." + name),
                            Torch.toTensor(topt.state(name)[1]));
                }
            }
        }
    }

    @Test
    void vitFmnistForwardBackward() {
        Module vit = Presets.create("vit-fmnist", 1, 10, 29);
        VisionTransformer.Config c = ((VisionTransformer) vit).config();
        Tensor targets = Tensor.fromArray(new long[]{3, 7}, 2);
        try (NDManager m = root.newSubManager()) {
            NDArray t = Torch.toNd(m, targets);
            check("vit-fmnist", vit, x -> Losses.crossEntropy(vit.forward(x), targets, 0.1).reshape(1),
                    (net, x) -> TorchNet.crossEntropy(net.vit(x, c), t, 0.1).reshape(1), new int[]{2, 1, 28, 28}, 30);
        }
    }
}
