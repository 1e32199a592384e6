package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.GradCheck;
import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.nn.LayerGradCheck;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.models.Attention;
import io.github.dropitjvm.nn.models.Mlp;
import io.github.dropitjvm.nn.models.ResNet;
import io.github.dropitjvm.nn.models.TransformerBlock;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

/** gradcheck of every layer and block, against float64 references composed from Ref64's ops. */
class LayersGradCheckTest {
    private static final GradCheck.Tolerance TOL = GradCheck.Tolerance.DEFAULT;

    private static Tensor x(long seed, int... shape) {
        return Tensor.randn(new Generator(seed), shape);
    }

    static Ref64.T linearRef(Ref64.T x, Map<String, Ref64.T> p, String prefix) {
        return Ref64.linear(x, p.get(prefix + "weight"), p.get(prefix + "bias"));
    }

    static Ref64.T attentionRef(Ref64.T x, Map<String, Ref64.T> p, String prefix, int heads) {
        int b = x.shape()[0], n = x.shape()[1], d = x.shape()[2], hd = d / heads;
        Ref64.T qkv = Ref64.permute(Ref64.reshape(linearRef(x, p, prefix + "qkv."), b, n, 3, heads, hd), 2, 0, 3, 1, 4);
        Ref64.T q = Ref64.select(qkv, 0, 0), k = Ref64.select(qkv, 0, 1), v = Ref64.select(qkv, 0, 2);
        Ref64.T att = Ref64.softmax(Ref64.mulScalar(Ref64.matmul(q, Ref64.transpose(k, 2, 3)), 1 / Math.sqrt(hd)), 3);
        Ref64.T o = Ref64.reshape(Ref64.transpose(Ref64.matmul(att, v), 1, 2), b, n, d);
        return linearRef(o, p, prefix + "proj.");
    }

    static Ref64.T mlpRef(Ref64.T x, Map<String, Ref64.T> p, String prefix) {
        return linearRef(Ref64.gelu(linearRef(x, p, prefix + "fc1.")), p, prefix + "fc2.");
    }

    static Ref64.T layerNormRef(Ref64.T x, Map<String, Ref64.T> p, String prefix) {
        return Ref64.layerNorm(x, 1, p.get(prefix + "weight"), p.get(prefix + "bias"), 1e-6);
    }

    @Test
    void linear() {
        LayerGradCheck.check(new Linear(5, 3, true, new Generator(1)), x(2, 2, 4, 5), (x, p) -> linearRef(x, p, ""), TOL);
    }

    @Test
    void conv2d() {
        LayerGradCheck.check(new Conv2d(2, 3, 3, 2, 1, true, new Generator(3)), x(4, 2, 2, 5, 5),
                (x, p) -> Ref64.conv2d(x, p.get("weight"), p.get("bias"), 2, 1), TOL);
    }

    @Test
    void layerNorm() {
        LayerNorm ln = new LayerNorm(6, 1e-6);
        ln.namedParameters().get("weight").data().copyFrom(x(5, 6));
        LayerGradCheck.check(ln, x(6, 3, 6), (x, p) -> layerNormRef(x, p, ""), TOL);
    }

    @Test
    void batchNormInTrainingAndEvalMode() {
        BatchNorm2d bn = new BatchNorm2d(3);
        bn.namedParameters().get("weight").data().copyFrom(x(7, 3));
        LayerGradCheck.check(bn, x(8, 4, 3, 2, 2), (x, p) -> Ref64.batchNormTrain(x, p.get("weight"), p.get("bias"), 1e-5), TOL);
        // planes of 5×5: the statistics' and the backward's sums run in double vector lanes, then a tail
        LayerGradCheck.check(bn, x(10, 2, 3, 5, 5), (x, p) -> Ref64.batchNormTrain(x, p.get("weight"), p.get("bias"), 1e-5), TOL);
        bn.eval();
        Tensor rm = bn.namedBuffers().get("running_mean"), rv = bn.namedBuffers().get("running_var");
        Ref64.T m = Ref64.of(toD(rm), 3), v = Ref64.of(toD(rv), 3);
        LayerGradCheck.check(bn, x(9, 4, 3, 2, 2), (x, p) -> Ref64.batchNormEval(x, m, v, p.get("weight"), p.get("bias"), 1e-5), TOL);
        LayerGradCheck.check(bn, x(11, 2, 3, 5, 5), (x, p) -> Ref64.batchNormEval(x, m, v, p.get("weight"), p.get("bias"), 1e-5), TOL);
    }

    @Test
    void attentionMlpAndTransformerBlock() {
        LayerGradCheck.check(new Attention(6, 2, true, new Generator(10)), x(11, 2, 3, 6), (x, p) -> attentionRef(x, p, "", 2), TOL);
        LayerGradCheck.check(new Mlp(6, 12, new Generator(12)), x(13, 2, 3, 6), (x, p) -> mlpRef(x, p, ""), TOL);
        LayerGradCheck.check(new TransformerBlock(6, 2, 2.0, true, new Generator(14)), x(15, 2, 3, 6), (x, p) -> {
            Ref64.T h = Ref64.add(x, attentionRef(layerNormRef(x, p, "norm1."), p, "attn.", 2));
            return Ref64.add(h, mlpRef(layerNormRef(h, p, "norm2."), p, "mlp."));
        }, TOL);
    }

    @Test
    void resnetBasicBlockWithProjectionShortcut() {
        ResNet.BasicBlock block = new ResNet.BasicBlock(2, 3, 2, new Generator(16));
        // shift the input so ReLU kinks are unlikely to sit within the difference step
        LayerGradCheck.check(block, x(17, 2, 2, 4, 4), (x, p) -> {
            Ref64.T h = Ref64.relu(Ref64.batchNormTrain(Ref64.conv2d(x, p.get("conv1.weight"), null, 2, 1), p.get("bn1.weight"), p.get("bn1.bias"), 1e-5));
            h = Ref64.batchNormTrain(Ref64.conv2d(h, p.get("conv2.weight"), null, 1, 1), p.get("bn2.weight"), p.get("bn2.bias"), 1e-5);
            Ref64.T s = Ref64.batchNormTrain(Ref64.conv2d(x, p.get("downsample.0.weight"), null, 2, 0), p.get("downsample.1.weight"), p.get("downsample.1.bias"), 1e-5);
            return Ref64.relu(Ref64.add(h, s));
        }, new GradCheck.Tolerance(1e-4, 5e-4, 5e-3));
    }

    /** y = x·Wᵀ whose weight gradient is scaled by 1.01: the check must catch a 1% error in one parameter. */
    static final class WrongLinear extends Module {
        private final io.github.dropitjvm.nn.Parameter weight = parameter("weight", Tensor.randn(new Generator(20), 2, 4));

        @Override
        protected io.github.dropitjvm.autograd.Variable compute(io.github.dropitjvm.autograd.Variable x) {
            io.github.dropitjvm.autograd.GradFn f = io.github.dropitjvm.autograd.GradFn.of("wrong-linear", x, weight.variable());
            io.github.dropitjvm.autograd.SavedTensor sx = f.save(x), sw = f.save(weight.variable());
            return f.output(x.data().matmul(weight.data().transpose(0, 1)), g -> new Tensor[]{
                    g.matmul(sw.get()), g.transpose(0, 1).matmul(sx.get()).mul(1.01)});
        }
    }

    @Test
    void aWrongLayerBackwardFailsTheCheck() {
        org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class, () ->
                LayerGradCheck.check(new WrongLinear(), x(19, 3, 4), (x, p) -> Ref64.linear(x, p.get("weight"), null), TOL));
    }

    private static double[] toD(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
