package io.github.dropitjvm.bench;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Norms;
import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.DropItCache;
import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.dropit.Strategy;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.LayerNorm;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.nn.models.TransformerBlock;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.cpu.CpuBackend;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 * The ops and layers of a {@code vit-fmnist} training step at its shapes (batch 64, 50 tokens, d 96, 3 heads), timed
 * through the public autograd/nn/DropIT API as a user calls it (issue 7):
 * <ul>
 * <li>{@code softmax*}: softmax over the last dimension of attention scores [64·3, 50, 50];
 * <li>{@code layerNorm*}: the {@link LayerNorm} module over [64, 50, 96];
 * <li>{@code linear*}: a {@link Linear} 96 → 384 (the MLP's fc1) on [64, 50, 96], {@code mode} plain or DropIT
 *     (γ {@code gamma}, exact min-k, auto cache format = bitmask-fp32, attached with a {@link DropItCache});
 * <li>{@code block*}: one pre-norm {@link TransformerBlock} of vit-fmnist (d 96, 3 heads, MLP ratio 4, qkv bias) on
 *     [64, 50, 96], plain or with its four Linear layers converted by {@link DropIt#convert}.
 * </ul>
 * "Forward" is a training forward (the graph is recorded and the tensors for backward are kept, DropIT's selection
 * and packing included); "ForwardBackward" adds the backward pass from a fixed random output gradient, parameter
 * gradients zeroed first as a training step does. The input requires grad (dx is computed, as for any layer that is
 * not the first). DropIT's dW path (sparse or dense) is chosen by {@code SparseWeightGrad}'s auto rule (kept fraction),
 * as in training.
 *
 * <p>Run: {@code ./dropit bench jmh LayerBenchmarks} (e.g. {@code -p threads=2} for one thread count).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx3g"})
public class LayerBenchmarks {

    /** Parses "64x50x96". */
    static int[] dims(String shape) {
        return Arrays.stream(shape.split("x")).mapToInt(Integer::parseInt).toArray();
    }

    /** Attention scores and an output gradient of the same shape. */
    @State(Scope.Benchmark)
    public static class SoftmaxState {
        @Param({"1", "2"})
        public int threads;

        /** (batch·heads, tokens, tokens). */
        @Param({"192x50x50"})
        public String shape;

        Tensor x, g;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            Generator gen = new Generator(21);
            x = Tensor.randn(gen, dims(shape));
            g = Tensor.randn(gen, dims(shape));
        }
    }

    /** A module, its input and an output gradient; {@code mode} plain or dropit (where the state converts). */
    public abstract static class ModuleState {
        Module module;
        Tensor x, g;

        /** Makes the input and gradient; trains mode on. */
        void init(Module m, int[] inShape, int[] outShape, long seed) {
            Generator gen = new Generator(seed);
            module = m;
            module.train();
            x = Tensor.randn(gen, inShape);
            g = Tensor.randn(gen, outShape);
        }

        /** DropIT at drop rate γ: exact min-k, auto format, every Linear of the module (none left dense). */
        static DropItConfig allLayers(double gamma) {
            return new DropItConfig(gamma, Map.of(), Strategy.EXACT_MINK, CacheFormat.AUTO, false, 0, 0,
                    List.of(), List.of(), true);
        }
    }

    @State(Scope.Benchmark)
    public static class LayerNormState extends ModuleState {
        @Param({"1", "2"})
        public int threads;

        @Param({"64x50x96"})
        public String shape;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            int[] s = dims(shape);
            init(new LayerNorm(s[s.length - 1], 1e-6), s, s, 22);
        }
    }

    @State(Scope.Benchmark)
    public static class LinearState extends ModuleState {
        @Param({"1", "2"})
        public int threads;

        /** Input (…, in). */
        @Param({"64x50x96"})
        public String shape;

        @Param({"384"})
        public int out;

        @Param({"plain", "dropit"})
        public String mode;

        @Param({"0.9"})
        public double gamma;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            int[] s = dims(shape);
            int[] o = s.clone();
            o[o.length - 1] = out;
            Linear lin = new Linear(s[s.length - 1], out, true, new Generator(23));
            // DropIt.convert converts a model's Linear children; a lone Linear gets its DropIT cache directly.
            if (mode.equals("dropit")) lin.setInputCache(new DropItCache(allLayers(gamma), 0));
            else if (!mode.equals("plain")) throw new IllegalArgumentException("mode: plain or dropit, got " + mode);
            init(lin, s, o, 24);
        }
    }

    @State(Scope.Benchmark)
    public static class BlockState extends ModuleState {
        @Param({"1", "2"})
        public int threads;

        @Param({"64"})
        public int batch;

        @Param({"plain", "dropit"})
        public String mode;

        @Param({"0.9"})
        public double gamma;

        /** vit-fmnist's block and tokens: 49 patches + class token, d 96, 3 heads, MLP ratio 4, qkv bias. */
        static final int TOKENS = 50, DIM = 96, HEADS = 3;
        static final double MLP_RATIO = 4.0;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            TransformerBlock block = new TransformerBlock(DIM, HEADS, MLP_RATIO, true, new Generator(25));
            if (mode.equals("dropit")) {
                DropIt.Report r = DropIt.convert(block, allLayers(gamma));
                if (r.converted().size() != 4) throw new IllegalStateException("expected qkv, proj, fc1, fc2 converted: " + r);
            } else if (!mode.equals("plain")) {
                throw new IllegalArgumentException("mode: plain or dropit, got " + mode);
            }
            int[] s = {batch, TOKENS, DIM};
            init(block, s, s, 26);
        }
    }

    /** The forward half of a training step: returns the output (the graph stays reachable from it until the next call). */
    static Variable forward(ModuleState s) {
        return s.module.forward(Variable.param(s.x));
    }

    /** Forward, then backward from the fixed output gradient; returns dx. */
    static Tensor forwardBackward(ModuleState s) {
        s.module.zeroGrad();
        Variable x = Variable.param(s.x);
        s.module.forward(x).backward(s.g, false);
        return x.grad();
    }

    @Benchmark
    public Variable softmaxForward(SoftmaxState s) {
        return Norms.softmax(Variable.param(s.x), -1);
    }

    @Benchmark
    public Tensor softmaxForwardBackward(SoftmaxState s) {
        Variable x = Variable.param(s.x);
        Norms.softmax(x, -1).backward(s.g, false);
        return x.grad();
    }

    @Benchmark
    public Variable layerNormForward(LayerNormState s) {
        return forward(s);
    }

    @Benchmark
    public Tensor layerNormForwardBackward(LayerNormState s) {
        return forwardBackward(s);
    }

    @Benchmark
    public Variable linearForward(LinearState s) {
        return forward(s);
    }

    @Benchmark
    public Tensor linearForwardBackward(LinearState s) {
        return forwardBackward(s);
    }

    @Benchmark
    public Tensor blockForwardBackward(BlockState s) {
        return forwardBackward(s);
    }
}
