package io.github.dropitjvm.tensor.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Hand-written downcall handles into the CUDA driver {@code libcuda.so.1}, and, where present, NVRTC
 * ({@code libnvrtc.so.*}) and cuBLAS ({@code libcublas.so.*}), through Java's Foreign Function &amp; Memory API: no JNI,
 * no CUDA runtime, no native build. Every call's status is checked and a failure names the call and the CUDA error
 * (cuGetErrorName). Handles (context, module, function, stream, event) are opaque pointers kept as
 * {@link MemorySegment}s; device pointers ({@code CUdeviceptr}) are {@code long}s.
 */
final class Cuda {
    private Cuda() {}

    static final String DRIVER_LIBRARY = "libcuda.so.1";
    static final int CUDA_SUCCESS = 0;
    static final int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    static final int CU_JIT_INFO_LOG_BUFFER = 3, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
    static final int CU_JIT_ERROR_LOG_BUFFER = 5, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    static final int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_DEFAULT_MATH = 0;

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile Driver driver;
    private static volatile Throwable loadFailure;

    /** The loaded driver, or an exception saying why there is none. */
    static Driver driver() {
        Driver d = driver;
        if (d != null) return d;
        synchronized (Cuda.class) {
            if (driver != null) return driver;
            if (loadFailure != null) throw new IllegalStateException(loadFailure.getMessage(), loadFailure);
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(DRIVER_LIBRARY, Arena.global());
            } catch (Throwable t) {
                loadFailure = new IllegalStateException(noDriverMessage(t.getMessage()), t);
                throw new IllegalStateException(loadFailure.getMessage(), loadFailure);
            }
            try {
                driver = new Driver(lookup);
                return driver;
            } catch (Throwable t) {
                loadFailure = new IllegalStateException("cuda: " + DRIVER_LIBRARY + " is not a usable CUDA driver: " + t.getMessage(), t);
                throw new IllegalStateException(loadFailure.getMessage(), loadFailure);
            }
        }
    }

    /** The error for a machine without the driver library (tests check its wording). */
    static String noDriverMessage(String detail) {
        return "cuda: " + DRIVER_LIBRARY + " not found: the CUDA backend needs an NVIDIA driver (an NVIDIA GPU with its "
                + "driver installed; the CUDA toolkit alone is not enough)" + (detail == null ? "" : " [" + detail + "]");
    }

    static MethodHandle h(SymbolLookup l, String lib, String name, ValueLayout ret, ValueLayout... args) {
        MemorySegment sym = l.find(name).orElseThrow(() -> new IllegalStateException(lib + " lacks " + name));
        return LINKER.downcallHandle(sym, ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args));
    }

    /** The first of the names the library exports (versioned entry points such as cuEventElapsedTime_v2). */
    static MethodHandle hAny(SymbolLookup l, String lib, List<String> names, ValueLayout ret, ValueLayout... args) {
        for (String n : names) if (l.find(n).isPresent()) return h(l, lib, n, ret, args);
        throw new IllegalStateException(lib + " lacks " + names);
    }

    /** The driver entry points used (the _v2 names are what cuda.h maps the plain names to). */
    static final class Driver {
        final MethodHandle init, driverGetVersion, deviceGetCount, deviceGet, deviceGetName, deviceGetAttribute, deviceTotalMem,
                primaryCtxRetain, primaryCtxRelease, ctxSetCurrent, ctxSynchronize, moduleLoadDataEx, moduleGetFunction, moduleUnload,
                launchKernel, streamCreate, streamSynchronize, streamDestroy, eventCreate, eventRecord, eventSynchronize,
                eventElapsedTime, eventDestroy, memAlloc, memFree, memcpyHtoDAsync, memcpyDtoHAsync, memcpyDtoDAsync,
                memsetD32Async, memGetInfo, getErrorName, getErrorString;

        Driver(SymbolLookup l) {
            String n = DRIVER_LIBRARY;
            init = h(l, n, "cuInit", JAVA_INT, JAVA_INT);
            driverGetVersion = h(l, n, "cuDriverGetVersion", JAVA_INT, ADDRESS);
            deviceGetCount = h(l, n, "cuDeviceGetCount", JAVA_INT, ADDRESS);
            deviceGet = h(l, n, "cuDeviceGet", JAVA_INT, ADDRESS, JAVA_INT);
            deviceGetName = h(l, n, "cuDeviceGetName", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
            deviceGetAttribute = h(l, n, "cuDeviceGetAttribute", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
            deviceTotalMem = h(l, n, "cuDeviceTotalMem_v2", JAVA_INT, ADDRESS, JAVA_INT);
            primaryCtxRetain = h(l, n, "cuDevicePrimaryCtxRetain", JAVA_INT, ADDRESS, JAVA_INT);
            primaryCtxRelease = h(l, n, "cuDevicePrimaryCtxRelease_v2", JAVA_INT, JAVA_INT);
            ctxSetCurrent = h(l, n, "cuCtxSetCurrent", JAVA_INT, ADDRESS);
            ctxSynchronize = h(l, n, "cuCtxSynchronize", JAVA_INT);
            moduleLoadDataEx = h(l, n, "cuModuleLoadDataEx", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
            moduleGetFunction = h(l, n, "cuModuleGetFunction", JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
            moduleUnload = h(l, n, "cuModuleUnload", JAVA_INT, ADDRESS);
            // cuLaunchKernel(f, gx, gy, gz, bx, by, bz, sharedMemBytes, stream, kernelParams, extra)
            launchKernel = h(l, n, "cuLaunchKernel", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
            streamCreate = h(l, n, "cuStreamCreate", JAVA_INT, ADDRESS, JAVA_INT);
            streamSynchronize = h(l, n, "cuStreamSynchronize", JAVA_INT, ADDRESS);
            streamDestroy = h(l, n, "cuStreamDestroy_v2", JAVA_INT, ADDRESS);
            eventCreate = h(l, n, "cuEventCreate", JAVA_INT, ADDRESS, JAVA_INT);
            eventRecord = h(l, n, "cuEventRecord", JAVA_INT, ADDRESS, ADDRESS);
            eventSynchronize = h(l, n, "cuEventSynchronize", JAVA_INT, ADDRESS);
            eventElapsedTime = hAny(l, n, List.of("cuEventElapsedTime_v2", "cuEventElapsedTime"), JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
            eventDestroy = h(l, n, "cuEventDestroy_v2", JAVA_INT, ADDRESS);
            memAlloc = h(l, n, "cuMemAlloc_v2", JAVA_INT, ADDRESS, JAVA_LONG);
            memFree = h(l, n, "cuMemFree_v2", JAVA_INT, JAVA_LONG);
            memcpyHtoDAsync = h(l, n, "cuMemcpyHtoDAsync_v2", JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
            memcpyDtoHAsync = h(l, n, "cuMemcpyDtoHAsync_v2", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
            memcpyDtoDAsync = h(l, n, "cuMemcpyDtoDAsync_v2", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
            memsetD32Async = h(l, n, "cuMemsetD32Async", JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
            memGetInfo = h(l, n, "cuMemGetInfo_v2", JAVA_INT, ADDRESS, ADDRESS);
            getErrorName = h(l, n, "cuGetErrorName", JAVA_INT, JAVA_INT, ADDRESS);
            getErrorString = h(l, n, "cuGetErrorString", JAVA_INT, JAVA_INT, ADDRESS);
        }

        /** Throws when a CUresult is not CUDA_SUCCESS, naming the call and the error. */
        void check(int status, String call) {
            if (status != CUDA_SUCCESS) throw new IllegalStateException("cuda: " + call + " failed with " + errorName(status));
        }

        String errorName(int status) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ADDRESS);
                String name = "CUDA error", text = "";
                if ((int) getErrorName.invokeExact(status, p) == 0 && !p.get(ADDRESS, 0).equals(MemorySegment.NULL))
                    name = p.get(ADDRESS, 0).reinterpret(256).getString(0);
                if ((int) getErrorString.invokeExact(status, p) == 0 && !p.get(ADDRESS, 0).equals(MemorySegment.NULL))
                    text = ": " + p.get(ADDRESS, 0).reinterpret(1024).getString(0);
                return name + " (" + status + ")" + text;
            } catch (Throwable t) {
                return "CUDA error " + status;
            }
        }

        void call(MethodHandle h, String call, Object... args) {
            check(invokeInt(h, call, args), call);
        }
    }

    static int invokeInt(MethodHandle h, String call, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuda: " + call + ": " + t, t);
        }
    }

    static String cString(MemorySegment buf) {
        byte[] b = buf.toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }

    /** The first library of these names that loads, if any (NVRTC and cuBLAS are optional). */
    static Optional<SymbolLookup> optionalLibrary(String property, List<String> names) {
        String forced = System.getProperty(property);
        List<String> tries = forced == null || forced.isBlank() ? names : List.of(forced.trim());
        if ("none".equals(forced)) return Optional.empty();
        for (String name : tries) {
            try {
                return Optional.of(SymbolLookup.libraryLookup(name, Arena.global()));
            } catch (Throwable ignored) {
                // try the next name
            }
        }
        return Optional.empty();
    }

    /** NVRTC, when some libnvrtc.so.* loads (-Ddropit.cuda.nvrtc=none disables it, =path picks one). */
    static final class Nvrtc {
        final MethodHandle create, compile, ptxSize, ptx, logSize, log, destroy, errorString;

        Nvrtc(SymbolLookup l) {
            String n = "libnvrtc";
            create = h(l, n, "nvrtcCreateProgram", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
            compile = h(l, n, "nvrtcCompileProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
            ptxSize = h(l, n, "nvrtcGetPTXSize", JAVA_INT, ADDRESS, ADDRESS);
            ptx = h(l, n, "nvrtcGetPTX", JAVA_INT, ADDRESS, ADDRESS);
            logSize = h(l, n, "nvrtcGetProgramLogSize", JAVA_INT, ADDRESS, ADDRESS);
            log = h(l, n, "nvrtcGetProgramLog", JAVA_INT, ADDRESS, ADDRESS);
            destroy = h(l, n, "nvrtcDestroyProgram", JAVA_INT, ADDRESS);
            errorString = h(l, n, "nvrtcGetErrorString", ADDRESS, JAVA_INT);
        }

        static Optional<Nvrtc> load() {
            try {
                return optionalLibrary("dropit.cuda.nvrtc", List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"))
                        .map(Nvrtc::new);
            } catch (Throwable t) {
                return Optional.empty();
            }
        }

        /** PTX of {@code source} for {@code compute_XY}; a failure carries NVRTC's log. */
        String compile(String source, String name, int major, int minor) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment progp = a.allocate(ADDRESS);
                check(invokeInt(create, "nvrtcCreateProgram", progp, a.allocateFrom(source), a.allocateFrom(name), 0,
                        MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram");
                MemorySegment prog = progp.get(ADDRESS, 0);
                try {
                    String[] opts = {"--gpu-architecture=compute_" + major + minor, "-default-device", "--std=c++17"};
                    MemorySegment optv = a.allocate(ADDRESS, opts.length);
                    for (int i = 0; i < opts.length; i++) optv.setAtIndex(ADDRESS, i, a.allocateFrom(opts[i]));
                    int st = invokeInt(compile, "nvrtcCompileProgram", prog, opts.length, optv);
                    if (st != 0) {
                        MemorySegment sz = a.allocate(JAVA_LONG);
                        invokeInt(logSize, "nvrtcGetProgramLogSize", prog, sz);
                        MemorySegment lg = a.allocate(Math.max(1, sz.get(JAVA_LONG, 0)));
                        invokeInt(log, "nvrtcGetProgramLog", prog, lg);
                        throw new IllegalStateException("cuda: NVRTC failed to compile the kernels (" + err(st) + "); log:\n" + cString(lg));
                    }
                    MemorySegment sz = a.allocate(JAVA_LONG);
                    check(invokeInt(ptxSize, "nvrtcGetPTXSize", prog, sz), "nvrtcGetPTXSize");
                    MemorySegment out = a.allocate(sz.get(JAVA_LONG, 0));
                    check(invokeInt(ptx, "nvrtcGetPTX", prog, out), "nvrtcGetPTX");
                    return cString(out);
                } finally {
                    invokeInt(destroy, "nvrtcDestroyProgram", progp);
                }
            }
        }

        private void check(int st, String call) {
            if (st != 0) throw new IllegalStateException("cuda: " + call + " failed: " + err(st));
        }

        private String err(int st) {
            try {
                return ((MemorySegment) errorString.invokeExact(st)).reinterpret(256).getString(0) + " (" + st + ")";
            } catch (Throwable t) {
                return "NVRTC error " + st;
            }
        }
    }

    /** cuBLAS, when some libcublas.so.* loads (-Ddropit.cuda.cublas=none disables it, =path picks one). */
    static final class Cublas {
        final MethodHandle create, destroy, setStream, setMathMode, sgemmStridedBatched;

        Cublas(SymbolLookup l) {
            String n = "libcublas";
            create = h(l, n, "cublasCreate_v2", JAVA_INT, ADDRESS);
            destroy = h(l, n, "cublasDestroy_v2", JAVA_INT, ADDRESS);
            setStream = h(l, n, "cublasSetStream_v2", JAVA_INT, ADDRESS, ADDRESS);
            setMathMode = h(l, n, "cublasSetMathMode", JAVA_INT, ADDRESS, JAVA_INT);
            // (handle, transa, transb, m, n, k, *alpha, A, lda, strideA, B, ldb, strideB, *beta, C, ldc, strideC, batch)
            sgemmStridedBatched = h(l, n, "cublasSgemmStridedBatched", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
        }

        static Optional<Cublas> load() {
            try {
                return optionalLibrary("dropit.cuda.cublas", List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"))
                        .map(Cublas::new);
            } catch (Throwable t) {
                return Optional.empty();
            }
        }

        static void check(int st, String call) {
            if (st != 0) throw new IllegalStateException("cuda: " + call + " failed with cuBLAS status " + st);
        }
    }

    /** Reads a float a native call wrote. */
    static float getFloat(MemorySegment s) {
        return s.get(JAVA_FLOAT, 0);
    }
}
