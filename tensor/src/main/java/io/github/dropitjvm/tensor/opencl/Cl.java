package io.github.dropitjvm.tensor.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Hand-written downcall handles into the OpenCL ICD loader {@code libOpenCL.so.1} (OpenCL 1.2 entry points only),
 * through Java's Foreign Function &amp; Memory API: no JNI, no native build. Every call's status is checked and a
 * failure names the call and the OpenCL error.
 *
 * <p>Handles (platform, device, context, queue, program, kernel, buffer) are opaque pointers, kept as
 * {@link MemorySegment}s of size 0.
 */
final class Cl {
    private Cl() {}

    static final int CL_SUCCESS = 0;
    static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    static final int CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VERSION = 0x0901;
    static final int CL_DEVICE_NAME = 0x102B, CL_DEVICE_VERSION = 0x102F, CL_DEVICE_EXTENSIONS = 0x1030;
    static final int CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F, CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
    static final int CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    static final long CL_MEM_READ_WRITE = 1;

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile Lib lib;
    private static volatile Throwable loadFailure;

    /** The loaded library, or an exception saying why there is none. */
    static Lib lib() {
        Lib l = lib;
        if (l != null) return l;
        synchronized (Cl.class) {
            if (lib != null) return lib;
            if (loadFailure != null) throw new IllegalStateException("opencl: " + loadFailure.getMessage(), loadFailure);
            try {
                lib = new Lib(SymbolLookup.libraryLookup("libOpenCL.so.1", Arena.global()));
                return lib;
            } catch (Throwable t) {
                loadFailure = new IllegalStateException("cannot load libOpenCL.so.1 (install an OpenCL ICD loader and driver, "
                        + "e.g. apt-get install ocl-icd-libopencl1 pocl-opencl-icd): " + t.getMessage(), t);
                throw new IllegalStateException("opencl: " + loadFailure.getMessage(), loadFailure);
            }
        }
    }

    /** The entry points used. */
    static final class Lib {
        final MethodHandle getPlatformIDs, getPlatformInfo, getDeviceIDs, getDeviceInfo, createContext, createCommandQueue,
                createProgramWithSource, buildProgram, getProgramBuildInfo, createKernel, setKernelArg, enqueueNDRangeKernel,
                createBuffer, releaseMemObject, enqueueReadBuffer, enqueueWriteBuffer, enqueueFillBuffer, enqueueCopyBuffer,
                finish, releaseKernel, releaseProgram, releaseCommandQueue, releaseContext;

