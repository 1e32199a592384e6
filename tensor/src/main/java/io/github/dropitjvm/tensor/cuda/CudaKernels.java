package io.github.dropitjvm.tensor.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CUDA flavour of the shared kernel dialect and the PTX built from it. The source is the OpenCL backend's
 * {@code kernels/prelude.h + *.cl} concatenated exactly as the OpenCL backend does (prelude.h switches the macros on
 * {@code __OPENCL_VERSION__}); {@code scripts/cuda-ptx.sh} (by hand after a kernel edit, and by gpu-pack.sh)
 * compiles it with {@code nvcc -ptx} for sm_80 and sm_90 into {@code kernels/cuda/dropit-sm_XY.ptx}, committed, with
 * the SHA-256 of the source they came from in {@code kernels/cuda/source.sha256}.
 */
final class CudaKernels {
    private CudaKernels() {}

    static final String DIR = "/io/github/dropitjvm/tensor/kernels/";
    static final String[] SOURCES = {"prelude.h", "elementwise.cl", "reduce.cl", "conv.cl", "dropit.cl"};
    /** Compute capabilities with shipped PTX, highest first. */
    static final int[] SHIPPED_ARCHS = {90, 80};

    /** One kernel file's text from the class path. */
    static String resource(String file) {
        try (InputStream in = CudaKernels.class.getResourceAsStream(DIR + file)) {
            if (in == null) throw new IllegalStateException("cuda: kernel resource " + file + " missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cuda: cannot read kernel resource " + file, e);
        }
    }

    /** The CUDA source of the given kernel files (prelude.h first), concatenated as the OpenCL backend does. */
    static String source(String... files) {
        StringBuilder sb = new StringBuilder();
        for (String f : files) sb.append("/* ---- ").append(f).append(" ---- */\n").append(resource(f)).append('\n');
        return sb.toString();
    }

    /** The CUDA source of every kernel. */
    static String source() {
        return source(SOURCES);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The hash the shipped PTX was built from (scripts/cuda-ptx.sh writes it). */
    static String shippedSourceHash() {
        return resource("cuda/source.sha256").trim().split("\\s+")[0];
    }

    /** The shipped PTX best suited to a device of compute capability major.minor: the highest arch not above it. */
    static int shippedArchFor(int major, int minor) {
        int cc = major * 10 + minor;
        for (int a : SHIPPED_ARCHS) if (a <= cc) return a;
        throw new IllegalStateException("cuda: the shipped PTX targets sm_" + SHIPPED_ARCHS[SHIPPED_ARCHS.length - 1]
                + " and newer; this device is sm_" + cc + " and NVRTC (libnvrtc.so) is not available to compile for it");
    }

    /** The shipped PTX for that arch. */
    static String shippedPtx(int arch) {
        return resource("cuda/dropit-sm_" + arch + ".ptx");
    }

    private static final Pattern KERNEL = Pattern.compile("KERNEL\\s+void\\s+(\\w+)\\s*\\(");
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(");

    /** Names of the kernels declared in a source. */
    static List<String> kernelNames(String source) {
        return matches(KERNEL, source);
    }

    /** Names of the entry points in a PTX module. */
    static List<String> entryNames(String ptx) {
        return matches(ENTRY, ptx);
    }

    private static List<String> matches(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** The newest PTX ISA version a driver of this cuDriverGetVersion value JIT-compiles, or null when unknown. */
    static String ptxVersionFor(int driverVersion) {
        int major = driverVersion / 1000, minor = (driverVersion % 1000) / 10;
        if (major >= 13) return "9." + Math.min(minor, 0);
        if (major == 12) return switch (minor) {
            case 0 -> "8.0"; case 1 -> "8.1"; case 2 -> "8.2"; case 3 -> "8.3"; case 4 -> "8.4";
            case 5, 6 -> "8.5"; case 7 -> "8.6"; case 8 -> "8.7"; default -> "8.8";
        };
        if (major == 11 && minor >= 8) return "7.8";
        return null;
    }

    /** The PTX with its {@code .version} directive replaced. */
    static String withPtxVersion(String ptx, String version) {
        return ptx.replaceFirst("(?m)^\\.version\\s+\\d+\\.\\d+", ".version " + version);
    }
}
