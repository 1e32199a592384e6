package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Conv;
import io.github.dropitjvm.autograd.ops.Shapes;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Activations;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Shape;

/** conv3×3(16)-ReLU-maxpool2-conv3×3(32)-ReLU-maxpool2-fc (the small CNN timed against PyTorch in BENCHMARKS.md). */
public final class CnnSmall extends Module {
    private final Conv2d conv1, conv2;
    private final Activations.ReLU relu;
    private final Linear fc;
    private final int inChannels, imageSize;

    public CnnSmall(int inChannels, int imageSize, int numClasses, Generator g) {
        if (imageSize % 4 != 0) throw new IllegalArgumentException("cnn-small: image size " + imageSize + " must be a multiple of 4");
        this.inChannels = inChannels;
        this.imageSize = imageSize;
        this.conv1 = child("conv1", new Conv2d(inChannels, 16, 3, 1, 1, true, g));
        this.relu = child("relu", new Activations.ReLU());
        this.conv2 = child("conv2", new Conv2d(16, 32, 3, 1, 1, true, g));
        int s = imageSize / 4;
        this.fc = child("fc", new Linear(32 * s * s, numClasses, true, g));
    }

    @Override
    protected Variable compute(Variable x) {
        if (x.rank() != 4 || x.size(1) != inChannels || x.size(2) != imageSize || x.size(3) != imageSize)
            throw new IllegalArgumentException("cnn-small: expected input (B, " + inChannels + ", " + imageSize + ", " + imageSize + "), got " + Shape.str(x.shape()));
        Variable h = Conv.maxPool2d(relu.forward(conv1.forward(x)), 2, 2, 0);
        h = Conv.maxPool2d(relu.forward(conv2.forward(h)), 2, 2, 0);
        return fc.forward(Shapes.reshape(h, x.size(0), -1));
    }
}
