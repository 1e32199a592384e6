package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.BinaryOp;
import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.MemoryTracker;
import io.github.dropitjvm.tensor.ReduceOp;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.UnaryOp;
import io.github.dropitjvm.tensor.cuda.KernelArgs.Ptr;
import io.github.dropitjvm.tensor.cuda.KernelArgs.View;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA backend: the driver API of {@code libcuda.so.1} through hand-written FFM downcalls ({@link Cuda}), the
 * device's primary context, one stream on which every kernel and copy is queued in order, device memory from a
 * caching allocator ({@link CudaAllocator}), and the kernels of the OpenCL backend's dialect ({@code kernels/*.cl},
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
public final class CudaBackend implements Backend {
    private static final int TS = 16, BLOCK = 64;
    private static volatile CudaBackend shared;

    private final MemoryTracker memory = new MemoryTracker("cuda");
    private final Cuda.Driver drv;
    private final int ordinal;
    private final MemorySegment context, module, stream;
    private final String description, kernelOrigin;
    private final int major, minor;
    private final long maxElements, totalMemory;
    private final CudaAllocator allocator;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    private final Optional<Cuda.Cublas> cublas;
    private final MemorySegment cublasHandle;
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
        allocator = new CudaAllocator(new CudaAllocator.Device() {
            @Override public long alloc(long bytes) {
                makeCurrent();
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment p = a.allocate(JAVA_LONG);
                    drv.call(drv.memAlloc, "cuMemAlloc(" + bytes + " bytes)", p, bytes);
                    return p.get(JAVA_LONG, 0);
                }
            }

            @Override public void free(long ptr) {
                makeCurrent();
                drv.call(drv.memFree, "cuMemFree", ptr);
            }
        }, Long.getLong("dropit.cuda.cacheBytes", 1L << 30), Long.getLong("dropit.cuda.collectBytes", 2L << 30));
        cublas = Cuda.Cublas.load();
        MemorySegment handle = MemorySegment.NULL;
        if (cublas.isPresent()) {
            Cuda.Cublas cb = cublas.get();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ADDRESS);
                Cuda.Cublas.check(Cuda.invokeInt(cb.create, "cublasCreate", p), "cublasCreate");
                handle = p.get(ADDRESS, 0);
                Cuda.Cublas.check(Cuda.invokeInt(cb.setStream, "cublasSetStream", handle, stream), "cublasSetStream");
                // CUBLAS_DEFAULT_MATH: full FP32, no TF32 tensor-core rounding, so results match the other backends.
                Cuda.Cublas.check(Cuda.invokeInt(cb.setMathMode, "cublasSetMathMode", handle, Cuda.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            }
        }
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

    /** NVRTC for this device where available, else the shipped PTX; a JIT failure carries the driver's log. */
    private MemorySegment loadModule(Arena a, int driverVersion, String[] origin) {
        String ptx;
        Optional<Cuda.Nvrtc> nvrtc = Cuda.Nvrtc.load();
        if (nvrtc.isPresent()) {
            ptx = nvrtc.get().compile(CudaKernels.source(), "dropit.cu", major, minor);
            origin[0] = "NVRTC (compute_" + major + minor + ")";
        } else {
            int arch = CudaKernels.shippedArchFor(major, minor);
            ptx = CudaKernels.shippedPtx(arch);
            origin[0] = "shipped PTX sm_" + arch;
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

    // ------------------------------------------------------------------ Backend basics

    @Override public String name() { return "cuda"; }
    @Override public MemoryTracker memory() { return memory; }
    @Override public long maxElements() { return maxElements; }

    /** Device, compute capability, memory and driver version. */
    public String description() { return description; }

    /** Where the kernels came from: NVRTC or the shipped PTX. */
    public String kernelOrigin() { return kernelOrigin; }

    /** Whether GEMMs go to cuBLAS where the layouts allow (else the hand-written tiled kernel). */
    public boolean usesCublas() { return useCublas; }

    /** Whether libcublas loaded. */
    public boolean hasCublas() { return cublas.isPresent(); }

    /** Chooses cuBLAS (when loaded) or the hand-written GEMM for later matmuls (benchmarks compare the two). */
    public void useCublas(boolean on) {
        if (on && cublas.isEmpty()) throw new IllegalStateException("cuda: libcublas.so is not available");
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
    public Storage allocate(DType dtype, long length) {
        if (length > maxElements)
            throw new IllegalArgumentException("cuda: a storage of " + length + " " + dtype + " elements exceeds the limit of " + maxElements
                    + " elements on " + description);
        CudaStorage s = CudaStorage.allocate(this, allocator, dtype, length);
        long bytes = (dtype.bytesFor(length) + 3) & ~3L;
        if (bytes > 0) {
            synchronized (this) {
                makeCurrent();
                drv.call(drv.memsetD32Async, "cuMemsetD32Async", s.ptr(), 0, bytes / 4, stream);
            }
        }
        return s;
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

    static CudaStorage cu(Storage s) {
        if (!(s instanceof CudaStorage c))
            throw new IllegalArgumentException("cuda backend: got a storage of backend " + s.backend().name());
        return c;
    }

    private static long elementBytes(DType d) {
        return d == DType.BIT ? 4 : d.bits() / 8;
    }

    @Override
    public void write(Storage dst, long dstOffset, Object hostArray, int srcOffset, int count) {
        if (count == 0) return;
        long es = elementBytes(dst.dtype());
        long ptr = cu(dst).ptr();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(count * es, 8);
            MemorySegment.copy(heap(hostArray), srcOffset * es, host, 0, count * es);
            synchronized (this) {
                makeCurrent();
                drv.call(drv.memcpyHtoDAsync, "cuMemcpyHtoDAsync", ptr + dstOffset * es, host, count * es, stream);
                // the staging segment dies with the arena: wait for the copy to have read it
                drv.call(drv.streamSynchronize, "cuStreamSynchronize", stream);
            }
        }
    }

    @Override
    public void read(Storage src, long srcOffset, Object hostArray, int dstOffset, int count) {
        if (count == 0) return;
        long es = elementBytes(src.dtype());
        long ptr = cu(src).ptr();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(count * es, 8);
            synchronized (this) {
                makeCurrent();
                drv.call(drv.memcpyDtoHAsync, "cuMemcpyDtoHAsync", host, ptr + srcOffset * es, count * es, stream);
                drv.call(drv.streamSynchronize, "cuStreamSynchronize", stream);
            }
            MemorySegment.copy(host, 0, heap(hostArray), dstOffset * es, count * es);
        }
    }

    private static MemorySegment heap(Object array) {
        return switch (array) {
            case float[] f -> MemorySegment.ofArray(f);
            case int[] i -> MemorySegment.ofArray(i);
            case long[] l -> MemorySegment.ofArray(l);
            case short[] s -> MemorySegment.ofArray(s);
            default -> throw new IllegalArgumentException("cuda: unsupported host array " + array.getClass().getSimpleName());
        };
    }

    // ------------------------------------------------------------------ launching

    private static Ptr buf(Tensor t) {
        return new Ptr(cu(t.storage()).ptr());
    }

    private static Ptr buf(Storage s) {
        return new Ptr(cu(s).ptr());
    }

    /** Runs kernel {@code name} over {@code n} threads (1-D blocks of 64; kernels check their bound). */
    private void launch(String name, long n, Object... args) {
        if (n <= 0) return;
        launch(name, new long[]{(n + BLOCK - 1) / BLOCK * BLOCK}, new long[]{BLOCK}, args);
    }

    /** OpenCL-style global and local sizes (global a multiple of local) → CUDA grid and block. */
    private synchronized void launch(String name, long[] global, long[] local, Object... args) {
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

    private Tensor temp(DType d, long n) {
        return Tensor.zeros(this, d, (int) n);
    }

    private static void close(Tensor... ts) {
        for (Tensor t : ts) if (t != null) t.storage().close();
    }

    /** Closes c when it is a contiguous copy made here (not the caller's tensor). */
    private static void closeCopy(Tensor c, Tensor original) {
        if (c != null && c != original) c.storage().close();
    }

    private int[] readInts(Tensor t, int n) {
        int[] out = new int[n];
        read(t.storage(), t.offset(), out, 0, n);
        return out;
    }

    // ------------------------------------------------------------------ element movement and elementwise

    @Override
    public void fill(Tensor dst, double value) {
        launch("fill_k", dst.numel(), View.of(dst), buf(dst), dst.dtype().ordinal(), value, dst.numel());
    }

    @Override
    public void arange(Tensor dst, double start, double step) {
        launch("arange_k", dst.numel(), buf(dst), dst.dtype().ordinal(), dst.offset(), start, step, dst.numel());
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        launch("copy_k", dst.numel(), View.of(src), buf(src), src.dtype().ordinal(), View.of(dst), buf(dst), dst.dtype().ordinal(), dst.numel());
    }

    @Override
    public void random(Tensor dst, long seed, long stream, Distribution distribution) {
        launch("random_k", dst.numel(), buf(dst), dst.offset(), seed, stream, distribution == Distribution.NORMAL ? 1 : 0, dst.numel());
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out, double p0, double p1) {
        launch("unary_k", out.numel(), op.ordinal(), View.of(x), buf(x), View.of(out), buf(out), p0, p1, out.numel());
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        if (!op.isComparison()) {
            launch("binary_k", n, op.ordinal(), View.of(a), buf(a), View.of(b), buf(b), View.of(out), buf(out), n);
        } else if (out.isContiguous() && out.offset() == 0) {
            launch("compare_k", (n + 31) / 32, op.ordinal(), View.of(a), buf(a), View.of(b), buf(b), buf(out), n);
        } else {
            launch("compare_strided_k", n, op.ordinal(), View.of(a), buf(a), View.of(b), buf(b), View.of(out), buf(out), n);
        }
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        launch("where_k", out.numel(), View.of(cond), buf(cond), View.of(a), buf(a), View.of(b), buf(b), View.of(out), buf(out), out.numel());
    }

    // ------------------------------------------------------------------ reductions and norms

    @Override
    public void reduce(ReduceOp op, Tensor x, boolean[] reduced, Tensor out, double correction) {
        int[] xs = x.shape();
        int[] outer = xs.clone(), inner = xs.clone();
        long count = 1;
        int nReduced = 0;
        for (int i = 0; i < xs.length; i++) {
            if (reduced[i]) { outer[i] = 1; count *= xs[i]; nReduced++; }
            else inner[i] = 1;
        }
        if ((op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) && nReduced != 1)
            throw new IllegalArgumentException(op.name().toLowerCase() + ": exactly one dimension, got " + nReduced);
        long outN = out.numel();
        launch("reduce_k", outN, op.ordinal(), new View(outer, x.strides(), x.offset()), new View(inner, x.strides(), 0), buf(x), buf(out), buf(out),
                outN, count, correction);
    }

    @Override
    public void softmax(Tensor x, int dim, boolean log, Tensor out) {
        int len = x.size(dim);
        if (len == 0) return;
        int[] outer = x.shape();
        outer[dim] = 1;
        long rows = x.numel() / len;
        launch("softmax_k", rows, new View(outer, x.strides(), x.offset()), buf(x), new View(outer, out.strides(), out.offset()), buf(out),
                rows, (long) len, x.stride(dim), out.stride(dim), log ? 1 : 0);
    }

    @Override
    public void layerNorm(Tensor x, int normDims, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd) {
        int[] s = x.shape();
        long d = 1;
        for (int i = s.length - normDims; i < s.length; i++) d *= s[i];
        long groups = d == 0 ? 0 : x.numel() / d;
        if (groups == 0) return;
        Tensor xc = x.contiguous();
        Tensor wc = weight == null ? null : weight.contiguous(), bc = bias == null ? null : bias.contiguous();
        launch("layernorm_k", groups, buf(xc), xc.offset(), wc == null ? buf(xc) : buf(wc), wc == null ? 0L : wc.offset(), wc != null,
                bc == null ? buf(xc) : buf(bc), bc == null ? 0L : bc.offset(), bc != null, eps, buf(out), buf(mean), buf(rstd), groups, d);
        closeCopy(xc, x);
        closeCopy(wc, weight);
        closeCopy(bc, bias);
    }

    @Override
    public void batchNorm(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, boolean useRunning,
                          double eps, Tensor out, Tensor mean, Tensor rstd) {
        int n = x.size(0), c = x.size(1);
        if (c == 0) return;
        long spatial = n == 0 ? 0 : x.numel() / ((long) n * c);
        Tensor xc = x.contiguous();
        Ptr dummy = buf(xc);
        launch("batchnorm_k", c, buf(xc), xc.offset(), (long) n, (long) c, spatial,
                weight == null ? dummy : buf(weight), weight == null ? 0L : weight.offset(), weight == null ? 0L : weight.stride(0), weight != null,
                bias == null ? dummy : buf(bias), bias == null ? 0L : bias.offset(), bias == null ? 0L : bias.stride(0), bias != null,
                runningMean == null ? dummy : buf(runningMean), runningMean == null ? 0L : runningMean.offset(), runningMean == null ? 0L : runningMean.stride(0),
                runningVar == null ? dummy : buf(runningVar), runningVar == null ? 0L : runningVar.offset(), runningVar == null ? 0L : runningVar.stride(0),
                useRunning, eps, buf(out), mean == null ? dummy : buf(mean), rstd == null ? dummy : buf(rstd));
        closeCopy(xc, x);
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out, float beta) {
        int r = out.rank();
        int m = out.size(r - 2), n = out.size(r - 1), k = a.size(r - 1);
        int[] batch = Arrays.copyOf(out.shape(), r - 2);
        long nb = 1;
        for (int s : batch) nb *= s;
        if (m == 0 || n == 0 || nb == 0) return;
        long[] as = a.strides(), bs = b.strides(), cs = out.strides();
        if (useCublas && cublasGemm(a, b, out, beta, m, n, k, batch, nb)) return;
        launch("matmul_k", new long[]{(n + TS - 1) / TS * TS, (m + TS - 1) / TS * TS, nb}, new long[]{TS, TS, 1},
                new View(batch, Arrays.copyOf(as, r - 2), a.offset()), buf(a),
                new View(batch, Arrays.copyOf(bs, r - 2), b.offset()), buf(b),
                new View(batch, Arrays.copyOf(cs, r - 2), out.offset()), buf(out),
                m, n, k, as[r - 2], as[r - 1], bs[r - 2], bs[r - 1], cs[r - 2], cs[r - 1], beta);
    }

    // ------------------------------------------------------------------ convolution and pooling

    private static Object[] geometry(Conv2dGeometry g) {
        return new Object[]{g.n(), g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.outH(), g.outW()};
    }

    private static Object[] concat(Object[]... parts) {
        List<Object> all = new ArrayList<>();
        for (Object[] p : parts) all.addAll(Arrays.asList(p));
        return all.toArray();
    }

    private static Object[] hw(Conv2dGeometry g) {
        return new Object[]{g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.outH(), g.outW()};
    }

    @Override
    public void im2col(Tensor x, Conv2dGeometry g, Tensor cols) {
        Tensor xc = x.contiguous();
        long total = cols.numel();
        launch("im2col_k", total, concat(new Object[]{buf(xc), xc.offset(), buf(cols)}, geometry(g), new Object[]{total}));
        closeCopy(xc, x);
    }

    @Override
    public void col2im(Tensor cols, Conv2dGeometry g, Tensor x) {
        Tensor cc = cols.contiguous();
        long total = (long) g.n() * g.c() * g.h() * g.w();
        launch("col2im_k", total, concat(new Object[]{buf(cc), cc.offset(), buf(x), x.offset()}, geometry(g), new Object[]{total}));
        closeCopy(cc, cols);
    }

    @Override
    public void maxPool2d(Tensor x, Conv2dGeometry g, Tensor out, Tensor indices) {
        Tensor xc = x.contiguous();
        long total = out.numel();
        launch("maxpool_k", total, concat(new Object[]{buf(xc), xc.offset(), buf(out), buf(indices)}, hw(g), new Object[]{total}));
        closeCopy(xc, x);
    }

    @Override
    public void maxPool2dBackward(Tensor gradOut, Tensor indices, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous(), ic = indices.contiguous();
        long plane = (long) g.h() * g.w(), outPlane = (long) g.outH() * g.outW(), planes = (long) g.n() * g.c();
        Tensor flag = temp(DType.INT32, 4);
        launch("maxpool_bwd_k", planes, buf(gc), gc.offset(), buf(ic), ic.offset(), buf(gradIn), gradIn.offset(), plane, outPlane, planes, buf(flag));
        int[] f = readInts(flag, 2);
        close(flag);
        closeCopy(gc, gradOut);
        closeCopy(ic, indices);
        if (f[0] != 0)
            throw new IndexOutOfBoundsException("maxPool2dBackward: index " + f[1] + " outside the input plane of " + plane + " elements");
    }

    @Override
    public void avgPool2d(Tensor x, Conv2dGeometry g, Tensor out) {
        Tensor xc = x.contiguous();
        long total = out.numel();
        launch("avgpool_k", total, concat(new Object[]{buf(xc), xc.offset(), buf(out)}, hw(g), new Object[]{total}));
        closeCopy(xc, x);
    }

    @Override
    public void avgPool2dBackward(Tensor gradOut, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous();
        long total = (long) g.n() * g.c() * g.h() * g.w();
        launch("avgpool_bwd_k", total, concat(new Object[]{buf(gc), gc.offset(), buf(gradIn), gradIn.offset()}, hw(g), new Object[]{total}));
        closeCopy(gc, gradOut);
    }

    // ------------------------------------------------------------------ indexing

    private static long[] zeroAt(long[] strides, int dim) {
        long[] s = strides.clone();
        s[dim] = 0;
        return s;
    }

    /** Reads the flag buffer; throws the CPU backend's message when a kernel found an index out of range. */
    private void checkIndexFlag(Tensor flag, String op, int dim, int size, String data, Tensor x, Tensor index) {
        int[] f = readInts(flag, 3);
        close(flag);
        if (f[0] != 0) {
            long v = (f[1] & 0xFFFFFFFFL) | ((long) f[2] << 32);
            throw new IndexOutOfBoundsException(op + ": index " + v + " out of range for dimension " + dim + " of size " + size
                    + " (" + data + " " + Shape.str(x.shape()) + ", index " + Shape.str(index.shape()) + ")");
        }
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        long n = index.numel();
        if (n == 0) return;
        Tensor flag = temp(DType.INT32, 4);
        int[] is = index.shape();
        launch("gather_k", n, View.of(index), buf(index), index.dtype() == DType.INT64 ? 1 : 0,
                new View(is, zeroAt(x.strides(), dim), x.offset()), buf(x), new View(is, out.strides(), out.offset()), buf(out),
                (long) x.size(dim), x.stride(dim), n, buf(flag));
        checkIndexFlag(flag, "gather", dim, x.size(dim), "input", x, index);
    }

    @Override
    public void scatter(Tensor dst, int dim, Tensor index, Tensor src, boolean accumulate) {
        long n = index.numel();
        if (n == 0) return;
        Tensor flag = temp(DType.INT32, 4);
        int[] is = index.shape();
        launch("scatter_k", 1, View.of(index), buf(index), index.dtype() == DType.INT64 ? 1 : 0,
                new View(is, zeroAt(dst.strides(), dim), dst.offset()), buf(dst), new View(is, src.strides(), src.offset()), buf(src),
                (long) dst.size(dim), dst.stride(dim), n, accumulate ? 1 : 0, buf(flag));
        checkIndexFlag(flag, "scatter", dim, dst.size(dim), "destination", dst, index);
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        long n = out.numel();
        if (n == 0) return;
        Tensor flag = temp(DType.INT32, 4);
        int[] os = out.shape();
        long[] idxStrides = new long[out.rank()];
        idxStrides[dim] = index.stride(0);
        launch("gather_k", n, new View(os, idxStrides, index.offset()), buf(index), index.dtype() == DType.INT64 ? 1 : 0,
                new View(os, zeroAt(x.strides(), dim), x.offset()), buf(x), View.of(out), buf(out),
                (long) x.size(dim), x.stride(dim), n, buf(flag));
        checkIndexFlag(flag, "indexSelect", dim, x.size(dim), "input", x, index);
    }

    // ------------------------------------------------------------------ DropIT

    /** Exclusive prefix sum of nw per-word counts (INT32); the caller closes the result. */
    private Tensor scan(Tensor cnt, long nw) {
        long nc = (nw + 255) / 256;
        Tensor part = temp(DType.INT32, nc + 1), offs = temp(DType.INT32, nw);
        launch("scan_partial_k", nc, buf(cnt), nw, buf(part));
        launch("scan_parts_k", 1, buf(part), nc);
        launch("scan_final_k", nc, buf(cnt), nw, buf(part), buf(offs));
        close(part);
        return offs;
    }

    /** Offsets (exclusive prefix sum) of the set bits of each mask word among the first n bits. */
    private Tensor wordOffsets(Tensor mask, long n) {
        long nw = (n + 31) / 32;
        Tensor cnt = temp(DType.INT32, nw);
        launch("popcount_k", nw, buf(mask), n, buf(cnt));
        Tensor offs = scan(cnt, nw);
        close(cnt);
        return offs;
    }

    @Override
    public long selectTopAbs(Tensor x, long k, Tensor mask) {
        Tensor xc = x.contiguous();
        long n = xc.numel(), nw = (n + 31) / 32;
        Tensor hist = temp(DType.INT32, 2049), state = temp(DType.INT64, 8);
        try {
            launch("topabs_hist_k", n, 0, buf(xc), xc.offset(), n, buf(hist), buf(state));
            long nans = n == 0 ? 0 : readInts(hist.narrow(0, 2048, 1), 1)[0];
            if (nans > 0 || k == 0) return nans;
            if (k == n) {
                launch("set_all_k", nw, buf(mask), n);
                return 0;
            }
            launch("topabs_pick_k", 1, 0, k, buf(hist), buf(state));
            launch("topabs_hist_k", n, 1, buf(xc), xc.offset(), n, buf(hist), buf(state));
            launch("topabs_pick_k", 1, 1, k, buf(hist), buf(state));
            launch("topabs_hist_k", n, 2, buf(xc), xc.offset(), n, buf(hist), buf(state));
            launch("topabs_pick_k", 1, 2, k, buf(hist), buf(state));
            Tensor cnt = temp(DType.INT32, nw);
            launch("topabs_eqcount_k", nw, buf(xc), xc.offset(), n, buf(state), buf(cnt));
            Tensor offs = scan(cnt, nw);
            launch("topabs_mark_k", nw, buf(xc), xc.offset(), n, buf(state), buf(offs), buf(mask));
            close(cnt, offs);
            return 0;
        } finally {
            close(hist, state);
            closeCopy(xc, x);
        }
    }

    @Override
    public long randomKeepMask(long seed, int layer, int step, double gamma, Tensor mask) {
        long n = mask.numel();
        if (n == 0) return 0;
        Tensor counter = temp(DType.INT32, 1);
        launch("keep_mask_k", (n + 31) / 32, seed, layer, step, gamma, buf(mask), n, buf(counter));
        long kept = readInts(counter, 1)[0] & 0xFFFFFFFFL;
        close(counter);
        return kept;
    }

    @Override
    public long countMask(Tensor mask, long n) {
        if (n == 0) return 0;
        Tensor counter = temp(DType.INT32, 1);
        launch("count_k", (n + 31) / 32, buf(mask), n, buf(counter));
        long c = readInts(counter, 1)[0] & 0xFFFFFFFFL;
        close(counter);
        return c;
    }

    @Override
    public void compact(Tensor x, Tensor mask, Tensor values) {
        Tensor xc = x.contiguous();
        long n = xc.numel();
        if (n == 0 || values.numel() == 0) { closeCopy(xc, x); return; }
        Tensor offs = wordOffsets(mask, n);
        launch("compact_k", (n + 31) / 32, buf(xc), xc.offset(), buf(mask), n, buf(offs), buf(values), values.offset(),
                values.dtype() == DType.BF16 ? 1 : 0);
        close(offs);
        closeCopy(xc, x);
    }

    @Override
    public void maskToIndex(Tensor mask, Tensor index) {
        long n = mask.numel();
        if (n == 0 || index.numel() == 0) return;
        Tensor offs = wordOffsets(mask, n);
        launch("mask_to_index_k", (n + 31) / 32, buf(mask), n, buf(offs), buf(index), index.offset());
        close(offs);
    }

    @Override
    public void scatterMasked(Tensor values, Tensor mask, Tensor out) {
        long n = mask.numel();
        if (n == 0 || values.numel() == 0) return;
        Tensor offs = wordOffsets(mask, n);
        launch("scatter_masked_k", (n + 31) / 32, buf(values), values.offset(), values.dtype() == DType.BF16 ? 1 : 0, buf(mask), n,
                buf(offs), buf(out), out.offset());
        close(offs);
    }

    @Override
    public void scatterIndexed(Tensor values, Tensor index, Tensor out) {
        long k = index.numel(), n = out.numel();
        if (k == 0) return;
        Tensor flag = temp(DType.INT32, 4);
        launch("scatter_indexed_k", k, buf(values), values.offset(), values.dtype() == DType.BF16 ? 1 : 0, buf(index), index.offset(), k,
                buf(out), out.offset(), n, buf(flag));
        int[] f = readInts(flag, 2);
        close(flag);
        if (f[0] != 0)
            throw new IndexOutOfBoundsException("DropIT scatter: position " + f[1] + " outside the " + n + "-element output");
    }

    /**
     * Correct but not sparse on this backend yet: rebuilds x̂ on the device and runs one GEMM. The DropIT path
     * picks the sparse route only where it measured it cheaper, so this costs what the dense route costs.
     */
    @Override
    public void sparseWeightGrad(Tensor g, Tensor values, Tensor mask, Tensor dwT) {
        int rows = g.size(0), in = dwT.size(0);
        Tensor xhat = Tensor.zeros(this, DType.FLOAT32, rows, in);
        scatterMasked(values, mask, xhat);
        matmul(xhat.transpose(0, 1), g, dwT, 0f);
        xhat.storage().close();
    }

    /**
     * out = beta·out + a·b through cublasSgemmStridedBatched when every operand's last two dimensions are row-major
     * or transposed with a leading dimension cuBLAS accepts and each operand's batch dimensions flatten to one stride;
     * false (nothing done) otherwise. Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, so B goes first.
     */
    private boolean cublasGemm(Tensor a, Tensor b, Tensor out, float beta, int m, int n, int k, int[] batch, long nb) {
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
        long pa = cu(a.storage()).ptr() + 4 * a.offset(), pb = cu(b.storage()).ptr() + 4 * b.offset(), pc = cu(out.storage()).ptr() + 4 * out.offset();
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
        return "cuda backend on " + description + " [" + kernelOrigin + (useCublas ? ", cuBLAS" : ", hand-written GEMM") + "]";
    }
}
