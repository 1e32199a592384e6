package io.github.dropitjvm.nn;

import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;

/** Parameter initializers, following PyTorch's and timm's defaults; all draw from a seeded {@link Generator}. */
public final class Init {
    private Init() {}

    /** U(−bound, bound). */
    public static Tensor uniform(Generator g, double bound, int... shape) {
        return Tensor.rand(g, shape).mul(2 * bound).sub(bound);
    }

    /**
     * PyTorch's default for Linear and Conv weights, kaiming_uniform(a = √5): U(±1/√fanIn); biases use the
     * same bound.
     */
    public static Tensor pytorchDefault(Generator g, int fanIn, int... shape) {
        return uniform(g, fanIn > 0 ? 1.0 / Math.sqrt(fanIn) : 0, shape);
    }

    /** Normal(0, std²) truncated to ±2·std by redrawing, as timm's trunc_normal_ for ViT weights. */
    public static Tensor truncNormal(Generator g, double std, int... shape) {
        float[] v = Tensor.randn(g, shape).toFloatArray();
        for (int i = 0; i < v.length; i++) {
            while (Math.abs(v[i]) > 2) v[i] = Tensor.randn(g, 1).item();
            v[i] *= (float) std;
        }
        return Tensor.fromArray(v, shape);
    }

    /** Kaiming normal with fan-out and ReLU gain, std = √(2/fanOut): torchvision's ResNet conv init. */
    public static Tensor kaimingNormalFanOut(Generator g, int fanOut, int... shape) {
        return Tensor.randn(g, shape).mul(Math.sqrt(2.0 / fanOut));
    }
}
