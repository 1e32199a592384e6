package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.BinaryOp;
import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.JvmRequirements;
import io.github.dropitjvm.tensor.MemoryTracker;
import io.github.dropitjvm.tensor.ReduceOp;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.UnaryOp;

/**
 * The CPU backend: storage on the Java heap, kernels run synchronously: on the calling thread, and for the large
 * ones (GEMM, ...) also on a fixed pool of worker threads ({@link #setThreads}). The kernel
 * families live in their own classes (elementwise, reductions and norms, matmul, convolution and pooling,
 * indexing, DropIT); this class routes to them.
 */
public final class CpuBackend implements Backend {
    /** One Java array per storage. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    public static final CpuBackend INSTANCE = new CpuBackend();

    private final MemoryTracker memory = new MemoryTracker("cpu");

    private CpuBackend() {
        // Backends.cpu() checks first with a plain exception; this covers code that names INSTANCE directly, which
        // would otherwise reach a kernel and fail with a NoClassDefFoundError for jdk/incubator/vector/Vector.
        JvmRequirements.requireVectorModule();
    }

    /**
     * Sets the number of threads CPU kernels use (the calling thread counts as one; 1 = no workers). The default is
     * the system property {@code dropit.threads}, else the number of available processors. Results are
     * reproducible bit for bit at a given thread count (GEMM: for any thread count).
     */
    public static void setThreads(int threads) {
        WorkerPool.setThreads(threads);
    }

    /** The number of threads CPU kernels use. */
    public static int threads() {
        return WorkerPool.shared().threads();
    }

