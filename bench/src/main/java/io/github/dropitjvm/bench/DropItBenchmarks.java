package io.github.dropitjvm.bench;

import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.DropItPacker;
import io.github.dropitjvm.dropit.Strategy;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.cpu.CpuBackend;
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
 * DropIT's own work on one vit-fmnist Linear input ([64, 50, 96] N(0, 1) floats, 307 200 elements; γ 0.9 keeps
 * k = 30 720), issue 7:
 * <ul>
 * <li>{@code select}: the keep mask and compacted values of the {@code strategy} — {@code exact-mink} (radix select of
 *     the k largest |x|, then compaction) or {@code approx-mink} (threshold from a 4096-element sample, one fused
 *     compare-and-compress pass) — on the same tensor, as {@link DropItPacker#pack} runs them;
 * <li>{@code pack}: {@link DropItPacker#pack} (exact min-k selection + compaction of the kept values + positions in
 *     the {@code format}: {@code bitmask-fp32} or {@code index32-fp32}), what a DropIT layer's forward adds;
 * <li>{@code unpack}: {@link DropItPacker#unpack} of that cache back to the dense x̂ (kept values at their positions,
 *     zeros elsewhere), what the dense dW path of backward starts with.
 * </ul>
 * Run: {@code ./dropit bench jmh DropItBenchmarks}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx2g"})
public class DropItBenchmarks {

    @State(Scope.Benchmark)
    public static class SelectState {
        @Param({"1", "2"})
        public int threads;

        @Param({"64x50x96"})
        public String shape;

        @Param({"0.9"})
        public double gamma;

        @Param({"exact-mink", "approx-mink"})
        public String strategy;

        Tensor x;
        Strategy s;
        long k;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            x = Tensor.randn(new Generator(31), LayerBenchmarks.dims(shape));
            s = Strategy.parse(strategy);
            if (s == Strategy.RANDOM) throw new IllegalArgumentException("select: exact-mink or approx-mink, got " + strategy);
            k = DropItKernels.keepCount(x.numel(), gamma);
        }
    }

    @State(Scope.Benchmark)
    public static class PackState {
        @Param({"1", "2"})
        public int threads;

        @Param({"64x50x96"})
        public String shape;

        @Param({"0.9"})
        public double gamma;

        @Param({"bitmask-fp32", "index32-fp32"})
        public String format;

        Tensor x;
        DropItPacker packer;
        Object cache;

        @Setup(Level.Trial)
        public void setup() {
            CpuBackend.setThreads(threads);
            x = Tensor.randn(new Generator(32), LayerBenchmarks.dims(shape));
            packer = new DropItPacker(gamma, Strategy.EXACT_MINK, CacheFormat.parse(format), false, 0, "bench", 0, 0, null);
            cache = packer.pack(x, "linear", "bench");
        }
    }

    /**
     * Selection with its compaction, as the packer runs it for that strategy: exact min-k selects then compacts;
     * approx-mink compares against its sampled threshold and writes the mask words and kept values in one fused pass
     * (on the CPU), so timing its selection alone would miss what it saves.
     */
    @Benchmark
    public DropItKernels.Pack select(SelectState st) {
        return switch (st.s) {
            case EXACT_MINK -> DropItKernels.packTopAbs(st.x, st.k, DType.FLOAT32, "bench");
            case APPROX_MINK -> DropItKernels.packApproxTopAbs(st.x, st.k, DropItKernels.APPROX_SAMPLE, 0, 0, 0, DType.FLOAT32, "bench");
            case RANDOM -> throw new AssertionError();
        };
    }

    @Benchmark
    public Object pack(PackState st) {
        return st.packer.pack(st.x, "linear", "bench");
    }

    @Benchmark
    public Tensor unpack(PackState st) {
        return st.packer.unpack(st.cache);
    }
}