        Lib(SymbolLookup l) {
            getPlatformIDs = h(l, "clGetPlatformIDs", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
            getPlatformInfo = h(l, "clGetPlatformInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
            getDeviceIDs = h(l, "clGetDeviceIDs", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
            getDeviceInfo = h(l, "clGetDeviceInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
            createContext = h(l, "clCreateContext", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
            createCommandQueue = h(l, "clCreateCommandQueue", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
            createProgramWithSource = h(l, "clCreateProgramWithSource", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
            buildProgram = h(l, "clBuildProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
            getProgramBuildInfo = h(l, "clGetProgramBuildInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
            createKernel = h(l, "clCreateKernel", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
            setKernelArg = h(l, "clSetKernelArg", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);
            enqueueNDRangeKernel = h(l, "clEnqueueNDRangeKernel", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
            createBuffer = h(l, "clCreateBuffer", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
            releaseMemObject = h(l, "clReleaseMemObject", JAVA_INT, ADDRESS);
            enqueueReadBuffer = h(l, "clEnqueueReadBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
            enqueueWriteBuffer = h(l, "clEnqueueWriteBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
            enqueueFillBuffer = h(l, "clEnqueueFillBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
            enqueueCopyBuffer = h(l, "clEnqueueCopyBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
            finish = h(l, "clFinish", JAVA_INT, ADDRESS);
            releaseKernel = h(l, "clReleaseKernel", JAVA_INT, ADDRESS);
            releaseProgram = h(l, "clReleaseProgram", JAVA_INT, ADDRESS);
            releaseCommandQueue = h(l, "clReleaseCommandQueue", JAVA_INT, ADDRESS);
            releaseContext = h(l, "clReleaseContext", JAVA_INT, ADDRESS);
        }

        private static MethodHandle h(SymbolLookup l, String name, ValueLayout ret, ValueLayout... args) {
            MemorySegment sym = l.find(name).orElseThrow(() -> new IllegalStateException("libOpenCL.so.1 lacks " + name));
            return LINKER.downcallHandle(sym, FunctionDescriptor.of(ret, args));
        }
    }

    /** Throws when an OpenCL status is not CL_SUCCESS. */
    static void check(int status, String call) {
        if (status != CL_SUCCESS) throw new IllegalStateException("opencl: " + call + " failed with " + errorName(status) + " (" + status + ")");
    }

    static int invokeInt(MethodHandle h, String call, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("opencl: " + call + ": " + t, t);
        }
    }

    static void call(MethodHandle h, String call, Object... args) {
        check(invokeInt(h, call, args), call);
    }

    /** A call returning a handle with its status in the last (errcode_ret) argument. */
    static MemorySegment handle(Arena arena, MethodHandle h, String call, Object... argsWithoutErr) {
        MemorySegment err = arena.allocate(JAVA_INT);
        Object[] args = java.util.Arrays.copyOf(argsWithoutErr, argsWithoutErr.length + 1);
        args[args.length - 1] = err;
        MemorySegment r;
        try {
            r = (MemorySegment) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("opencl: " + call + ": " + t, t);
        }
        check(err.get(JAVA_INT, 0), call);
        return r;
    }

    /** Platform handles (empty when the ICD loader finds no platform). */
    static List<MemorySegment> platforms() {
        Lib l = lib();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = invokeInt(l.getPlatformIDs, "clGetPlatformIDs", 0, MemorySegment.NULL, n);
            if (st == -1001) return List.of(); // CL_PLATFORM_NOT_FOUND_KHR: loader present, no driver
            check(st, "clGetPlatformIDs");
            int count = n.get(JAVA_INT, 0);
            if (count == 0) return List.of();
            MemorySegment ids = a.allocate(ADDRESS, count);
            call(l.getPlatformIDs, "clGetPlatformIDs", count, ids, MemorySegment.NULL);
            List<MemorySegment> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add(ids.getAtIndex(ADDRESS, i));
            return out;
        }
    }

    /** Device handles of a platform (empty when it has none). */
    static List<MemorySegment> devices(MemorySegment platform) {
        Lib l = lib();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = invokeInt(l.getDeviceIDs, "clGetDeviceIDs", platform, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, n);
            if (st == -1) return List.of(); // CL_DEVICE_NOT_FOUND
            check(st, "clGetDeviceIDs");
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, Math.max(count, 1));
            call(l.getDeviceIDs, "clGetDeviceIDs", platform, CL_DEVICE_TYPE_ALL, count, ids, MemorySegment.NULL);
            List<MemorySegment> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add(ids.getAtIndex(ADDRESS, i));
            return out;
        }
    }

    static String platformString(MemorySegment platform, int param) {
        Lib l = lib();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            call(l.getPlatformInfo, "clGetPlatformInfo", platform, param, 0L, MemorySegment.NULL, size);
            MemorySegment buf = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            call(l.getPlatformInfo, "clGetPlatformInfo", platform, param, buf.byteSize(), buf, MemorySegment.NULL);
            return cString(buf);
        }
    }

    static String deviceString(MemorySegment device, int param) {
        Lib l = lib();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            call(l.getDeviceInfo, "clGetDeviceInfo", device, param, 0L, MemorySegment.NULL, size);
            MemorySegment buf = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            call(l.getDeviceInfo, "clGetDeviceInfo", device, param, buf.byteSize(), buf, MemorySegment.NULL);
            return cString(buf);
        }
    }

    static long deviceLong(MemorySegment device, int param) {
        Lib l = lib();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            call(l.getDeviceInfo, "clGetDeviceInfo", device, param, 8L, v, MemorySegment.NULL);
            return v.get(JAVA_LONG, 0);
        }
    }

    static String cString(MemorySegment buf) {
        byte[] b = buf.toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }

    static String errorName(int code) {
        return switch (code) {
            case -1 -> "CL_DEVICE_NOT_FOUND";
            case -2 -> "CL_DEVICE_NOT_AVAILABLE";
            case -3 -> "CL_COMPILER_NOT_AVAILABLE";
            case -4 -> "CL_MEM_OBJECT_ALLOCATION_FAILURE";
            case -5 -> "CL_OUT_OF_RESOURCES";
            case -6 -> "CL_OUT_OF_HOST_MEMORY";
            case -11 -> "CL_BUILD_PROGRAM_FAILURE";
            case -30 -> "CL_INVALID_VALUE";
            case -33 -> "CL_INVALID_DEVICE";
            case -34 -> "CL_INVALID_CONTEXT";
            case -36 -> "CL_INVALID_COMMAND_QUEUE";
            case -38 -> "CL_INVALID_MEM_OBJECT";
            case -44 -> "CL_INVALID_PROGRAM";
            case -45 -> "CL_INVALID_PROGRAM_EXECUTABLE";
            case -46 -> "CL_INVALID_KERNEL_NAME";
            case -48 -> "CL_INVALID_KERNEL";
            case -49 -> "CL_INVALID_ARG_INDEX";
            case -50 -> "CL_INVALID_ARG_VALUE";
            case -51 -> "CL_INVALID_ARG_SIZE";
            case -52 -> "CL_INVALID_KERNEL_ARGS";
            case -54 -> "CL_INVALID_WORK_GROUP_SIZE";
            case -55 -> "CL_INVALID_WORK_ITEM_SIZE";
            case -61 -> "CL_INVALID_BUFFER_SIZE";
            case -63 -> "CL_INVALID_GLOBAL_WORK_SIZE";
            case -1001 -> "CL_PLATFORM_NOT_FOUND_KHR";
            default -> "OpenCL error";
        };
    }
}
