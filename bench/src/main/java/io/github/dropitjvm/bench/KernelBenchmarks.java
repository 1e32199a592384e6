package io.github.dropitjvm.bench;

import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.NnKernels;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.UnaryOp;
import io.github.dropitjvm.tensor.BinaryOp;
import io.github.dropitjvm.tensor.cpu.CpuBackend;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU kernel benchmarks (issue 3), each beside its yardstick in the same run:
 * <ul>
 * <li>{@code gemm}: C = A·B, size³, at 1 and 2 threads (GFLOP/s = 2·size³ / time);
 * <li>{@code add}, {@code exp}, {@code tanh}, {@code gelu} over 16M floats into a preallocated output, against
 *     {@code arraycopy} of the same 16M floats (64 MiB read + 64 MiB written; add reads 128 MiB);
 * <li>{@code selectTopAbs} (exact min-k keep mask, γ = 0.9) over 16M normal floats against {@code sort}
 *     ({@link Arrays#sort(float[])} of a copy of the same data; the copy is timed in both, as clone in sort and as
 *     the mask allocation in select).
 * <li>{@code im2col}, {@code col2im}, {@code batchNormBackward}: a resnet20 stage-1 activation, (64, 16, 32, 32),
 *     3×3 stride 1 padding 1 (cols 64×144×1024 floats); {@code maxPool2dBackward}, {@code avgPool2dBackward}: 2×2
 *     stride-2 pooling of it.
 * </ul>
 * Run: {@code ./dropit bench jmh KernelBenchmarks} (JMH options after it, e.g. {@code -p threads=1}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx6g"})
public class KernelBenchmarks {
    /** Shared operands of the elementwise and selection benchmarks. */
    @State(Scope.Benchmark)
    public static class Data {
        @Param({"1", "2"})
        public int threads;

        static final int N = 16 << 20;
        Tensor x, y, out;
        float[] xs, copy;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            Generator g = new Generator(7);
            x = Tensor.randn(g, N);
            y = Tensor.randn(g, N);
            out = Tensor.zeros(N);
            xs = x.toFloatArray();
            copy = new float[N];
        }
    }

    /** GEMM operands. */
    @State(Scope.Benchmark)
    public static class Gemm {
        @Param({"1", "2"})
        public int threads;

        @Param({"512"})
        public int size;

        Tensor a, b, c;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            Generator g = new Generator(11);
            a = Tensor.randn(g, size, size);
            b = Tensor.randn(g, size, size);
            c = Tensor.zeros(size, size);
        }
    }

    @Benchmark
    public Tensor gemm(Gemm s) {
        CpuBackend.INSTANCE.matmul(s.a, s.b, s.c, 0f);
        return s.c;
    }

    @Benchmark
    public float[] arraycopy(Data d) {
        System.arraycopy(d.xs, 0, d.copy, 0, Data.N);
        return d.copy;
    }

    @Benchmark
    public Tensor add(Data d) {
        CpuBackend.INSTANCE.binary(BinaryOp.ADD, d.x, d.y, d.out);
        return d.out;
    }

    @Benchmark
    public Tensor exp(Data d) {
        CpuBackend.INSTANCE.unary(UnaryOp.EXP, d.x, d.out, 0, 0);
        return d.out;
    }

    @Benchmark
    public Tensor tanh(Data d) {
        CpuBackend.INSTANCE.unary(UnaryOp.TANH, d.x, d.out, 0, 0);
        return d.out;
    }

    @Benchmark
    public Tensor gelu(Data d) {
        CpuBackend.INSTANCE.unary(UnaryOp.GELU, d.x, d.out, 0, 0);
        return d.out;
    }

    /** GELU's derivative, the one pass GELU's backward runs besides the multiply by the gradient. */
    @Benchmark
    public Tensor geluGrad(Data d) {
        CpuBackend.INSTANCE.unary(UnaryOp.GELU_GRAD, d.x, d.out, 0, 0);
        return d.out;
    }

    /** Operands of the convolution-side kernels: a resnet20 stage-1 activation and its upstream gradient. */
    @State(Scope.Benchmark)
    public static class Conv {
        @Param({"1", "2"})
        public int threads;

        Tensor x, g, cols, weight, mean, rstd, poolGrad, poolIdx;
        Conv2dGeometry geo, poolGeo;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            Generator gen = new Generator(13);
            x = Tensor.randn(gen, 64, 16, 32, 32);
            g = Tensor.randn(gen, 64, 16, 32, 32);
            weight = Tensor.randn(gen, 16);
            geo = NnKernels.geometry("bench", x, 3, 3, 1, 1, 1, 1);
            cols = NnKernels.im2col(x, geo);
            NnKernels.NormResult r = NnKernels.batchNorm(x, weight, null, null, null, true, 1e-5);
            mean = r.mean();
            rstd = r.rstd();
            poolGeo = NnKernels.geometry("bench", x, 2, 2, 2, 0);
            poolIdx = NnKernels.maxPool2d(x, 2, 2, 0).indices();
            poolGrad = Tensor.randn(gen, 64, 16, 16, 16);
        }
    }

    @Benchmark
    public Tensor im2col(Conv c) {
        return NnKernels.im2col(c.x, c.geo);
    }

    @Benchmark
    public Tensor col2im(Conv c) {
        return NnKernels.col2im(c.cols, c.geo);
    }

    /** gx, gw and gb of a training-mode batch norm (fused on the CPU). */
    @Benchmark
    public NnKernels.NormGrads batchNormBackward(Conv c) {
        return NnKernels.batchNormBackward(c.g, c.x, c.mean, c.rstd, c.weight, true, true, true, true);
    }

    /** Input gradient of a 2×2, stride-2 max pooling of the activation (scatter to the argmax). */
    @Benchmark
    public Tensor maxPool2dBackward(Conv c) {
        return NnKernels.maxPool2dBackward(c.poolGrad, c.poolIdx, c.poolGeo);
    }

    /** Input gradient of a 2×2, stride-2 average pooling of the activation. */
    @Benchmark
    public Tensor avgPool2dBackward(Conv c) {
        return NnKernels.avgPool2dBackward(c.poolGrad, c.poolGeo);
    }

    @Benchmark
    public Tensor selectTopAbs(Data d) {
        return DropItKernels.selectTopAbs(d.x, DropItKernels.keepCount(Data.N, 0.9), "bench");
    }

    @Benchmark
    public float[] sort(Data d) {
        float[] c = d.xs.clone();
        Arrays.sort(c);
        return c;
    }
}
