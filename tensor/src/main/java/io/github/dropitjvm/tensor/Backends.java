package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.cpu.CpuBackend;
import io.github.dropitjvm.tensor.cuda.CudaBackend;
import io.github.dropitjvm.tensor.opencl.OpenClBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds backends by name. The CPU backend always exists; the OpenCL backend is listed when libOpenCL.so.1 loads and
 * a platform has a device (its device is chosen by the system properties dropit.opencl.platform / dropit.opencl.device,
 * see {@link OpenClBackend}); the CUDA backend when libcuda.so.1 loads and reports a device (dropit.cuda.device, see
 * {@link CudaBackend}).
 *
 * <p>The default backend — where Tensor's creation functions without a backend argument (zeros, full, ones, scalar,
 * arange, fromArray, rand, randn) allocate — is the one named by the system property {@code dropit.backend}
 * (default "cpu"), unless {@link #setDefault} chose one.
 */
public final class Backends {
    private Backends() {}

    private static volatile Backend chosenDefault;
    private static volatile Boolean openClPresent;
    private static volatile Boolean cudaPresent;
    /** Set once {@link JvmRequirements#requireVectorModule} passed, so {@link #cpu} checks once per process. */
    private static volatile boolean vectorModuleChecked;

    /**
     * The CPU backend (Java heap storage).
     *
     * @throws IllegalStateException when the JVM was started without {@code --add-modules jdk.incubator.vector},
     *                               with {@link JvmRequirements}' one-line message that says how to start it
     */
    public static Backend cpu() {
        if (!vectorModuleChecked) {
            // The CPU kernels are Vector API code: without the module a program (not only the dropit CLI, which
            // checks at start) would die at its first kernel with a bare NoClassDefFoundError for
            // jdk/incubator/vector/Vector. Every default-backend tensor comes through here, so check before the
            // backend is first handed out, and before CpuBackend's class is initialized (it checks too, for code
            // that takes CpuBackend.INSTANCE directly, but there the message arrives wrapped in an
            // ExceptionInInitializerError).
            JvmRequirements.requireVectorModule();
            vectorModuleChecked = true;
        }
        return CpuBackend.INSTANCE;
    }

    /** The shared OpenCL backend, or a clear error saying why there is none (never a CPU fallback). */
    public static Backend opencl() {
        try {
            return OpenClBackend.instance();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalArgumentException("backend 'opencl' is not available on this machine: " + e.getMessage(), e);
        }
    }

    /**
     * The shared CUDA backend (device from -Ddropit.cuda.device), or a clear error saying why there is none (no
     * driver, no device, a bad index; never a CPU fallback).
     */
    public static Backend cuda() {
        try {
            return CudaBackend.instance();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalArgumentException("backend 'cuda' is not available on this machine: " + e.getMessage(), e);
        }
    }

    /** Names of the backends usable on this machine. */
    public static List<String> available() {
        List<String> names = new ArrayList<>();
        names.add("cpu");
        Boolean cl = openClPresent;
        if (cl == null) openClPresent = cl = OpenClBackend.isAvailable();
        if (cl) names.add("opencl");
        Boolean cu = cudaPresent;
        if (cu == null) cudaPresent = cu = CudaBackend.isAvailable();
        if (cu) names.add("cuda");
        return names;
    }

    /** The backend of that name, or a clear error saying which exist; never a silent fallback. */
    public static Backend byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "cpu" -> cpu();
            case "opencl" -> opencl();
            case "cuda" -> cuda();
            default -> throw new IllegalArgumentException("backend '" + name + "' is not available on this machine; available: " + available());
        };
    }

    /** Where creation functions without a backend argument allocate: {@link #setDefault}, else -Ddropit.backend, else cpu. */
    public static Backend defaultBackend() {
        Backend b = chosenDefault;
        if (b != null) return b;
        String name = System.getProperty("dropit.backend");
        return name == null || name.isBlank() ? cpu() : byName(name.trim());
    }

    /** Makes {@code backend} the default for the whole process (null: back to the dropit.backend property). */
    public static void setDefault(Backend backend) {
        chosenDefault = backend;
    }
}
