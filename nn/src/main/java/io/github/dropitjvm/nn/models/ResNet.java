package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Reductions;
import io.github.dropitjvm.nn.Init;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Activations;
import io.github.dropitjvm.nn.layers.BatchNorm2d;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.nn.layers.Sequential;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Shape;

/**
 * CIFAR-style ResNet (He et al. 2016, section 4.2): a 3×3 stem of width w, three stages of n basic blocks with
 * widths w, 2w, 4w (stride 2 at the start of stages 2 and 3, projection shortcut 1×1 conv + BN there), global
 * average pooling and a linear classifier. n = 3, w = 16 is ResNet-20. torchvision naming.
 */
public final class ResNet extends Module {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Activations.ReLU relu;
    private final Sequential layer1, layer2, layer3;
    private final Linear fc;
    private final int inChannels;

    public ResNet(int inChannels, int numClasses, int blocksPerStage, int width, Generator g) {
        this.inChannels = inChannels;
        this.conv1 = child("conv1", conv(inChannels, width, 3, 1, 1, g));
        this.bn1 = child("bn1", new BatchNorm2d(width));
        this.relu = child("relu", new Activations.ReLU());
        this.layer1 = child("layer1", stage(width, width, blocksPerStage, 1, g));
        this.layer2 = child("layer2", stage(width, 2 * width, blocksPerStage, 2, g));
        this.layer3 = child("layer3", stage(2 * width, 4 * width, blocksPerStage, 2, g));
        this.fc = child("fc", new Linear(4 * width, numClasses, true, g));
    }

    static Conv2d conv(int in, int out, int k, int stride, int pad, Generator g) {
        Conv2d c = new Conv2d(in, out, k, stride, pad, false, g);
        c.weight().data().copyFrom(Init.kaimingNormalFanOut(g, out * k * k, out, in, k, k));
        return c;
    }

    private static Sequential stage(int in, int out, int n, int stride, Generator g) {
        Sequential s = new Sequential();
        for (int i = 0; i < n; i++) s.add(new BasicBlock(i == 0 ? in : out, out, i == 0 ? stride : 1, g));
        return s;
    }

    @Override
    protected Variable compute(Variable x) {
        if (x.rank() != 4 || x.size(1) != inChannels)
            throw new IllegalArgumentException("ResNet: expected input (B, " + inChannels + ", H, W), got " + Shape.str(x.shape()));
        Variable h = relu.forward(bn1.forward(conv1.forward(x)));
        h = layer3.forward(layer2.forward(layer1.forward(h)));
        return fc.forward(Reductions.mean(h, new int[]{2, 3}, false));
    }

    /** conv3×3-BN-ReLU-conv3×3-BN plus shortcut, then ReLU. */
    public static final class BasicBlock extends Module {
        private final Conv2d conv1, conv2;
        private final BatchNorm2d bn1, bn2;
        private final Activations.ReLU relu;
        private final Sequential downsample;

        public BasicBlock(int in, int out, int stride, Generator g) {
            this.conv1 = child("conv1", conv(in, out, 3, stride, 1, g));
            this.bn1 = child("bn1", new BatchNorm2d(out));
            this.relu = child("relu", new Activations.ReLU());
            this.conv2 = child("conv2", conv(out, out, 3, 1, 1, g));
            this.bn2 = child("bn2", new BatchNorm2d(out));
            this.downsample = stride != 1 || in != out
                    ? child("downsample", new Sequential(conv(in, out, 1, stride, 0, g), new BatchNorm2d(out)))
                    : null;
        }

        @Override
        protected Variable compute(Variable x) {
            Variable h = relu.forward(bn1.forward(conv1.forward(x)));
            h = bn2.forward(conv2.forward(h));
            Variable shortcut = downsample == null ? x : downsample.forward(x);
            return relu.forward(h.add(shortcut));
        }
    }
}
