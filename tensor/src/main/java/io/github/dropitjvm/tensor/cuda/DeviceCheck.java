package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.tensor.BinaryOp;
import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.UnaryOp;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A self-contained device check for machines without JUnit or Maven (scripts/gpu-check.sh runs it from the jlink'd
 * bundle): {@code ops <backend>} runs every Backend operation on that backend and on the CPU backend and compares
 * (bit-for-bit where the CPU's results are exact on every backend: Philox draws, DropIT masks), exit status 1 on any mismatch; {@code gemm <n>} times
 * an n³ SGEMM on CUDA with the hand-written kernel and with cuBLAS (TF32 off) by CUDA events and prints
 * "gemm kernel_ms=.. cublas_ms=.. kernel_gflops=.. cublas_gflops=..".
 */
public final class DeviceCheck {
    private DeviceCheck() {}

    private static final Backend CPU = Backends.cpu();
    private static final SplittableRandom RNG = new SplittableRandom(0xDEC_0001L);
    static final List<String> FAILED = new ArrayList<>();
    static int passed;

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: DeviceCheck ops <cuda|opencl|cpu> | gemm <n>");
            System.exit(2);
        }
        try {
            if (args[0].equals("gemm")) {
                gemm(Integer.parseInt(args[1]));
                return;
            }
            Backend b;
            try {
                b = Backends.byName(args[1]);
            } catch (RuntimeException e) {
                // gpu-check.sh tells "no device" from "a device whose backend would not start" by this line
                System.out.println("device check: FAILED to start: " + e.getMessage());
                System.exit(3);
                return;
            }
            System.out.println("device check: " + b);
            ops(b);
        } catch (RuntimeException e) {
            System.out.println("device check: FAILED: aborted after " + passed + " passed: " + e);
            e.printStackTrace(System.out);
            System.exit(4);
        }
        System.out.println("device check " + args[1] + ": " + passed + " passed, " + FAILED.size() + " failed" + (FAILED.isEmpty() ? "" : " " + FAILED));
        System.exit(FAILED.isEmpty() ? 0 : 1);
    }

    static float[] draw(int n, double lo, double hi) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (lo + RNG.nextDouble() * (hi - lo));
        return f;
    }

    static Tensor on(Backend b, float[] data, int... shape) {
        Tensor t = Tensor.zeros(b, DType.FLOAT32, shape);
        b.write(t.storage(), 0, data, 0, data.length);
        return t;
    }

    static float[] host(Tensor t) {
        Tensor c = t.to(CPU);
        return (c.dtype() == DType.FLOAT32 ? c : c.to(DType.FLOAT32)).toFloatArray();
    }

    /** Runs f on both backends and compares within a relative tolerance (NaNs must match). */
    static void check(String name, Backend b, double tol, Function<Backend, Tensor> f) {
        try {
            float[] want = host(f.apply(CPU)), got = host(f.apply(b));
            if (want.length != got.length) throw new IllegalStateException(want.length + " vs " + got.length + " elements");
            for (int i = 0; i < want.length; i++) {
                boolean ok = Float.isNaN(want[i]) ? Float.isNaN(got[i])
                        : Math.abs(want[i] - got[i]) <= tol * Math.max(1, Math.abs(want[i])) || want[i] == got[i];
                if (!ok) throw new IllegalStateException("element " + i + ": cpu " + want[i] + ", " + b.name() + " " + got[i]);
            }
            passed++;
            System.out.println("  ok   " + name);
        } catch (RuntimeException e) {
            FAILED.add(name);
            System.out.println("  FAIL " + name + ": " + e.getMessage());
            // A kernel fault is sticky: the context refuses every later call, so the checks after it say nothing.
            if (e.getMessage() != null && STICKY.stream().anyMatch(e.getMessage()::contains))
                throw new IllegalStateException("the device context is lost after " + name + "; the checks after it were not run", e);
        }
    }

    /** CUDA errors after which the context is unusable (the driver API's "sticky" kernel faults). */
    private static final List<String> STICKY = List.of("CUDA_ERROR_ILLEGAL_ADDRESS", "CUDA_ERROR_LAUNCH_FAILED",
            "CUDA_ERROR_ILLEGAL_INSTRUCTION", "CUDA_ERROR_MISALIGNED_ADDRESS", "CUDA_ERROR_INVALID_ADDRESS_SPACE",
            "CUDA_ERROR_INVALID_PC", "CUDA_ERROR_HARDWARE_STACK_ERROR", "CUDA_ERROR_ASSERT", "CUDA_ERROR_LAUNCH_TIMEOUT");

    static void ops(Backend b) {
        float[] x = draw(24 * 40, 0.1, 1.5), y = draw(24 * 40, 0.1, 1.5), s = draw(24 * 40, -2, 2), row = draw(40, 0.1, 1.5);
        check("fill", b, 0, be -> { Tensor t = Tensor.zeros(be, DType.FLOAT32, 5, 7); be.fill(t.transpose(0, 1), 2.5); return t; });
        check("arange", b, 0, be -> { Tensor t = Tensor.zeros(be, DType.FLOAT32, 100); be.arange(t, -3, 0.25); return t; });
        check("copy strided + bf16", b, 0, be -> on(be, s, 24, 40).transpose(0, 1).contiguous().to(DType.BF16));
        check("random uniform (Philox, exact)", b, 0, be -> { Tensor t = Tensor.zeros(be, DType.FLOAT32, 4099); be.random(t, 7, 3, Backend.Distribution.UNIFORM); return t; });
        check("random normal", b, 1e-5, be -> { Tensor t = Tensor.zeros(be, DType.FLOAT32, 4099); be.random(t, 7, 4, Backend.Distribution.NORMAL); return t; });
        for (UnaryOp op : UnaryOp.values())
            check("unary " + op, b, 1e-5, be -> { Tensor out = Tensor.zeros(be, DType.FLOAT32, 24, 40); be.unary(op, on(be, x, 24, 40), out, 0.2, 1.1); return out; });
        for (BinaryOp op : BinaryOp.values())
            check("binary " + op, b, 1e-5, be -> {
                Tensor a = on(be, x, 24, 40), c = on(be, row, 40).reshape(1, 40).expand(24, 40);
                Tensor out = Tensor.zeros(be, op.isComparison() ? DType.BIT : DType.FLOAT32, 24, 40);
                be.binary(op, a, c, out);
                return out;
            });
        check("where", b, 0, be -> { Tensor a = on(be, s, 24, 40); return Tensor.where(a.lt(0.0), a, a.mul(3.0)); });
        check("sum", b, 1e-5, be -> on(be, s, 24, 40).sum(1, false));
        check("mean", b, 1e-5, be -> on(be, s, 24, 40).mean(0, false));
        check("max", b, 0, be -> on(be, s, 24, 40).max(1, false));
        check("argmax", b, 0, be -> on(be, s, 24, 40).argmax(0, false));
        check("var", b, 1e-5, be -> on(be, s, 24, 40).var(new int[]{1}, 1, false));
        check("softmax", b, 1e-5, be -> on(be, s, 24, 40).softmax(1));
        check("logSoftmax", b, 1e-5, be -> on(be, s, 24, 40).logSoftmax(0));
        check("layerNorm", b, 1e-4, be -> {
            Tensor in = on(be, s, 24, 40), out = Tensor.zeros(be, DType.FLOAT32, 24, 40);
            be.layerNorm(in, 1, on(be, row, 40), null, 1e-5, out, Tensor.zeros(be, DType.FLOAT32, 24), Tensor.zeros(be, DType.FLOAT32, 24));
            return out;
        });
        check("batchNorm", b, 1e-4, be -> {
            Tensor in = on(be, s, 4, 6, 40), out = Tensor.zeros(be, DType.FLOAT32, 4, 6, 40);
            be.batchNorm(in, null, null, null, null, false, 1e-5, out, Tensor.zeros(be, DType.FLOAT32, 6), Tensor.zeros(be, DType.FLOAT32, 6));
            return out;
        });
        check("matmul", b, 1e-4, be -> on(be, s, 24, 40).matmul(on(be, x, 40, 24)));
        check("matmul transposed batched", b, 1e-4, be -> on(be, s, 2, 12, 40).matmul(on(be, y, 24, 40).transpose(0, 1)));
        if (b instanceof CudaBackend cu && cu.hasCublas()) {
            cu.useCublas(false);
            check("matmul hand-written kernel", b, 1e-4, be -> on(be, s, 24, 40).matmul(on(be, x, 40, 24)));
            cu.useCublas(true);
        }
        Conv2dGeometry g = new Conv2dGeometry(2, 3, 8, 10, 3, 3, 2, 1, 1, 1);
        float[] img = draw(2 * 3 * 8 * 10, -1, 1);
        check("im2col", b, 0, be -> { Tensor c = Tensor.zeros(be, DType.FLOAT32, 2, 27, g.outH() * g.outW()); be.im2col(on(be, img, 2, 3, 8, 10), g, c); return c; });
        check("col2im", b, 1e-5, be -> {
            Tensor c = Tensor.zeros(be, DType.FLOAT32, 2, 27, g.outH() * g.outW());
            be.im2col(on(be, img, 2, 3, 8, 10), g, c);
            Tensor back = Tensor.zeros(be, DType.FLOAT32, 2, 3, 8, 10);
            be.col2im(c, g, back);
            return back;
        });
        check("maxPool2d", b, 0, be -> {
            Tensor out = Tensor.zeros(be, DType.FLOAT32, 2, 3, g.outH(), g.outW()), idx = Tensor.zeros(be, DType.INT32, 2, 3, g.outH(), g.outW());
            be.maxPool2d(on(be, img, 2, 3, 8, 10), g, out, idx);
            Tensor gin = Tensor.zeros(be, DType.FLOAT32, 2, 3, 8, 10);
            be.maxPool2dBackward(out, idx, g, gin);
            return gin;
        });
        check("avgPool2d", b, 1e-5, be -> { Tensor out = Tensor.zeros(be, DType.FLOAT32, 2, 3, g.outH(), g.outW()); be.avgPool2d(on(be, img, 2, 3, 8, 10), g, out); return out; });
        check("gather", b, 0, be -> {
            Tensor idx = Tensor.zeros(be, DType.INT32, 24, 5);
            int[] iv = new int[120];
            for (int i = 0; i < iv.length; i++) iv[i] = (i * 7) % 40;
            be.write(idx.storage(), 0, iv, 0, iv.length);
            Tensor out = Tensor.zeros(be, DType.FLOAT32, 24, 5);
            be.gather(on(be, s, 24, 40), 1, idx, out);
            return out;
        });
        float[] big = draw(10_000, -1, 1);
        check("selectTopAbs (exact)", b, 0, be -> { Tensor m = Tensor.zeros(be, DType.BIT, 10_000); be.selectTopAbs(on(be, big, 10_000), 1000, m); return words(be, m); });
        check("randomKeepMask (exact)", b, 0, be -> { Tensor m = Tensor.zeros(be, DType.BIT, 10_000); be.randomKeepMask(11, 2, 5, 0.9, m); return words(be, m); });
        check("compact + scatterMasked", b, 0, be -> {
            Tensor xx = on(be, big, 100, 100), m = Tensor.zeros(be, DType.BIT, 10_000);
            be.selectTopAbs(xx, 1000, m);
            Tensor v = Tensor.zeros(be, DType.FLOAT32, 1000), out = Tensor.zeros(be, DType.FLOAT32, 10_000);
            be.compact(xx, m, v);
            be.scatterMasked(v, m, out);
            return out;
        });
        float[] grad = draw(100 * 24, -1, 1);
        check("sparseWeightGrad", b, 1e-4, be -> {
            Tensor xx = on(be, big, 100, 100), m = Tensor.zeros(be, DType.BIT, 10_000);
            be.selectTopAbs(xx, 1000, m);
            Tensor v = Tensor.zeros(be, DType.FLOAT32, 1000), dw = Tensor.zeros(be, DType.FLOAT32, 100, 24);
            be.compact(xx, m, v);
            be.sparseWeightGrad(on(be, grad, 100, 24), v, m, dw);
            return dw;
        });
    }

    /** A BIT mask's words as an INT32 tensor on the CPU (compared exactly). */
    static Tensor words(Backend be, Tensor mask) {
        int[] w = new int[(int) ((mask.numel() + 31) / 32)];
        be.read(mask.storage(), 0, w, 0, w.length);
        Tensor t = Tensor.zeros(CPU, DType.INT32, w.length);
        CPU.write(t.storage(), 0, w, 0, w.length);
        return t;
    }

    /** Times an n³ SGEMM: hand-written kernel and cuBLAS (TF32 off), best of 5 after a warm-up, by CUDA events. */
    static void gemm(int n) {
        CudaBackend cu = CudaBackend.instance();
        System.out.println("gemm on " + cu);
        Tensor a = Tensor.zeros(cu, DType.FLOAT32, n, n), b = Tensor.zeros(cu, DType.FLOAT32, n, n), c = Tensor.zeros(cu, DType.FLOAT32, n, n);
        cu.random(a, 1, 0, Backend.Distribution.UNIFORM);
        cu.random(b, 1, 1, Backend.Distribution.UNIFORM);
        double flop = 2.0 * n * n * n;
        StringBuilder line = new StringBuilder("gemm n=" + n);
        for (boolean useCublas : cu.hasCublas() ? new boolean[]{false, true} : new boolean[]{false}) {
            cu.useCublas(useCublas);
            cu.matmul(a, b, c, 0f);
            cu.synchronize();
            float best = Float.MAX_VALUE;
            for (int i = 0; i < 5; i++) best = Math.min(best, cu.time(() -> cu.matmul(a, b, c, 0f)));
            String k = useCublas ? "cublas" : "kernel";
            line.append(String.format(" %s_ms=%.3f %s_gflops=%.0f", k, best, k, flop / best / 1e6));
        }
        if (!cu.hasCublas()) line.append(" cublas_ms=NA (" + cu.noCublasReason() + ")");
        System.out.println(line);
    }
}
