package io.github.dropitjvm.tensor.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CUDA flavour of the shared kernel dialect, without a GPU: every kernel file (with prelude.h) and the whole
 * source compile to sm_90 PTX with nvcc (mandatory wherever nvcc exists: /usr/local/cuda*&#47;bin/nvcc or nvcc on
 * PATH), the committed PTX was built from the current source and declares every kernel, and the PTX choice and
 * version rewriting behave.
 */
class CudaKernelsTest {
    /** nvcc's path, or null when no CUDA toolkit is installed. */
    static Path nvcc() {
        String path = System.getenv("PATH");
        if (path != null) for (String dir : path.split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "nvcc");
            if (Files.isExecutable(p)) return p;
        }
        List<Path> found = new ArrayList<>();
        try (var ds = Files.newDirectoryStream(Path.of("/usr/local"), "cuda*")) {
            for (Path d : ds) if (Files.isExecutable(d.resolve("bin/nvcc"))) found.add(d.resolve("bin/nvcc"));
        } catch (IOException ignored) {
            // no /usr/local
        }
        return found.stream().sorted().reduce((a, b) -> b).orElse(null);
    }

    static void compileWithNvcc(String what, String source) throws Exception {
        Path nvcc = nvcc();
        if (nvcc == null) {
            Assumptions.abort("CUDA toolkit (nvcc) not installed: the CUDA kernel compile check of " + what + " cannot run");
        }
        Path dir = Files.createTempDirectory("dropit-nvcc");
        try {
            Path cu = dir.resolve("k.cu");
            Files.writeString(cu, source, StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(nvcc.toString(), "-ptx", "-arch=sm_90", "-std=c++17", "-o", dir.resolve("k.ptx").toString(), cu.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "nvcc timed out on " + what);
            if (p.exitValue() != 0) fail("nvcc -ptx -arch=sm_90 failed on the CUDA flavour of " + what + " (exit " + p.exitValue() + "):\n" + out);
            String ptx = Files.readString(dir.resolve("k.ptx"));
            for (String k : CudaKernels.kernelNames(source))
                assertTrue(CudaKernels.entryNames(ptx).contains(k), what + ": kernel " + k + " missing from nvcc's PTX");
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"elementwise.cl", "reduce.cl", "conv.cl", "dropit.cl"})
    void everyKernelFileCompilesAsCudaForSm90(String file) throws Exception {
        // A file may use helpers of the files before it (dropit.cl uses conv.cl's report): compile the prefix of the
        // concatenation ending with this file, as both backends see it, and check this file's kernels came out.
        List<String> prefix = new ArrayList<>();
        for (String f : CudaKernels.SOURCES) {
            prefix.add(f);
            if (f.equals(file)) break;
        }
        assertFalse(CudaKernels.kernelNames(CudaKernels.resource(file)).isEmpty(), file + " declares no KERNEL");
        compileWithNvcc(file, CudaKernels.source(prefix.toArray(String[]::new)));
    }

    @Test
    void theWholeSourceCompilesAsCudaForSm90() throws Exception {
        compileWithNvcc("the whole kernel source", CudaKernels.source());
    }

    /**
     * NVRTC compiles without system headers, so the source must not lean on anything nvcc's host headers define
     * (INFINITY and NAN once did). Runs where libnvrtc loads: on the loader's path, or named by dropit.cuda.nvrtc
     * with libnvrtc-builtins beside it on LD_LIBRARY_PATH (.ci/run unpacks both where the machine holds the wheel,
     * and sets DROPIT_REQUIRE_NVRTC so that a library that then fails to load fails here instead of skipping).
     */
    @ParameterizedTest(name = "compute_{0}")
    @ValueSource(ints = {80, 90})
    void theWholeSourceCompilesWithNvrtc(int arch) {
        Cuda.Nvrtc nvrtc = Cuda.Nvrtc.load().orElse(null);
        if (nvrtc == null && System.getenv("DROPIT_REQUIRE_NVRTC") != null)
            fail("DROPIT_REQUIRE_NVRTC is set but no libnvrtc loads (LD_LIBRARY_PATH=" + System.getenv("LD_LIBRARY_PATH") + ")");
        Assumptions.assumeTrue(nvrtc != null, "CUDA's NVRTC (libnvrtc) not found: the NVRTC compile check cannot run");
        String source = CudaKernels.source();
        String ptx = nvrtc.compile(source, "dropit.cu", arch / 10, arch % 10);
        assertTrue(ptx.contains(".target sm_" + arch), ptx.substring(0, Math.min(400, ptx.length())));
        assertEquals(CudaKernels.kernelNames(source).stream().sorted().toList(), CudaKernels.entryNames(ptx).stream().sorted().toList());
    }

    @Test
    void theCommittedPtxWasBuiltFromTheCurrentSource() {
        assertEquals(CudaKernels.sha256(CudaKernels.source()), CudaKernels.shippedSourceHash(),
                "the kernel source changed since kernels/cuda/*.ptx was built: run scripts/cuda-ptx.sh and commit the PTX");
    }

    @Test
    void theShippedPtxDeclaresEveryKernelForItsTarget() {
        List<String> kernels = CudaKernels.kernelNames(CudaKernels.source());
        assertTrue(kernels.size() >= 30, kernels.toString());
        for (int arch : CudaKernels.SHIPPED_ARCHS) {
            String ptx = CudaKernels.shippedPtx(arch);
            assertTrue(ptx.contains(".target sm_" + arch), "sm_" + arch);
            assertEquals(kernels.stream().sorted().toList(), CudaKernels.entryNames(ptx).stream().sorted().toList(), "sm_" + arch);
        }
    }

    @Test
    void theShippedPtxIsChosenByComputeCapability() {
        assertEquals(90, CudaKernels.shippedArchFor(9, 0));
        assertEquals(90, CudaKernels.shippedArchFor(10, 0));
        assertEquals(80, CudaKernels.shippedArchFor(8, 9));
        assertEquals(80, CudaKernels.shippedArchFor(8, 0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CudaKernels.shippedArchFor(7, 5));
        assertTrue(e.getMessage().contains("sm_75") && e.getMessage().contains("NVRTC"), e.getMessage());
    }

    @Test
    void thePtxVersionCanBeLoweredForAnOlderDriver() {
        assertEquals("8.5", CudaKernels.ptxVersionFor(12060));
        assertEquals("8.0", CudaKernels.ptxVersionFor(12000));
        assertEquals("9.0", CudaKernels.ptxVersionFor(13000));
        assertEquals(null, CudaKernels.ptxVersionFor(11040));
        String ptx = CudaKernels.shippedPtx(90);
        String lowered = CudaKernels.withPtxVersion(ptx, "8.5");
        assertTrue(lowered.contains("\n.version 8.5\n"), lowered.substring(0, 400));
        assertEquals(ptx.length() - ptx.indexOf(".target"), lowered.length() - lowered.indexOf(".target"));
    }
}
