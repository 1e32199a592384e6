package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.LiveBytes;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA backend itself. Without a driver or device: a clear error, never a fallback (runs everywhere). With a
 * device: selection, agreement with the CPU backend (bit-for-bit where DESIGN.md asks: Philox, DropIT masks),
 * cuBLAS and the hand-written GEMM against the CPU, exact accounting, and no device-memory growth over 1000
 * training-like steps. Device tests skip with a reason naming CUDA when there is no device (the one skip CI allows).
 * (Every op against the float64 reference is the tensor suite's cuda-op-suite Surefire execution, run with
 * -Ddropit.backend=cuda where libcuda.so.1 exists.)
 */
class CudaBackendTest {
    static final Backend CPU = Backends.cpu();
    final SplittableRandom rng = new SplittableRandom(0xC0DA_0001L);

    static CudaBackend device() {
        String why = CudaBackend.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "no CUDA device, CUDA device tests skipped: " + why);
        return CudaBackend.instance();
    }

    @Test
    void withoutADriverOrDeviceTheErrorIsClearAndThereIsNoFallback() {
        String why = CudaBackend.unavailableReason();
        Assumptions.assumeTrue(why != null, "a CUDA device is present: the no-device error cannot be observed (CUDA)");
        assertFalse(Backends.available().contains("cuda"), Backends.available().toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.byName("cuda"));
        assertTrue(e.getMessage().contains("backend 'cuda' is not available on this machine"), e.getMessage());
        if (!java.nio.file.Files.exists(java.nio.file.Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1"))
                && !java.nio.file.Files.exists(java.nio.file.Path.of("/usr/lib64/libcuda.so.1")))
            assertTrue(e.getMessage().contains("libcuda.so.1 not found: the CUDA backend needs an NVIDIA driver"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> CudaBackend.create(0));
        assertEquals(e.getMessage().contains("libcuda.so.1"), why.contains("libcuda.so.1"));
    }

    @Test
    void theNoDriverMessageSaysWhatIsMissing() {
        String m = Cuda.noDriverMessage("libcuda.so.1: cannot open shared object file");
        assertTrue(m.startsWith("cuda: libcuda.so.1 not found: the CUDA backend needs an NVIDIA driver"), m);
        assertTrue(m.contains("cannot open shared object file"), m);
    }

    // ---------------------------------------------------------------- with a device

    float[] draw(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (rng.nextDouble() * 2 - 1);
        return f;
    }

    static Tensor on(Backend b, float[] data, int... shape) {
        Tensor t = Tensor.zeros(b, DType.FLOAT32, shape);
        b.write(t.storage(), 0, data, 0, data.length);
        return t;
    }

    static Tensor rand(Backend b, long seed, long stream, int n) {
        Tensor t = Tensor.zeros(b, DType.FLOAT32, n);
        b.random(t, seed, stream, Backend.Distribution.UNIFORM);
        return t;
    }

    static float[] floats(Tensor t) {
        return t.toFloatArray();
    }

    @Test
    void isListedAndSelectedByName() {
        CudaBackend cu = device();
        assertTrue(Backends.available().contains("cuda"));
        assertSame(cu, Backends.byName("cuda"));
        assertSame(cu, Backends.byName("CUDA"));
        assertEquals("cuda", cu.name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaBackend.create(999));
        assertTrue(e.getMessage().contains("device 999"), e.getMessage());
    }

    @Test
    void elementwiseReductionsAndRandomAgreeWithTheCpu() {
        CudaBackend cu = device();
        float[] x = draw(1000), y = draw(1000);
        Tensor a = on(cu, x, 10, 100), b = on(cu, y, 10, 100);
        Tensor ac = on(CPU, x, 10, 100), bc = on(CPU, y, 10, 100);
        assertArrayEquals(floats(ac.add(bc).mul(bc).exp()), floats(a.add(b).mul(b).exp()), 1e-5f);
        assertArrayEquals(floats(ac.sum(1, false)), floats(a.sum(1, false)), 1e-4f);
        assertArrayEquals(floats(ac.transpose(0, 1).contiguous()), floats(a.transpose(0, 1).contiguous()), 0f);
        assertArrayEquals(floats(rand(CPU, 7, 3, 1000)), floats(rand(cu, 7, 3, 1000)), 0f);
    }

    @Test
    void cublasAndTheHandWrittenGemmAgreeWithTheCpu() {
        CudaBackend cu = device();
        int[][] shapes = {{64, 48, 32}, {1, 7, 5}, {33, 1, 17}, {129, 65, 3}};
        boolean before = cu.usesCublas();
        try {
            for (boolean useCublas : cu.hasCublas() ? new boolean[]{true, false} : new boolean[]{false}) {
                cu.useCublas(useCublas);
                for (int[] s : shapes) {
                    float[] x = draw(s[0] * s[2]), w = draw(s[2] * s[1]);
                    Tensor ref = on(CPU, x, s[0], s[2]).matmul(on(CPU, w, s[2], s[1]));
                    Tensor got = on(cu, x, s[0], s[2]).matmul(on(cu, w, s[2], s[1]));
                    assertArrayEquals(floats(ref), floats(got), 1e-4f, (useCublas ? "cuBLAS " : "kernel ") + java.util.Arrays.toString(s));
                    Tensor refT = on(CPU, w, s[1], s[2]).transpose(0, 1);
                    Tensor gotT = on(cu, w, s[1], s[2]).transpose(0, 1);
                    assertArrayEquals(floats(on(CPU, x, s[0], s[2]).matmul(refT)),
                            floats(on(cu, x, s[0], s[2]).matmul(gotT)), 1e-4f, "transposed b " + java.util.Arrays.toString(s));
                }
                float[] x = draw(2 * 3 * 8 * 4), w = draw(4 * 5);
                Tensor ref = on(CPU, x, 2, 3, 8, 4).matmul(on(CPU, w, 4, 5));
                Tensor got = on(cu, x, 2, 3, 8, 4).matmul(on(cu, w, 4, 5));
                assertArrayEquals(floats(ref), floats(got), 1e-4f, "batched, broadcast weight");
            }
        } finally {
            cu.useCublas(before);
        }
    }

    @Test
    void dropItMasksAreBitForBitTheCpus() {
        CudaBackend cu = device();
        float[] x = draw(5000);
        Tensor mc = Tensor.zeros(CPU, DType.BIT, 5000), mg = Tensor.zeros(cu, DType.BIT, 5000);
        assertEquals(0, CPU.selectTopAbs(on(CPU, x, 5000), 1234, mc));
        assertEquals(0, cu.selectTopAbs(on(cu, x, 5000), 1234, mg));
        assertArrayEquals(words(mc), words(mg));
        Tensor kc = Tensor.zeros(CPU, DType.BIT, 5000), kg = Tensor.zeros(cu, DType.BIT, 5000);
        assertEquals(CPU.randomKeepMask(42, 3, 7, 0.9, kc), cu.randomKeepMask(42, 3, 7, 0.9, kg));
        assertArrayEquals(words(kc), words(kg));
    }

    static int[] words(Tensor mask) {
        int[] w = new int[(int) ((mask.numel() + 31) / 32)];
        mask.backend().read(mask.storage(), 0, w, 0, w.length);
        return w;
    }

    @Test
    void accountingIsExactAndDeviceMemoryDoesNotGrowOver1000Steps() {
        CudaBackend cu = device();
        long before = LiveBytes.settled(cu.memory());
        Tensor t = Tensor.zeros(cu, DType.FLOAT32, 1000);
        assertEquals(before + 4000, cu.memory().liveBytes());
        t.storage().close();
        assertEquals(before, cu.memory().liveBytes());
        Tensor w = on(cu, draw(256 * 256), 256, 256);
        long[] device = new long[1000];
        for (int step = 0; step < 1000; step++) {
            // a training-like step that never closes its intermediates: only Cleaners return them
            Tensor x = rand(cu, step, 0, 64 * 256).reshape(64, 256);
            Tensor h = x.matmul(w).relu();
            Tensor loss = h.mul(h).sum();
            Tensor g = x.transpose(0, 1).matmul(h);
            w = w.sub(g.mul(1e-6));
            if (step % 100 == 0) loss.item();
            device[step] = cu.deviceBytes();
        }
        cu.synchronize();
        assertTrue(device[999] <= Math.max(device[100] * 2, 64L << 20), "device bytes grew: step 100 " + device[100] + ", step 999 " + device[999]);
    }
}
