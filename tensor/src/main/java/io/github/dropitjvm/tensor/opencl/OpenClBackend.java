package io.github.dropitjvm.tensor.opencl;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.MemoryTracker;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.device.CachingAllocator;
import io.github.dropitjvm.tensor.device.DeviceBackend;
import io.github.dropitjvm.tensor.device.DeviceStorage;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The OpenCL backend: device buffers from a caching allocator, kernels from {@code kernels/*.cl} (one dialect with
 * the CUDA backend, see {@code prelude.h}) compiled once per backend at creation, launched in order on one command
 * queue, all through hand-written FFM downcalls ({@link Cl}). Host↔device copies happen only in {@link #read} and
 * {@link #write}; a kernel that must report something (a NaN count, a kept count, an index out of range) reads a few
 * bytes back, which synchronizes.
 *
 * <p>Choosing a device: {@link #create(int, int)}, or the shared instance {@link #instance()} of the platform and
 * device named by the system properties {@code dropit.opencl.platform} and {@code dropit.opencl.device} (indices,
 * default 0 and 0). The kernels need double precision ({@code cl_khr_fp64}) for their accumulators; a device
 * without it is refused with a clear error. {@code dropit.opencl.cacheBytes} bounds the allocator's cache (default
 * 512 MiB); above {@code dropit.opencl.collectBytes} device bytes (default 1 GiB) an allocation the cache cannot
 * serve first runs the garbage collector, which frees the buffers of tensors nobody references any more.
 */
public final class OpenClBackend extends DeviceBackend {
    private static final String[] SOURCES = {"prelude.h", "elementwise.cl", "reduce.cl", "conv.cl", "dropit.cl"};

    private static volatile OpenClBackend shared;

    private final MemoryTracker memory = new MemoryTracker("opencl");
    private final MemorySegment device, context, queue, program;
    private final String description;
    private final long maxElements;
    private final CachingAllocator<MemorySegment> allocator;
    private final Map<String, MemorySegment> kernels = new HashMap<>();

    // ------------------------------------------------------------------ discovery and creation

    /** Whether libOpenCL.so.1 loads and at least one platform has a device. Never throws. */
    public static boolean isAvailable() {
        try {
            for (MemorySegment p : Cl.platforms()) if (!Cl.devices(p).isEmpty()) return true;
            return false;
        } catch (Throwable t) {
            return false;
        }
    }

    /** One line per platform and device ("platform i: name / device j: name (version)"); explains absence too. */
    public static List<String> describeDevices() {
        List<String> out = new ArrayList<>();
        List<MemorySegment> ps = Cl.platforms();
        for (int i = 0; i < ps.size(); i++) {
            List<MemorySegment> ds = Cl.devices(ps.get(i));
            for (int j = 0; j < ds.size(); j++)
                out.add("platform " + i + " (" + Cl.platformString(ps.get(i), Cl.CL_PLATFORM_NAME) + ") device " + j + ": "
                        + Cl.deviceString(ds.get(j), Cl.CL_DEVICE_NAME) + " (" + Cl.deviceString(ds.get(j), Cl.CL_DEVICE_VERSION) + ")");
        }
        return out;
    }

    /** The process-wide instance on the device chosen by dropit.opencl.platform / dropit.opencl.device. */
    public static OpenClBackend instance() {
        OpenClBackend b = shared;
        if (b != null) return b;
        synchronized (OpenClBackend.class) {
            if (shared == null)
                shared = create(Integer.getInteger("dropit.opencl.platform", 0), Integer.getInteger("dropit.opencl.device", 0));
            return shared;
        }
    }

    /** A new backend (own context, queue, program and allocator) on that platform's device. */
    public static OpenClBackend create(int platformIndex, int deviceIndex) {
        return create(platformIndex, deviceIndex, source());
    }

    /** As {@link #create(int, int)} with other kernel source (tests: a build failure must carry the build log). */
    static OpenClBackend create(int platformIndex, int deviceIndex, String source) {
        List<MemorySegment> ps = Cl.platforms();
        if (ps.isEmpty())
            throw new IllegalStateException("opencl: libOpenCL.so.1 loaded but found no OpenCL platform (no driver installed; "
                    + "for a CPU driver: apt-get install pocl-opencl-icd)");
        if (platformIndex < 0 || platformIndex >= ps.size())
            throw new IllegalArgumentException("opencl: platform " + platformIndex + " does not exist; " + ps.size() + " platform(s): " + describeDevices());
        List<MemorySegment> ds = Cl.devices(ps.get(platformIndex));
        if (ds.isEmpty())
            throw new IllegalStateException("opencl: platform " + platformIndex + " (" + Cl.platformString(ps.get(platformIndex), Cl.CL_PLATFORM_NAME) + ") has no device");
        if (deviceIndex < 0 || deviceIndex >= ds.size())
            throw new IllegalArgumentException("opencl: device " + deviceIndex + " does not exist on platform " + platformIndex + "; devices: " + describeDevices());
        return new OpenClBackend(ps.get(platformIndex), ds.get(deviceIndex), source);
    }

    private OpenClBackend(MemorySegment platform, MemorySegment device, String source) {
        super("opencl");
        this.device = device;
        Cl.Lib l = Cl.lib();
        this.description = Cl.platformString(platform, Cl.CL_PLATFORM_NAME) + " / " + Cl.deviceString(device, Cl.CL_DEVICE_NAME)
                + " (" + Cl.deviceString(device, Cl.CL_DEVICE_VERSION) + ")";
        String ext = Cl.deviceString(device, Cl.CL_DEVICE_EXTENSIONS);
        if (!ext.contains("cl_khr_fp64"))
            throw new IllegalStateException("opencl: device " + description + " lacks cl_khr_fp64 (double precision), which the kernels' accumulators need");
        long maxAlloc = Cl.deviceLong(device, Cl.CL_DEVICE_MAX_MEM_ALLOC_SIZE);
        this.maxElements = Math.min(maxAlloc / 8, Integer.MAX_VALUE - 8);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            this.context = Cl.handle(a, l.createContext, "clCreateContext", MemorySegment.NULL, 1, devs, MemorySegment.NULL, MemorySegment.NULL);
            this.queue = Cl.handle(a, l.createCommandQueue, "clCreateCommandQueue", context, device, 0L);
            this.program = build(a, l, source);
        }
        this.allocator = new CachingAllocator<>(new CachingAllocator.Device<MemorySegment>() {
            @Override public MemorySegment alloc(long bytes) {
                try (Arena a = Arena.ofConfined()) {
                    return Cl.handle(a, Cl.lib().createBuffer, "clCreateBuffer(" + bytes + " bytes)", context, Cl.CL_MEM_READ_WRITE, bytes, MemorySegment.NULL);
                }
            }

            @Override public void free(MemorySegment buffer) {
                Cl.call(Cl.lib().releaseMemObject, "clReleaseMemObject", buffer);
            }
        }, Long.getLong("dropit.opencl.cacheBytes", 512L << 20), Long.getLong("dropit.opencl.collectBytes", 1L << 30));
    }

    static String source() {
        StringBuilder sb = new StringBuilder();
        for (String f : SOURCES) {
            try (InputStream in = OpenClBackend.class.getResourceAsStream("/io/github/dropitjvm/tensor/kernels/" + f)) {
                if (in == null) throw new IllegalStateException("opencl: kernel source " + f + " missing from the class path");
                sb.append("/* ---- ").append(f).append(" ---- */\n").append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
            } catch (IOException e) {
                throw new IllegalStateException("opencl: cannot read kernel source " + f, e);
            }
        }
        return sb.toString();
    }

    private MemorySegment build(Arena a, Cl.Lib l, String src) {
        MemorySegment str = a.allocateFrom(src);
        MemorySegment strs = a.allocate(ADDRESS);
        strs.set(ADDRESS, 0, str);
        MemorySegment prog = Cl.handle(a, l.createProgramWithSource, "clCreateProgramWithSource", context, 1, strs, MemorySegment.NULL);
        MemorySegment devs = a.allocate(ADDRESS);
        devs.set(ADDRESS, 0, device);
        int st = Cl.invokeInt(l.buildProgram, "clBuildProgram", prog, 1, devs,
                a.allocateFrom("-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt"), MemorySegment.NULL, MemorySegment.NULL);
        if (st != Cl.CL_SUCCESS) {
            MemorySegment size = a.allocate(JAVA_LONG);
            Cl.invokeInt(l.getProgramBuildInfo, "clGetProgramBuildInfo", prog, device, Cl.CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size);
            MemorySegment log = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            Cl.invokeInt(l.getProgramBuildInfo, "clGetProgramBuildInfo", prog, device, Cl.CL_PROGRAM_BUILD_LOG, log.byteSize(), log, MemorySegment.NULL);
            throw new IllegalStateException("opencl: building the kernels failed with " + Cl.errorName(st) + " (" + st + ") on " + description
                    + "; build log:\n" + Cl.cString(log));
        }
        return prog;
    }

    private MemorySegment kernel(String name) {
        MemorySegment k = kernels.get(name);
        if (k == null) {
            try (Arena a = Arena.ofConfined()) {
                k = Cl.handle(a, Cl.lib().createKernel, "clCreateKernel(" + name + ")", program, a.allocateFrom(name));
            }
            kernels.put(name, k);
        }
        return k;
    }

    // ------------------------------------------------------------------ the driver under DeviceBackend

    @Override public MemoryTracker memory() { return memory; }
    @Override public long maxElements() { return maxElements; }

    /** Platform, device and OpenCL version. */
    @Override public String description() { return description; }

    /** Bytes the allocator holds from the driver (buckets in use plus cached ones). */
    public long deviceBytes() { return allocator.deviceBytes(); }

    /** Bytes of idle cached buffers. */
    public long cachedBytes() { return allocator.cachedBytes(); }

    /** Number of buffers created from the driver so far (the rest were served from the cache). */
    public long createdBuffers() { return allocator.createdBlocks(); }

    /** Gives every cached buffer back to the driver. */
    public void emptyCache() { allocator.releaseCache(); }

    @Override
    protected Storage newStorage(DType dtype, long length) {
        return DeviceStorage.allocate(this, allocator, dtype, length);
    }

    @Override
    protected void zeroFill(Storage s, long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment zero = a.allocate(JAVA_INT);
            Cl.call(Cl.lib().enqueueFillBuffer, "clEnqueueFillBuffer", queue, mem(s), zero, 4L, 0L, bytes, 0, MemorySegment.NULL, MemorySegment.NULL);
        }
    }

    @Override
    public synchronized void synchronize() {
        Cl.call(Cl.lib().finish, "clFinish", queue);
    }

    /** The cl_mem of a storage of this backend. */
    static MemorySegment mem(Storage s) {
        if (!(s.backend() instanceof OpenClBackend) || !(s instanceof DeviceStorage<?> d))
            throw new IllegalArgumentException("opencl backend: got a storage of backend " + s.backend().name());
        return (MemorySegment) d.handle();
    }

    @Override
    protected void copyToDevice(Storage dst, long byteOffset, MemorySegment host, long bytes) {
        Cl.call(Cl.lib().enqueueWriteBuffer, "clEnqueueWriteBuffer", queue, mem(dst), 1, byteOffset, bytes, host, 0, MemorySegment.NULL, MemorySegment.NULL);
    }

    @Override
    protected void copyToHost(Storage src, long byteOffset, MemorySegment host, long bytes) {
        Cl.call(Cl.lib().enqueueReadBuffer, "clEnqueueReadBuffer", queue, mem(src), 1, byteOffset, bytes, host, 0, MemorySegment.NULL, MemorySegment.NULL);
    }

    /** A buffer argument. */
    private record Buf(MemorySegment mem) {}

    @Override
    protected Object buf(Storage s) {
        return new Buf(mem(s));
    }

    @Override
    protected synchronized void launch(String name, long[] global, long[] local, Object... args) {
        MemorySegment k = kernel(name);
        Cl.Lib l = Cl.lib();
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < args.length; i++) {
                MemorySegment seg = packValue(a, args[i]);
                if (seg == null) {
                    if (!(args[i] instanceof Buf b)) throw unsupportedArgument(args[i]);
                    seg = a.allocate(ADDRESS);
                    seg.set(ADDRESS, 0, b.mem());
                }
                Cl.call(l.setKernelArg, "clSetKernelArg(" + name + ", " + i + ")", k, i, seg.byteSize(), seg);
            }
            MemorySegment g = a.allocate(JAVA_LONG, global.length);
            for (int i = 0; i < global.length; i++) g.setAtIndex(JAVA_LONG, i, global[i]);
            MemorySegment lo = MemorySegment.NULL;
            if (local != null) {
                lo = a.allocate(JAVA_LONG, local.length);
                for (int i = 0; i < local.length; i++) lo.setAtIndex(JAVA_LONG, i, local[i]);
            }
            Cl.call(l.enqueueNDRangeKernel, "clEnqueueNDRangeKernel(" + name + ")", queue, k, global.length, MemorySegment.NULL, g, lo,
                    0, MemorySegment.NULL, MemorySegment.NULL);
        }
    }

    @Override
    public String toString() {
        return "opencl backend on " + description;
    }
}
