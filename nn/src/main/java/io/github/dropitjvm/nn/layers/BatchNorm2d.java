package io.github.dropitjvm.nn.layers;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Norms;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Tensor;

/**
 * Batch norm over (N, C, H, W) per channel, PyTorch semantics: training normalizes with the batch statistics
 * and updates running_mean / running_var (unbiased) with the given momentum and counts num_batches_tracked;
 * eval uses the running statistics.
 */
public final class BatchNorm2d extends Module {
    private final Parameter weight, bias;
    private final Tensor runningMean, runningVar, numBatchesTracked;
    private final double eps, momentum;

    public BatchNorm2d(int channels, double eps, double momentum) {
        this.eps = eps;
        this.momentum = momentum;
        this.weight = parameter("weight", Tensor.ones(channels));
        this.bias = parameter("bias", Tensor.zeros(channels));
        this.runningMean = buffer("running_mean", Tensor.zeros(channels));
        this.runningVar = buffer("running_var", Tensor.ones(channels));
        // PyTorch keeps this counter (an int64 scalar) in every BatchNorm's state dict; having it lets
        // torchvision-style checkpoints load one to one.
        this.numBatchesTracked = buffer("num_batches_tracked", Tensor.fromArray(new long[]{0}));
    }

    public BatchNorm2d(int channels) {
        this(channels, 1e-5, 0.1);
    }

    public Parameter weight() { return weight; }

    @Override
    protected Variable compute(Variable x) {
        boolean training = isTraining();
        Variable y = Norms.batchNorm(x, weight.variable(), bias.variable(), runningMean, runningVar, training, momentum, eps);
        if (training) numBatchesTracked.copyFrom(Tensor.fromArray(new long[]{numBatchesTracked.toLongArray()[0] + 1}));
        return y;
    }
}