    @Override public String name() { return "cpu"; }
    @Override public MemoryTracker memory() { return memory; }
    @Override public long maxElements() { return MAX_ELEMENTS; }
    @Override public Storage allocate(DType dtype, long length) { return CpuStorage.allocate(this, dtype, length, true); }
    @Override public Storage allocateUninitialized(DType dtype, long length) { return CpuStorage.allocate(this, dtype, length, false); }
    @Override
    public boolean layerNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor weight, int normDims,
                                     Tensor gx, Tensor gw, Tensor gb) {
        CpuReductions.layerNormBackward(g, x, mean, rstd, weight, normDims, gx, gw, gb);
        return true;
    }
    @Override
    public boolean batchNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor weight, boolean training,
                                     Tensor gx, Tensor gw, Tensor gb) {
        CpuReductions.batchNormBackward(g, x, mean, rstd, weight, training, gx, gw, gb);
        return true;
    }
    @Override public void synchronize() {}

    static CpuStorage cpu(Tensor t) {
        return cpu(t.storage());
    }

    static CpuStorage cpu(Storage s) {
        if (!(s instanceof CpuStorage c))
            throw new IllegalArgumentException("cpu backend: got a storage of backend " + s.backend().name());
        return c;
    }

    @Override
    public void write(Storage dst, long dstOffset, Object hostArray, int srcOffset, int count) {
        System.arraycopy(hostArray, srcOffset, cpu(dst).array(), Math.toIntExact(dstOffset), count);
    }

    @Override
    public void read(Storage src, long srcOffset, Object hostArray, int dstOffset, int count) {
        System.arraycopy(cpu(src).array(), Math.toIntExact(srcOffset), hostArray, dstOffset, count);
    }

    @Override public void fill(Tensor dst, double value) { CpuElementwise.fill(dst, value); }
    @Override public void arange(Tensor dst, double start, double step) { CpuElementwise.arange(dst, start, step); }
    @Override public void copy(Tensor src, Tensor dst) { CpuElementwise.copy(src, dst); }
    @Override public void random(Tensor dst, long seed, long stream, Distribution d) { CpuElementwise.random(dst, seed, stream, d); }
    @Override public void unary(UnaryOp op, Tensor x, Tensor out, double p0, double p1) { CpuElementwise.unary(op, x, out, p0, p1); }
    @Override public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) { CpuElementwise.binary(op, a, b, out); }
    @Override public void geluBackward(Tensor x, Tensor g, Tensor out) {
        if (!CpuElementwise.geluBackwardFused(x, g, out)) Backend.super.geluBackward(x, g, out);
    }
    @Override public void where(Tensor cond, Tensor a, Tensor b, Tensor out) { CpuElementwise.where(cond, a, b, out); }

    @Override public void reduce(ReduceOp op, Tensor x, boolean[] reduced, Tensor out, double correction) { CpuReductions.reduce(op, x, reduced, out, correction); }
    @Override public void softmax(Tensor x, int dim, boolean log, Tensor out) { CpuReductions.softmax(x, dim, log, out); }

    @Override
    public void layerNorm(Tensor x, int normDims, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd) {
        CpuReductions.layerNorm(x, normDims, weight, bias, eps, out, mean, rstd);
    }

    @Override
    public void batchNorm(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, boolean useRunning,
                          double eps, Tensor out, Tensor mean, Tensor rstd) {
        CpuReductions.batchNorm(x, weight, bias, runningMean, runningVar, useRunning, eps, out, mean, rstd);
    }

    @Override public void matmul(Tensor a, Tensor b, Tensor out, float beta) { CpuMatmul.matmul(a, b, out, beta); }

    @Override public void im2col(Tensor x, Conv2dGeometry g, Tensor cols) { CpuConv.im2col(x, g, cols); }
    @Override public void col2im(Tensor cols, Conv2dGeometry g, Tensor x) { CpuConv.col2im(cols, g, x); }
    @Override public boolean conv2d(Tensor x, Tensor weight, Conv2dGeometry g, Tensor out) { return CpuConv.conv2d(x, weight, g, out); }
    @Override public boolean conv2dInputGrad(Tensor weight, Tensor gradOut, Conv2dGeometry g, Tensor gradIn) { return CpuConv.conv2dInputGrad(weight, gradOut, g, gradIn); }
    @Override public boolean conv2dWeightGrad(Tensor x, Tensor gradOut, Conv2dGeometry g, Tensor out) { return CpuConv.conv2dWeightGrad(x, gradOut, g, out); }
    @Override public void maxPool2d(Tensor x, Conv2dGeometry g, Tensor out, Tensor indices) { CpuConv.maxPool2d(x, g, out, indices); }
    @Override public void maxPool2dBackward(Tensor gradOut, Tensor indices, Conv2dGeometry g, Tensor gradIn) { CpuConv.maxPool2dBackward(gradOut, indices, g, gradIn); }
    @Override public void avgPool2d(Tensor x, Conv2dGeometry g, Tensor out) { CpuConv.avgPool2d(x, g, out); }
    @Override public void avgPool2dBackward(Tensor gradOut, Conv2dGeometry g, Tensor gradIn) { CpuConv.avgPool2dBackward(gradOut, g, gradIn); }

    @Override public void gather(Tensor x, int dim, Tensor index, Tensor out) { CpuIndexing.gather(x, dim, index, out); }
    @Override public void scatter(Tensor dst, int dim, Tensor index, Tensor src, boolean accumulate) { CpuIndexing.scatter(dst, dim, index, src, accumulate); }
    @Override public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) { CpuIndexing.indexSelect(x, dim, index, out); }

    @Override public long selectTopAbs(Tensor x, long k, Tensor mask) { return CpuDropIt.selectTopAbs(x, k, mask); }
    @Override public long randomKeepMask(long seed, int layer, int step, double gamma, Tensor mask) { return CpuDropIt.randomKeepMask(seed, layer, step, gamma, mask); }
    @Override public long countMask(Tensor mask, long n) { return CpuDropIt.countMask(mask, n); }
    @Override public void compact(Tensor x, Tensor mask, Tensor values) { CpuDropIt.compact(x, mask, values); }
    @Override public DropItKernels.Pack packAbsAbove(Tensor x, float above, DType valueType, long expectedKept) { return CpuDropIt.packAbsAbove(x, above, valueType, expectedKept); }
    @Override public void maskToIndex(Tensor mask, Tensor index) { CpuDropIt.maskToIndex(mask, index); }
    @Override public void scatterMasked(Tensor values, Tensor mask, Tensor out) { CpuDropIt.scatterMasked(values, mask, out); }
    @Override public void sparseWeightGrad(Tensor g, Tensor values, Tensor mask, Tensor dwT) { CpuSparse.sparseWeightGrad(g, values, mask, dwT); }
    @Override public void scatterIndexed(Tensor values, Tensor index, Tensor out) { CpuDropIt.scatterIndexed(values, index, out); }
}
