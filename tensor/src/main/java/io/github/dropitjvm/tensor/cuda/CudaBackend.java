package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.MemoryTracker;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.cuda.KernelArgs.Ptr;
import io.github.dropitjvm.tensor.device.CachingAllocator;
import io.github.dropitjvm.tensor.device.DeviceBackend;
import io.github.dropitjvm.tensor.device.DeviceStorage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA backend: the driver API of {@code libcuda.so.1} through hand-written FFM downcalls ({@link Cuda}), the
 * device's primary context, one stream on which every kernel and copy is queued in order, device memory from a
 * caching allocator ({@link CachingAllocator}), and the kernels of the OpenCL backend's dialect ({@code kernels/*.cl},
 * {@code prelude.h}) compiled as CUDA C: by NVRTC for the device's exact compute capability where libnvrtc loads,
 * otherwise the PTX shipped in the jar (sm_90 and sm_80, built by nvcc, JIT-compiled by the driver). GEMM goes to
 * cuBLAS ({@code cublasSgemmStridedBatched}, TF32 off: CUBLAS_DEFAULT_MATH) where libcublas loads and the operand
 * layouts allow, otherwise to the dialect's tiled {@code matmul_k}.
 *
 * <p>Choosing a device: {@link #create(int)}, or the shared {@link #instance()} on the device named by the system
 * property {@code dropit.cuda.device} (index, default 0). No driver, no device or a bad index is a clear error; there
 * is never a silent fallback. {@code dropit.cuda.cacheBytes} bounds the allocator's cache (default 1 GiB); above
 * {@code dropit.cuda.collectBytes} device bytes (default 2 GiB) an allocation the cache cannot serve first runs the
 * garbage collector. {@code dropit.cuda.gemm=kernel} forces the hand-written GEMM; {@code dropit.cuda.nvrtc=none} /
 * {@code dropit.cuda.cublas=none} ignore those libraries.
 */
public final class CudaBackend extends DeviceBackend {
    /** Threads per block of 1-D launches. */
    private static final int BLOCK = 64;
    private static volatile CudaBackend shared;

    private final MemoryTracker memory = new MemoryTracker("cuda");
    private final Cuda.Driver drv;
    private final int ordinal;
    private final MemorySegment context, module, stream;
    private final String description, kernelOrigin;
    private final int major, minor;
    private final long maxElements, totalMemory;
    private final CachingAllocator<Long> allocator;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    private final Optional<Cuda.Cublas> cublas;
    private final MemorySegment cublasHandle;
    /** Why a libcublas that loaded is not used, or null. */
    private final String cublasFailure;
    private volatile boolean useCublas;

    // ------------------------------------------------------------------ discovery and creation

    /** Whether libcuda.so.1 loads, cuInit succeeds and at least one device exists. Never throws. */
    public static boolean isAvailable() {
        try {
            return deviceCount() > 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Why there is no usable CUDA device here (null when there is one); for skip messages and errors. */
    public static String unavailableReason() {
        try {
            int n = deviceCount();
            return n > 0 ? null : "cuda: the NVIDIA driver loaded but reports no CUDA device";
        } catch (Throwable t) {
            return t.getMessage();
        }
    }

    /** Number of CUDA devices (cuInit + cuDeviceGetCount); throws with the reason when the driver is unusable. */
    public static int deviceCount() {
        Cuda.Driver d = Cuda.driver();
        int st = Cuda.invokeInt(d.init, "cuInit", 0);
        if (st == 100) return 0; // CUDA_ERROR_NO_DEVICE
        d.check(st, "cuInit");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            d.call(d.deviceGetCount, "cuDeviceGetCount", n);
            return n.get(JAVA_INT, 0);
        }
    }

    /** One line per device: "device i: name (sm_XY, N MiB)". */
    public static List<String> describeDevices() {
        Cuda.Driver d = Cuda.driver();
        List<String> out = new ArrayList<>();
        int n = deviceCount();
        for (int i = 0; i < n; i++) out.add("device " + i + ": " + deviceName(d, i));
        return out;
    }

    private static String deviceName(Cuda.Driver d, int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dev = a.allocate(JAVA_INT), name = a.allocate(256), v = a.allocate(JAVA_INT), mem = a.allocate(JAVA_LONG);
            d.call(d.deviceGet, "cuDeviceGet", dev, ordinal);
            int h = dev.get(JAVA_INT, 0);
            d.call(d.deviceGetName, "cuDeviceGetName", name, 256, h);
            d.call(d.deviceGetAttribute, "cuDeviceGetAttribute", v, Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, h);
            int ma = v.get(JAVA_INT, 0);
            d.call(d.deviceGetAttribute, "cuDeviceGetAttribute", v, Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, h);
            int mi = v.get(JAVA_INT, 0);
            d.call(d.deviceTotalMem, "cuDeviceTotalMem", mem, h);
            return Cuda.cString(name) + " (sm_" + ma + mi + ", " + (mem.get(JAVA_LONG, 0) >> 20) + " MiB)";
        }
    }

    /** The process-wide instance on the device chosen by dropit.cuda.device. */
    public static CudaBackend instance() {
        CudaBackend b = shared;
        if (b != null) return b;
        synchronized (CudaBackend.class) {
            if (shared == null) shared = create(Integer.getInteger("dropit.cuda.device", 0));
            return shared;
        }
    }

    /** A new backend (own stream, module and allocator; the device's primary context) on device {@code ordinal}. */
    public static CudaBackend create(int ordinal) {
        int n = deviceCount();
        if (n == 0) throw new IllegalStateException("cuda: no CUDA device: the NVIDIA driver loaded but cuInit/cuDeviceGetCount found none");
        if (ordinal < 0 || ordinal >= n)
            throw new IllegalArgumentException("cuda: device " + ordinal + " does not exist (dropit.cuda.device); devices: " + describeDevices());
        return new CudaBackend(ordinal);
    }

    private CudaBackend(int ordinal) {
        super("cuda");
        this.drv = Cuda.driver();
        this.ordinal = ordinal;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT), p = a.allocate(ADDRESS), mem = a.allocate(JAVA_LONG);
            drv.call(drv.deviceGet, "cuDeviceGet", v, ordinal);
            int dev = v.get(JAVA_INT, 0);
            drv.call(drv.deviceGetAttribute, "cuDeviceGetAttribute", v, Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
            major = v.get(JAVA_INT, 0);
            drv.call(drv.deviceGetAttribute, "cuDeviceGetAttribute", v, Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
            minor = v.get(JAVA_INT, 0);
            drv.call(drv.deviceTotalMem, "cuDeviceTotalMem", mem, dev);
            totalMemory = mem.get(JAVA_LONG, 0);
            drv.call(drv.primaryCtxRetain, "cuDevicePrimaryCtxRetain", p, dev);
            context = p.get(ADDRESS, 0);
            makeCurrent();
            drv.call(drv.streamCreate, "cuStreamCreate", p, 0);
            stream = p.get(ADDRESS, 0);
            drv.call(drv.driverGetVersion, "cuDriverGetVersion", v);
            int driverVersion = v.get(JAVA_INT, 0);
            String[] origin = new String[1];
            module = loadModule(a, driverVersion, origin);
            kernelOrigin = origin[0];
            description = deviceName(drv, ordinal) + ", driver " + driverVersion / 1000 + "." + (driverVersion % 1000) / 10;
        }
        maxElements = Math.min(totalMemory / 8, Integer.MAX_VALUE - 8);
        allocator = new CachingAllocator<>(new CachingAllocator.Device<Long>() {
            @Override public Long alloc(long bytes) {
                makeCurrent();
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment p = a.allocate(JAVA_LONG);
                    drv.call(drv.memAlloc, "cuMemAlloc(" + bytes + " bytes)", p, bytes);
                    return p.get(JAVA_LONG, 0);
                }
            }

            @Override public void free(Long ptr) {
                makeCurrent();
                drv.call(drv.memFree, "cuMemFree", ptr);
            }
        }, Long.getLong("dropit.cuda.cacheBytes", 1L << 30), Long.getLong("dropit.cuda.collectBytes", 2L << 30));
        Optional<Cuda.Cublas> cb = Cuda.Cublas.load();
        MemorySegment handle = MemorySegment.NULL;
        String cublasFailure = null;
        if (cb.isPresent()) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ADDRESS);
                Cuda.Cublas.check(Cuda.invokeInt(cb.get().create, "cublasCreate", p), "cublasCreate");
                handle = p.get(ADDRESS, 0);
                Cuda.Cublas.check(Cuda.invokeInt(cb.get().setStream, "cublasSetStream", handle, stream), "cublasSetStream");
                // CUBLAS_DEFAULT_MATH: full FP32, no TF32 tensor-core rounding, so results match the other backends.
                Cuda.Cublas.check(Cuda.invokeInt(cb.get().setMathMode, "cublasSetMathMode", handle, Cuda.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            } catch (IllegalStateException e) {
                // a libcublas that loads but cannot start (e.g. built for a newer driver): the hand-written GEMM serves
                cublasFailure = e.getMessage();
                if (!handle.equals(MemorySegment.NULL)) Cuda.invokeInt(cb.get().destroy, "cublasDestroy", handle);
                cb = Optional.empty();
                handle = MemorySegment.NULL;
            }
        }
        cublas = cb;
        this.cublasFailure = cublasFailure;
        cublasHandle = handle;
        useCublas = cublas.isPresent() && !"kernel".equals(System.getProperty("dropit.cuda.gemm"));
    }

    /** Makes this backend's context current on the calling thread (CUDA contexts are per thread). */
    private void makeCurrent() {
        if (!current.get()) {
            drv.call(drv.ctxSetCurrent, "cuCtxSetCurrent", context);
            current.set(true);
        }
    }

    /**
     * NVRTC for this device where available, else the shipped PTX; a JIT failure carries the driver's log. An NVRTC
     * that loads but fails (a broken install, a compiler that rejects the source) falls back to the shipped PTX, and
     * the origin line says why, since the shipped PTX alone runs on every device from sm_80 on.
     */
    private MemorySegment loadModule(Arena a, int driverVersion, String[] origin) {
        String ptx = null;
        String nvrtcFailure = null;
        Optional<Cuda.Nvrtc> nvrtc = Cuda.Nvrtc.load();
        if (nvrtc.isPresent()) {
            try {
                ptx = nvrtc.get().compile(CudaKernels.source(), "dropit.cu", major, minor);
                origin[0] = "NVRTC (compute_" + major + minor + ")";
            } catch (IllegalStateException e) {
                int oldestShipped = CudaKernels.SHIPPED_ARCHS[CudaKernels.SHIPPED_ARCHS.length - 1];
                if (major * 10 + minor < oldestShipped) throw e; // no shipped PTX runs here either
                nvrtcFailure = e.getMessage().lines().limit(4).collect(Collectors.joining(" | "));
            }
        }
        if (ptx == null) {
            int arch = CudaKernels.shippedArchFor(major, minor);
            ptx = CudaKernels.shippedPtx(arch);
            origin[0] = "shipped PTX sm_" + arch + (nvrtcFailure == null ? "" : " (NVRTC failed: " + nvrtcFailure + ")");
        }
        try {
            return loadPtx(a, ptx);
        } catch (IllegalStateException e) {
            // CUDA_ERROR_UNSUPPORTED_PTX_VERSION: the PTX is newer than this driver's JIT. The kernels use nothing
            // from recent PTX ISA versions, so retry once declaring the newest version this driver accepts.
            String v = CudaKernels.ptxVersionFor(driverVersion);
            if (!e.getMessage().contains("UNSUPPORTED_PTX_VERSION") || v == null) throw e;
            origin[0] += ", PTX ISA lowered to " + v + " for driver " + driverVersion;
            return loadPtx(a, CudaKernels.withPtxVersion(ptx, v));
        }
    }

    private MemorySegment loadPtx(Arena a, String ptx) {
        int logSize = 16384;
        MemorySegment errLog = a.allocate(logSize), infoLog = a.allocate(logSize);
        MemorySegment opts = a.allocate(JAVA_INT, 4), vals = a.allocate(ADDRESS, 4);
        opts.setAtIndex(JAVA_INT, 0, Cuda.CU_JIT_ERROR_LOG_BUFFER);
        vals.setAtIndex(ADDRESS, 0, errLog);
        opts.setAtIndex(JAVA_INT, 1, Cuda.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
        vals.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(logSize));
        opts.setAtIndex(JAVA_INT, 2, Cuda.CU_JIT_INFO_LOG_BUFFER);
        vals.setAtIndex(ADDRESS, 2, infoLog);
        opts.setAtIndex(JAVA_INT, 3, Cuda.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES);
        vals.setAtIndex(ADDRESS, 3, MemorySegment.ofAddress(logSize));
        MemorySegment p = a.allocate(ADDRESS);
        int st = Cuda.invokeInt(drv.moduleLoadDataEx, "cuModuleLoadDataEx", p, a.allocateFrom(ptx), 4, opts, vals);
        if (st != Cuda.CUDA_SUCCESS)
            throw new IllegalStateException("cuda: cuModuleLoadDataEx failed with " + drv.errorName(st) + " on " + deviceName(drv, ordinal)
                    + "; JIT log:\n" + Cuda.cString(errLog) + "\n" + Cuda.cString(infoLog));
        return p.get(ADDRESS, 0);
    }

    private MemorySegment function(String name) {
        MemorySegment f = functions.get(name);
        if (f == null) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ADDRESS);
                drv.call(drv.moduleGetFunction, "cuModuleGetFunction(" + name + ")", p, module, a.allocateFrom(name));
                f = p.get(ADDRESS, 0);
            }
            functions.put(name, f);
        }
        return f;
    }

    // ------------------------------------------------------------------ the driver under DeviceBackend

    @Override public MemoryTracker memory() { return memory; }
    @Override public long maxElements() { return maxElements; }

    /** Device, compute capability, memory and driver version. */
    @Override public String description() { return description; }

    /** Where the kernels came from: NVRTC or the shipped PTX. */
    public String kernelOrigin() { return kernelOrigin; }

    /** Whether GEMMs go to cuBLAS where the layouts allow (else the hand-written tiled kernel). */
    public boolean usesCublas() { return useCublas; }

    /** Whether libcublas loaded and started. */
    public boolean hasCublas() { return cublas.isPresent(); }

    /** Why cuBLAS is not used: not found, or the error it failed to start with. */
    public String noCublasReason() {
        return cublasFailure != null ? cublasFailure : "no libcublas.so.* loads (-Ddropit.cuda.cublas=<path> names one)";
    }

    /** Chooses cuBLAS (when loaded) or the hand-written GEMM for later matmuls (benchmarks compare the two). */
    public void useCublas(boolean on) {
        if (on && cublas.isEmpty()) throw new IllegalStateException("cuda: cuBLAS is not available: " + noCublasReason());
        useCublas = on;
    }

    /** Bytes the allocator holds from the driver (buckets in use plus cached ones). */
    public long deviceBytes() { return allocator.deviceBytes(); }

    /** Bytes of idle cached blocks. */
    public long cachedBytes() { return allocator.cachedBytes(); }

    /** Number of cuMemAlloc calls so far (the rest were served from the cache). */
    public long createdBuffers() { return allocator.createdBlocks(); }

    /** Gives every cached block back to the driver. */
    public void emptyCache() { allocator.releaseCache(); }

    @Override
    protected Storage newStorage(DType dtype, long length) {
        return DeviceStorage.allocate(this, allocator, dtype, length);
    }

    @Override
    protected void zeroFill(Storage s, long bytes) {
        makeCurrent();
        drv.call(drv.memsetD32Async, "cuMemsetD32Async", ptr(s), 0, bytes / 4, stream);
    }

    @Override
    public synchronized void synchronize() {
        makeCurrent();
        drv.call(drv.streamSynchronize, "cuStreamSynchronize", stream);
    }

    /** Milliseconds {@code work} takes on the device, between two events recorded on the stream around it. */
    public synchronized float time(Runnable work) {
        makeCurrent();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            drv.call(drv.eventCreate, "cuEventCreate", p, 0);
            MemorySegment start = p.get(ADDRESS, 0);
            drv.call(drv.eventCreate, "cuEventCreate", p, 0);
            MemorySegment end = p.get(ADDRESS, 0);
            try {
                drv.call(drv.eventRecord, "cuEventRecord", start, stream);
                work.run();
                makeCurrent();
                drv.call(drv.eventRecord, "cuEventRecord", end, stream);
                drv.call(drv.eventSynchronize, "cuEventSynchronize", end);
                MemorySegment ms = a.allocate(JAVA_FLOAT);
                drv.call(drv.eventElapsedTime, "cuEventElapsedTime", ms, start, end);
                return ms.get(JAVA_FLOAT, 0);
            } finally {
                drv.call(drv.eventDestroy, "cuEventDestroy", start);
                drv.call(drv.eventDestroy, "cuEventDestroy", end);
            }
        }
    }

    /** The device pointer of a storage of this backend. */
    static long ptr(Storage s) {
        if (!(s.backend() instanceof CudaBackend) || !(s instanceof DeviceStorage<?> d))
            throw new IllegalArgumentException("cuda backend: got a storage of backend " + s.backend().name());
        return (Long) d.handle();
    }

    @Override
    protected void copyToDevice(Storage dst, long byteOffset, MemorySegment host, long bytes) {
        makeCurrent();
        drv.call(drv.memcpyHtoDAsync, "cuMemcpyHtoDAsync", ptr(dst) + byteOffset, host, bytes, stream);
        // the staging segment dies with the caller's arena: wait for the copy to have read it
        drv.call(drv.streamSynchronize, "cuStreamSynchronize", stream);
    }

    @Override
    protected void copyToHost(Storage src, long byteOffset, MemorySegment host, long bytes) {
        makeCurrent();
        drv.call(drv.memcpyDtoHAsync, "cuMemcpyDtoHAsync", host, ptr(src) + byteOffset, bytes, stream);
        drv.call(drv.streamSynchronize, "cuStreamSynchronize", stream);
    }

    // ------------------------------------------------------------------ launching

    @Override
    protected Object buf(Storage s) {
        return new Ptr(ptr(s));
    }

    /** OpenCL-style global and local sizes (global a multiple of local) → CUDA grid and block. */
    @Override
    protected synchronized void launch(String name, long[] global, long[] local, Object... args) {
        long[] grid = {1, 1, 1}, block = {1, 1, 1};
        for (int i = 0; i < global.length; i++) {
            block[i] = local == null ? (i == 0 ? BLOCK : 1) : local[i];
            grid[i] = KernelArgs.blocks(global[i], block[i]);
        }
        if (grid[0] > Integer.MAX_VALUE || grid[1] > 65535 || grid[2] > 65535)
            throw new IllegalArgumentException("cuda: launch of " + name + " too large: grid " + Arrays.toString(grid));
        makeCurrent();
        MemorySegment f = function(name);
        try (Arena a = Arena.ofConfined()) {
            drv.call(drv.launchKernel, "cuLaunchKernel(" + name + ")", f, (int) grid[0], (int) grid[1], (int) grid[2],
                    (int) block[0], (int) block[1], (int) block[2], 0, stream, KernelArgs.pack(a, args), MemorySegment.NULL);
        }
    }

    /**
     * out = beta·out + a·b through cublasSgemmStridedBatched when every operand's last two dimensions are row-major
     * or transposed with a leading dimension cuBLAS accepts and each operand's batch dimensions flatten to one stride;
     * false (nothing done) otherwise. Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, so B goes first.
     */
    @Override
    protected boolean vendorMatmul(Tensor a, Tensor b, Tensor out, float beta, int m, int n, int k, int[] batch, long nb) {
        if (!useCublas) return false;
        int r = out.rank();
        long[] as = a.strides(), bs = b.strides(), cs = out.strides();
        if (nb > Integer.MAX_VALUE) return false;
        Gemm.Operand ga = Gemm.operand(as[r - 2], as[r - 1], m, k), gb = Gemm.operand(bs[r - 2], bs[r - 1], k, n);
        if (ga == null || gb == null || cs[r - 1] != 1 && n > 1 || cs[r - 2] < Math.max(1, n) && m > 1) return false;
        long ldc = m > 1 ? cs[r - 2] : Math.max(1, n);
        long sa = Gemm.batchStride(batch, Arrays.copyOf(as, r - 2)), sb = Gemm.batchStride(batch, Arrays.copyOf(bs, r - 2)),
                sc = Gemm.batchStride(batch, Arrays.copyOf(cs, r - 2));
        if (sa < 0 || sb < 0 || sc < 0 || ldc > Integer.MAX_VALUE) return false;
        Cuda.Cublas cb = cublas.orElseThrow();
        long pa = ptr(a.storage()) + 4 * a.offset(), pb = ptr(b.storage()) + 4 * b.offset(), pc = ptr(out.storage()) + 4 * out.offset();
        synchronized (this) {
            makeCurrent();
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment alpha = ar.allocate(JAVA_FLOAT), bet = ar.allocate(JAVA_FLOAT);
                alpha.set(JAVA_FLOAT, 0, 1f);
                bet.set(JAVA_FLOAT, 0, beta);
                Cuda.Cublas.check(Cuda.invokeInt(cb.sgemmStridedBatched, "cublasSgemmStridedBatched", cublasHandle,
                        gb.op(), ga.op(), n, m, k, alpha, pb, (int) gb.ld(), sb, pa, (int) ga.ld(), sa, bet, pc, (int) ldc, sc, (int) nb),
                        "cublasSgemmStridedBatched");
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "cuda backend on " + description + " [" + kernelOrigin + (useCublas ? ", cuBLAS" : ", hand-written GEMM")
                + (cublasFailure == null ? "" : " (" + cublasFailure + ")") + "]";
    }
}
