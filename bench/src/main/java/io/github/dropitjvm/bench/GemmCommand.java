package io.github.dropitjvm.bench;

import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dropit bench gemm}: times the CPU SGEMM (Backend.matmul into a preallocated output) on one shape and prints
 * ONE JSON object on stdout; progress goes to stderr. A quick check beside the JMH suite ({@code KernelBenchmarks}):
 * warm-up for a fixed time, then timed calls, median reported.
 */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = "Times the CPU SGEMM C = A·B (M×K · K×N) and prints one JSON object: gflops, size, threads, ...")
public final class GemmCommand implements Callable<Integer> {
    @Option(names = "--size", description = "M = N = K (default ${DEFAULT-VALUE})", defaultValue = "512")
    int size;

    @Option(names = "--m", description = "rows of A and C (overrides --size)")
    Integer m;

    @Option(names = "--n", description = "columns of B and C (overrides --size)")
    Integer n;

    @Option(names = "--k", description = "inner dimension (overrides --size)")
    Integer k;

    @Option(names = "--threads", description = "CPU threads (default: dropit.threads or all processors)")
    Integer threads;

    @Option(names = "--transpose-a", description = "A is a transposed view (K×M storage)")
    boolean transposeA;

    @Option(names = "--transpose-b", description = "B is a transposed view (N×K storage)")
    boolean transposeB;

    @Option(names = "--warmup-ms", description = "warm-up time (default ${DEFAULT-VALUE})", defaultValue = "1500")
    long warmupMs;

    @Option(names = "--measure-ms", description = "measurement time (default ${DEFAULT-VALUE})", defaultValue = "3000")
    long measureMs;

    @Option(names = "--json", description = "print the JSON object (the default and only output format)")
    boolean json;

    @Override
    public Integer call() {
        if (size < 1) throw new IllegalArgumentException("bench gemm: --size must be >= 1, got " + size);
        if (m != null && m < 1) throw new IllegalArgumentException("bench gemm: --m must be >= 1, got " + m);
        if (n != null && n < 1) throw new IllegalArgumentException("bench gemm: --n must be >= 1, got " + n);
        if (k != null && k < 1) throw new IllegalArgumentException("bench gemm: --k must be >= 1, got " + k);
        if (threads != null && threads < 1) throw new IllegalArgumentException("bench gemm: --threads must be >= 1, got " + threads);
        if (warmupMs < 0) throw new IllegalArgumentException("bench gemm: --warmup-ms must be >= 0, got " + warmupMs);
        if (measureMs < 0) throw new IllegalArgumentException("bench gemm: --measure-ms must be >= 0, got " + measureMs);
        int mm = m != null ? m : size, nn = n != null ? n : size, kk = k != null ? k : size;
        if (threads != null) CpuBackend.setThreads(threads);
        int t = CpuBackend.threads();
        Generator g = new Generator(42);
        Tensor a = transposeA ? Tensor.randn(g, kk, mm).transpose(0, 1) : Tensor.randn(g, mm, kk);
        Tensor b = transposeB ? Tensor.randn(g, nn, kk).transpose(0, 1) : Tensor.randn(g, kk, nn);
        Tensor c = Tensor.zeros(mm, nn);
        CpuBackend be = CpuBackend.INSTANCE;
        System.err.printf(Locale.ROOT, "gemm %dx%dx%d threads %d: warm-up %d ms%n", mm, nn, kk, t, warmupMs);
        long end = System.nanoTime() + warmupMs * 1_000_000L;
        while (System.nanoTime() < end) be.matmul(a, b, c, 0f);
        long[] times = new long[1 << 16];
        int reps = 0;
        end = System.nanoTime() + measureMs * 1_000_000L;
        while ((System.nanoTime() < end || reps < 5) && reps < times.length) {
            long t0 = System.nanoTime();
            be.matmul(a, b, c, 0f);
            times[reps++] = System.nanoTime() - t0;
        }
        long[] sorted = Arrays.copyOf(times, reps);
        Arrays.sort(sorted);
        double median = reps % 2 == 1 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2.0;
        double flops = 2.0 * mm * nn * kk;
        System.out.printf(Locale.ROOT,
                "{\"bench\":\"gemm\",\"size\":%d,\"m\":%d,\"n\":%d,\"k\":%d,\"threads\":%d,\"transpose_a\":%b,"
                        + "\"transpose_b\":%b,\"gflops\":%.2f,\"gflops_best\":%.2f,\"median_ms\":%.4f,\"min_ms\":%.4f,"
                        + "\"reps\":%d,\"vector_bits\":%d}%n",
                size, mm, nn, kk, t, transposeA, transposeB, flops / median, flops / sorted[0], median / 1e6,
                sorted[0] / 1e6, reps, FloatVector.SPECIES_PREFERRED.vectorBitSize());
        return 0;
    }
}
