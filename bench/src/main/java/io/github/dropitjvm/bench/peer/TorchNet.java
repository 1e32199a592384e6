package io.github.dropitjvm.bench.peer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.models.VisionTransformer;
import io.github.dropitjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The libtorch twin of one of our models: its parameters and buffers copied from the {@link Module} by full
 * (timm/PyTorch) name, and the same architecture written with DJL's NDArray ops, which run libtorch's kernels and
 * record libtorch's autograd graph inside a {@code GradientCollector}.
 *
 * <p>Each layer function takes the module's name prefix ("" or "blocks.0.attn.") and mirrors our layer of the same
 * name in {@code nn} exactly (same reshapes, same eps, same GELU). Op results attach to the manager of their first
 * operand, so the input comes first wherever the op allows it; for one training step, {@link #attachAll} moves
 * the parameters and state into the step's sub-manager so nothing created in the step outlives it.
 */
public final class TorchNet implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    private final Map<String, NDArray> zeroBias = new LinkedHashMap<>();
    private final Map<String, NDArray> zeroFilters = new LinkedHashMap<>();

    /** Copies every parameter (requiring grad) and every floating buffer of {@code model} into a new manager under {@code parent}. */
    public TorchNet(Module model, NDManager parent) {
        this.manager = parent.newSubManager();
        model.namedParameters().forEach((name, p) -> {
            NDArray a = Torch.toNd(manager, p.data());
            a.setRequiresGradient(true);
            params.put(name, a);
        });
        model.namedBuffers().forEach((name, b) -> {
            if (b.dtype().isFloating()) buffers.put(name, Torch.toNd(manager, b));
        });
    }

    public NDManager manager() {
        return manager;
    }

    public Map<String, NDArray> parameters() {
        return params;
    }

    public NDArray param(String name) {
        NDArray a = params.get(name);
        if (a == null) throw new IllegalArgumentException("TorchNet: no parameter '" + name + "'; have " + params.keySet());
        return a;
    }

    public NDArray buffer(String name) {
        NDArray a = buffers.get(name);
        if (a == null) throw new IllegalArgumentException("TorchNet: no buffer '" + name + "'; have " + buffers.keySet());
        return a;
    }

    /** The gradient libtorch accumulated for a parameter, as our tensor. */
    public Tensor grad(String name) {
        try (NDArray g = param(name).getGradient()) {
            return Torch.toTensor(g);
        }
    }

    /** Zeroes every parameter's gradient in place (libtorch accumulates across backward calls). */
    public void zeroGrad() {
        for (NDArray p : params.values()) JniUtils.zeroGrad((PtNDArray) p);
    }

    /** Temporarily attaches all parameters and buffers to {@code step} (they return here when it closes). */
    public void attachAll(NDManager step) {
        for (NDArray p : params.values()) p.tempAttach(step);
        for (NDArray b : buffers.values()) b.tempAttach(step);
    }

    // ------------------------------------------------------------------ layers (mirroring nn.layers)

    /** nn.layers.Linear: x·Wᵀ + b over the last dimension. */
    public NDArray linear(NDArray x, String prefix) {
        NDArray b = params.get(prefix + "bias");
        return (b == null ? Linear.linear(x, param(prefix + "weight")) : Linear.linear(x, param(prefix + "weight"), b)).singletonOrThrow();
    }

    /**
     * nn.layers.Conv2d: square stride, zero padding (a bias-free conv gets a constant zero bias: one code path).
     *
     * <p>Works around a libtorch fault: for batch &gt; 1 libtorch 2.7.1 runs float32 convolutions through oneDNN
     * 3.7.1, whose {@code jit:avx512_core} backward-data kernel (stride 1, kernel &gt; 1) returns a wrong input
     * gradient (depending on leftover memory; NaN on some calls) when the output channels do not fill its 16-channel
     * blocks, i.e. the gradient arrives as {@code aBcd16b} with padded channels; seen on the AVX-512 build machine.
     * Forward and weight gradient are right, and so are batch 1 (libtorch's own kernel), stride 2 (brgconv) and
     * {@code ONEDNN_MAX_CPU_ISA=AVX2}. So for exactly those convolutions the weight and bias are padded with zero
     * filters to a multiple of {@value #ONEDNN_OC_BLOCK} output channels and the output is sliced back: same values
     * and gradients (BENCHMARKS.md, "Known peer fault"). None of bench compare's convolutions qualifies.
     */
    public NDArray conv2d(NDArray x, String prefix, int stride, int padding) {
        NDArray w = param(prefix + "weight");
        NDArray b = params.get(prefix + "bias");
        if (b == null) b = zeroBias.computeIfAbsent(prefix, k -> manager.zeros(new Shape(w.getShape().get(0))));
        long out = w.getShape().get(0);
        if (hitsOneDnnBackwardDataFault(x, w, stride)) {
            long extra = ONEDNN_OC_BLOCK - out % ONEDNN_OC_BLOCK;
            Shape ws = w.getShape();
            NDArray wPad = zeroFilters.computeIfAbsent(prefix, k -> manager.zeros(new Shape(extra, ws.get(1), ws.get(2), ws.get(3))));
            NDArray bPad = zeroFilters.computeIfAbsent(prefix + "#bias", k -> manager.zeros(new Shape(extra)));
            NDArray y = Conv2d.conv2d(x, w.concat(wPad, 0), b.concat(bPad, 0), new Shape(stride, stride), new Shape(padding, padding),
                    new Shape(1, 1), 1).singletonOrThrow();
            return y.get(new NDIndex(":, 0:" + out));
        }
        return Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /** oneDNN's channel block for float32 on AVX-512. */
    static final int ONEDNN_OC_BLOCK = 16;

    /** Whether libtorch would run this convolution's input gradient through the faulty oneDNN kernel (see conv2d). */
    static boolean hitsOneDnnBackwardDataFault(NDArray x, NDArray w, int stride) {
        Shape ws = w.getShape();
        return stride == 1 && (ws.get(2) > 1 || ws.get(3) > 1) && ws.get(0) % ONEDNN_OC_BLOCK != 0
                && x.getShape().get(0) > 1; // not x.hasGradient(): DJL reports false for every non-leaf array
    }

    /** nn.layers.LayerNorm over the last dimension. */
    public NDArray layerNorm(NDArray x, String prefix, double eps) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        return LayerNorm.layerNorm(x, new Shape(d), param(prefix + "weight"), param(prefix + "bias"), (float) eps).singletonOrThrow();
    }

    /**
     * nn.layers.BatchNorm2d (eps 1e-5, PyTorch momentum 0.1); training uses and updates batch statistics. DJL's
     * momentum follows MXNet (running = momentum·running + (1 − momentum)·batch) and its PyTorch engine passes
     * 1 − momentum to torch, so PyTorch's 0.1 is DJL's 0.9.
     */
    public NDArray batchNorm2d(NDArray x, String prefix, boolean training) {
        return BatchNorm.batchNorm(x, buffer(prefix + "running_mean"), buffer(prefix + "running_var"), param(prefix + "weight"),
                param(prefix + "bias"), 1, 0.9f, 1e-5f, training).singletonOrThrow();
    }

    /** Exact (erf) GELU, torch.nn.functional.gelu's default. */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    public static NDArray relu(NDArray x) {
        return Activation.relu(x);
    }

    public static NDArray maxPool2d(NDArray x, int k) {
        return Pool.maxPool2d(x, new Shape(k, k), new Shape(k, k), new Shape(0, 0), false);
    }

    // ------------------------------------------------------------------ blocks (mirroring nn.models)

    /** nn.models.Attention: one qkv projection, per-head scaled-dot-product softmax attention, proj. */
    public NDArray attention(NDArray x, String prefix, int heads) {
        long b = x.getShape().get(0), n = x.getShape().get(1), d = x.getShape().get(2), hd = d / heads;
        NDArray t = linear(x, prefix + "qkv.").reshape(b, n, 3, heads, hd).transpose(2, 0, 3, 1, 4); // (3, B, H, N, hd)
        NDArray q = t.get(0), k = t.get(1), v = t.get(2);
        NDArray attn = q.matMul(k.swapAxes(-2, -1)).mul(1.0 / Math.sqrt(hd)).softmax(-1);
        NDArray o = attn.matMul(v).swapAxes(1, 2).reshape(b, n, d);
        return linear(o, prefix + "proj.");
    }

    /** nn.models.TransformerBlock: pre-norm, x + attn(norm1(x)), then x + mlp(norm2(x)); LayerNorm eps 1e-6. */
    public NDArray transformerBlock(NDArray x, String prefix, int heads) {
        x = x.add(attention(layerNorm(x, prefix + "norm1.", 1e-6), prefix + "attn.", heads));
        NDArray h = linear(gelu(linear(layerNorm(x, prefix + "norm2.", 1e-6), prefix + "mlp.fc1.")), prefix + "mlp.fc2.");
        return x.add(h);
    }

    /** nn.models.VisionTransformer: conv patch embedding, class token, position embedding, blocks, norm, head. */
    public NDArray vit(NDArray x, VisionTransformer.Config c) {
        long b = x.getShape().get(0);
        int n = c.numPatches();
        NDArray p = conv2d(x, "patch_embed.proj.", c.patchSize(), 0);              // (B, D, h, w)
        NDArray tokens = p.reshape(b, c.dim(), n).swapAxes(1, 2);                     // (B, N, D)
        NDArray cls = param("cls_token").broadcast(new Shape(b, 1, c.dim()));
        NDArray t = NDArrays.concat(new NDList(cls, tokens), 1).add(param("pos_embed"));
        for (int i = 0; i < c.depth(); i++) t = transformerBlock(t, "blocks." + i + ".", c.heads());
        t = layerNorm(t, "norm.", 1e-6);
        return linear(t.get(":, 0, :"), "head.");
    }

    /** nn.models.ResNet.BasicBlock: conv-BN-ReLU-conv-BN plus shortcut (1×1 conv + BN when downsample), ReLU. */
    public NDArray basicBlock(NDArray x, String prefix, int stride, boolean training) {
        NDArray h = relu(batchNorm2d(conv2d(x, prefix + "conv1.", stride, 1), prefix + "bn1.", training));
        h = batchNorm2d(conv2d(h, prefix + "conv2.", 1, 1), prefix + "bn2.", training);
        NDArray shortcut = params.containsKey(prefix + "downsample.0.weight")
                ? batchNorm2d(conv2d(x, prefix + "downsample.0.", stride, 0), prefix + "downsample.1.", training)
                : x;
        return relu(h.add(shortcut));
    }

    /** nn.models.CnnSmall: conv3×3(16)-ReLU-maxpool2-conv3×3(32)-ReLU-maxpool2-fc. */
    public NDArray cnnSmall(NDArray x) {
        NDArray h = maxPool2d(relu(conv2d(x, "conv1.", 1, 1)), 2);
        h = maxPool2d(relu(conv2d(h, "conv2.", 1, 1)), 2);
        return linear(h.reshape(x.getShape().get(0), -1), "fc.");
    }

    // ------------------------------------------------------------------ loss

    /**
     * PyTorch's {@code F.cross_entropy(logits, targets, label_smoothing=ε)} (mean reduction), written out:
     * mean over samples of −(1 − ε)·logp[target] − (ε/C)·Σ_c logp[c], with logp = log_softmax(logits).
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets, double labelSmoothing) {
        long n = logits.getShape().get(0), c = logits.getShape().get(1);
        NDArray logp = logits.logSoftmax(1);
        NDArray picked = logp.gather(targets.reshape(n, 1), 1).reshape(n);
        NDArray perSample = picked.mul(-(1 - labelSmoothing)).sub(logp.sum(new int[]{1}).mul(labelSmoothing / c));
        return perSample.mean();
    }

    /** Names of the parameters, in our registration order. */
    public List<String> names() {
        return new ArrayList<>(params.keySet());
    }

    @Override
    public void close() {
        manager.close();
    }
}
