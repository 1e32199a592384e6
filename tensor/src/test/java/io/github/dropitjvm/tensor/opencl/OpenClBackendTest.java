package io.github.dropitjvm.tensor.opencl;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Indexing;
import io.github.dropitjvm.tensor.LiveBytes;
import io.github.dropitjvm.tensor.MemoryTracker;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.device.DeviceStorage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The OpenCL backend itself: discovery and selection, bit-for-bit agreement with the CPU backend where DESIGN.md
 * asks for it (DropIT selection, masks, compaction, Philox), device-side index checks, build-log errors, exact
 * accounting, and no device-memory growth over many training-like steps. (Every op against the float64 reference
 * is the tensor suite's second Surefire execution, run with -Ddropit.backend=opencl.)
 *
 * <p>Under CI (CI=true) a missing OpenCL device fails these tests; elsewhere they are skipped.
 */
class OpenClBackendTest {
    static OpenClBackend cl;
    static final Backend CPU = Backends.cpu();
    final SplittableRandom rng = new SplittableRandom(0x0C1_0001L);

    @BeforeAll
    static void device() {
        if (!OpenClBackend.isAvailable()) {
            String why = "no OpenCL platform with a device (libOpenCL.so.1 + a driver, e.g. apt-get install ocl-icd-libopencl1 pocl-opencl-icd)";
            if ("true".equals(System.getProperty("dropit.ci")) || "true".equals(System.getenv("CI"))) fail("CI requires OpenCL: " + why);
            Assumptions.abort(why);
        }
        cl = OpenClBackend.instance();
    }

    /**
     * PoCL's LLVM installs its crash handler for SIGSEGV when the backend compiles its kernels, a signal HotSpot raises
     * on purpose; without signal chaining two threads reaching a safepoint poll together then killed test JVMs
     * (ARCHITECTURE.md, "Signal chaining"). The build preloads libjsig into every test JVM, as ./dropit does.
     */
    @Test
    void testJvmRunsWithSignalChaining() throws Exception {
        Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/maps")), "not Linux");
        assertTrue(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/maps")).contains("/libjsig.so"),
                "libjsig.so is not loaded in this JVM (LD_PRELOAD=" + System.getenv("LD_PRELOAD") + ")");
    }

    static int[] words(Tensor mask) {
        int[] w = new int[(int) ((mask.numel() + 31) / 32)];
        mask.backend().read(mask.storage(), 0, w, 0, w.length);
        return w;
    }

    float[] draw(int n, int kind) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = switch (kind) {
                case 0 -> (float) (rng.nextDouble() * 2 - 1);
                case 1 -> rng.nextInt(-3, 4);                                     // many exact ties, +0 only
                case 2 -> rng.nextBoolean() ? 0f : (float) rng.nextDouble();       // after ReLU: half zeros
                case 3 -> rng.nextBoolean() ? -0f : 0f;                            // only signed zeros: all tie
                default -> (float) ((rng.nextBoolean() ? 1 : -1) * Math.scalb(1 + rng.nextDouble(), rng.nextInt(-140, 128)));
            };
        }
        return f;
    }

    @Test
    void isListedAndSelectedByNameWithAClearErrorForAMissingDevice() {
        assertTrue(Backends.available().contains("opencl"), Backends.available().toString());
        assertSame(cl, Backends.byName("opencl"));
        assertSame(cl, Backends.byName("OpenCL"));
        assertEquals("opencl", cl.name());
        assertTrue(cl.description().contains("/"), cl.description());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpenClBackend.create(0, 999));
        assertTrue(e.getMessage().contains("device 999"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OpenClBackend.create(999, 0));
        assertTrue(e.getMessage().contains("platform 999"), e.getMessage());
    }

    @Test
    void aKernelThatDoesNotCompileReportsTheBuildLog() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OpenClBackend.create(0, 0, "__kernel void broken(__global float* x) { x[0] = undefined_thing; }"));
        assertTrue(e.getMessage().contains("build log") && e.getMessage().contains("undefined_thing"), e.getMessage());
    }

    @Test
    void masksMoveBetweenBackendsBitForBitAlsoFromAViewStartingMidWord() {
        float[] f = draw(37 * 53, 0);
        Tensor mask = Tensor.fromArray(f, 37, 53).to(CPU).gt(0.0);
        float[] want = mask.to(DType.FLOAT32).toFloatArray();
        Tensor there = mask.to(cl);
        assertEquals(DType.BIT, there.dtype());
        assertSame(cl, there.backend());
        assertArrayEquals(want, there.to(CPU).to(DType.FLOAT32).toFloatArray());
        // a view whose first bit is bit 53 of the storage (not a word boundary), transposed: moved as the values it shows
        Tensor view = there.narrow(0, 1, 5).transpose(0, 1);
        assertArrayEquals(mask.narrow(0, 1, 5).transpose(0, 1).to(DType.FLOAT32).contiguous().toFloatArray(),
                view.to(CPU).to(DType.FLOAT32).toFloatArray());
    }

    @Test
    void mixingWithCpuTensorsIsRefusedNamingBoth() {
        Tensor a = Tensor.ones(3).to(cl);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(Tensor.zeros(CPU, DType.FLOAT32, 3)));
        assertTrue(e.getMessage().contains("opencl") && e.getMessage().contains("cpu"), e.getMessage());
    }

    @Test
    void selectTopAbsIsBitIdenticalToTheCpu() {
        for (int kind = 0; kind < 5; kind++)
            for (int n : new int[]{1, 31, 32, 33, 1000, 4099, 70_001}) {
                float[] f = draw(n, kind);
                Tensor xc = Tensor.fromArray(f, n).to(CPU), xg = xc.to(cl);
                for (long k : new long[]{0, 1, n / 3, DropItKernels.keepCount(n, 0.9), n - 1, n}) {
                    if (k < 0 || k > n) continue;
                    String what = "kind " + kind + " n " + n + " k " + k;
                    Tensor mc = DropItKernels.selectTopAbs(xc, k, "t"), mg = DropItKernels.selectTopAbs(xg, k, "t");
                    assertArrayEquals(words(mc), words(mg), what);
                    assertEquals(k, DropItKernels.countKept(mg), what);
                }
            }
        // a non-contiguous input selects in row-major logical order on both
        float[] f = draw(37 * 53, 1);
        Tensor xc = Tensor.fromArray(f, 37, 53).to(CPU).transpose(0, 1), xg = Tensor.fromArray(f, 37, 53).to(cl).transpose(0, 1);
        assertArrayEquals(words(DropItKernels.selectTopAbs(xc, 500, "t")), words(DropItKernels.selectTopAbs(xg, 500, "t")));
        // NaN is refused naming the layer, on the device too
        f[17] = Float.NaN;
        Tensor nan = Tensor.fromArray(f, f.length).to(cl);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DropItKernels.selectTopAbs(nan, 3, "fc2"));
        assertTrue(e.getMessage().contains("fc2") && e.getMessage().contains("1 NaN"), e.getMessage());
    }

    @Test
    void compactionIndexBf16AndScattersAreBitIdenticalToTheCpu() {
        for (int n : new int[]{1, 33, 4099, 70_001}) {
            float[] f = draw(n, 4);
            Tensor xc = Tensor.fromArray(f, n).to(CPU), xg = xc.to(cl);
            long k = DropItKernels.keepCount(n, 0.7);
            Tensor mc = DropItKernels.selectTopAbs(xc, k, "t"), mg = DropItKernels.selectTopAbs(xg, k, "t");
            for (DType vt : new DType[]{DType.FLOAT32, DType.BF16}) {
                Tensor vc = DropItKernels.compact(xc, mc, vt), vg = DropItKernels.compact(xg, mg, vt);
                if (vt == DType.BF16) {
                    short[] a = new short[(int) k], b = new short[(int) k];
                    CPU.read(vc.storage(), 0, a, 0, a.length);
                    cl.read(vg.storage(), 0, b, 0, b.length);
                    assertArrayEquals(a, b, "bf16 bits n " + n);
                } else {
                    assertArrayEquals(vc.toFloatArray(), vg.toFloatArray(), "fp32 n " + n);
                }
                assertArrayEquals(DropItKernels.scatterMasked(vc, mc, n).toFloatArray(), DropItKernels.scatterMasked(vg, mg, n).toFloatArray());
                Tensor ic = DropItKernels.maskToIndex(mc), ig = DropItKernels.maskToIndex(mg);
                assertArrayEquals(ic.toIntArray(), ig.toIntArray());
                assertArrayEquals(DropItKernels.scatterIndexed(vc, ic, n).toFloatArray(), DropItKernels.scatterIndexed(vg, ig, n).toFloatArray());
            }
        }
        Tensor bad = Tensor.fromArray(new int[]{0, 7}, 2).to(cl);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> DropItKernels.scatterIndexed(Tensor.ones(2).to(cl), bad, 5));
        assertTrue(e.getMessage().contains("position 7"), e.getMessage());
    }

    @Test
    void philoxStreamsAndRandomKeepMasksMatchTheCpu() {
        for (long n : new long[]{1, 31, 77, 4096, 100_003})
            for (double gamma : new double[]{0, 0.3, 0.5, 0.9, 1}) {
                Tensor mc = DropItKernels.randomKeepMask(CPU, n, 0xDEADBEEFCAFEL, 3, 11, gamma);
                Tensor mg = DropItKernels.randomKeepMask(cl, n, 0xDEADBEEFCAFEL, 3, 11, gamma);
                assertArrayEquals(words(mc), words(mg), "n " + n + " gamma " + gamma);
                assertEquals(DropItKernels.countKept(mc), DropItKernels.countKept(mg));
            }
        Tensor uc = Tensor.zeros(CPU, DType.FLOAT32, 10_007), ug = Tensor.zeros(cl, DType.FLOAT32, 10_007);
        CPU.random(uc, 42, 7, Backend.Distribution.UNIFORM);
        cl.random(ug, 42, 7, Backend.Distribution.UNIFORM);
        assertArrayEquals(uc.toFloatArray(), ug.toFloatArray(), "uniform: identical bits");
        CPU.random(uc, -5, 1L << 40, Backend.Distribution.NORMAL);
        cl.random(ug, -5, 1L << 40, Backend.Distribution.NORMAL);
        float[] a = uc.toFloatArray(), b = ug.toFloatArray();
        for (int i = 0; i < a.length; i++)  // Box-Muller through the device's double log/cos: within one float ulp
            assertTrue(Math.abs(a[i] - b[i]) <= Math.ulp(a[i]), "normal " + i + ": " + a[i] + " vs " + b[i]);
    }

    @Test
    void indexOutOfRangeIsFoundOnTheDeviceAndRefusedClearly() {
        Tensor x = Tensor.fromArray(new float[]{1, 2, 3, 4, 5, 6}, 2, 3).to(cl);
        Tensor bad = Tensor.fromArray(new long[]{0, 3, 1}, 1, 3).to(cl);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> Indexing.gather(x, 1, bad));
        assertTrue(e.getMessage().contains("index 3") && e.getMessage().contains("size 3"), e.getMessage());
        Tensor neg = Tensor.fromArray(new int[]{-1}, 1).to(cl);
        assertThrows(IndexOutOfBoundsException.class, () -> Indexing.indexSelect(x, 0, neg));
        // good indices still work after a refused launch
        Tensor good = Tensor.fromArray(new long[]{2, 0, 1}, 1, 3).to(cl);
        assertArrayEquals(new float[]{3, 1, 2}, Indexing.gather(x, 1, good).toFloatArray());
    }

    @Test
    void storagesAccountExactElementBytesAndReleaseDeterministically() {
        MemoryTracker m = cl.memory();
        for (DType d : DType.values())
            for (int n : new int[]{0, 1, 31, 33, 1031}) {
                long before = m.liveBytes();
                Tensor t = Tensor.zeros(cl, d, n);
                assertEquals(d.bytesFor(n), m.liveBytes() - before, d + " x " + n);
                assertTrue(((DeviceStorage<?>) t.storage()).deviceBytes() >= d.bytesFor(n));
                t.storage().close();
                assertEquals(before, m.liveBytes(), "close " + d + " x " + n);
                t.storage().close();
                assertEquals(before, m.liveBytes(), "closing twice releases once");
            }
    }

    /** A tiny forward/backward-like op sequence; closes every intermediate as a scope would. */
    private static void step(Tensor w, Tensor x, int i) {
        java.util.List<Tensor> tmp = new java.util.ArrayList<>();
        java.util.function.UnaryOperator<Tensor> keep = t -> { tmp.add(t); return t; };
        Tensor h = keep.apply(x.matmul(w)), r = keep.apply(h.relu()), s = keep.apply(r.softmax(1));
        keep.apply(s.sum());
        Tensor sh = keep.apply(s.mul(h)), g = keep.apply(x.transpose(0, 1).matmul(sh));
        Tensor mask = keep.apply(DropItKernels.selectTopAbs(r, DropItKernels.keepCount(r.numel(), 0.8), "fc"));
        Tensor v = keep.apply(DropItKernels.compact(r, mask, DType.BF16));
        keep.apply(DropItKernels.scatterMasked(v, mask, r.shape()));
        keep.apply(DropItKernels.randomKeepMask(w.backend(), 100, 1, 0, i, 0.5));
        Tensor lr = keep.apply(Tensor.full(w.backend(), DType.FLOAT32, -1e-3));
        w.addInPlace(keep.apply(g.mul(lr)));
        for (Tensor t : tmp) t.storage().close();
    }

    @Test
    void noDeviceMemoryGrowthOverTwoHundredTrainingLikeSteps() {
        Tensor w = Tensor.randn(new Generator(1), 16, 24).to(cl), x = Tensor.rand(new Generator(2), 8, 16).to(cl);
        MemoryTracker m = cl.memory();
        step(w, x, 0); // warm the cache
        cl.synchronize();
        long live = LiveBytes.settled(m), device = cl.deviceBytes(), created = cl.createdBuffers();
        for (int i = 1; i <= 200; i++) {
            step(w, x, i);
            assertEquals(live, m.liveBytes(), "live bytes back to baseline after step " + i);
        }
        cl.synchronize();
        assertEquals(device, cl.deviceBytes(), "the allocator holds no more device memory than after the first step");
        assertTrue(cl.createdBuffers() - created <= 4, "buffers come from the cache: " + (cl.createdBuffers() - created) + " new");
        assertTrue(Float.isFinite(w.sum().item()));
    }

    @Test
    void unclosedStoragesAreReleasedByTheCleanerSafetyNet() throws InterruptedException {
        MemoryTracker m = cl.memory();
        long before = LiveBytes.settled(m);
        Tensor t = Tensor.zeros(cl, DType.FLOAT32, 1 << 20);
        assertEquals(before + (4L << 20), m.liveBytes());
        t = null;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (m.liveBytes() > before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(m.liveBytes() <= before, "live " + m.liveBytes() + ", before " + before);
    }
}
