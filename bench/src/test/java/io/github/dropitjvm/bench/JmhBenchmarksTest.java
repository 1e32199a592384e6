package io.github.dropitjvm.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.dropit.DropItPacker;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.cpu.CpuBackend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each benchmark method of {@link LayerBenchmarks} and {@link DropItBenchmarks} runs once, on small shapes, and returns
 * finite, sensible output; JMH's generated list names them all. No timing is asserted.
 */
class JmhBenchmarksTest {
    private final int threadsBefore = CpuBackend.threads();

    @AfterEach
    void restoreThreads() {
        CpuBackend.setThreads(threadsBefore);
    }

    static void assertFinite(Tensor t, String what) {
        assertNotNull(t, what);
        float[] v = t.toFloatArray();
        assertTrue(v.length > 0, what);
        for (float f : v) assertTrue(Float.isFinite(f), what + ": " + f);
    }

    static LayerBenchmarks.LinearState linear(String mode) {
        LayerBenchmarks.LinearState s = new LayerBenchmarks.LinearState();
        s.threads = 2;
        s.shape = "2x5x96";
        s.out = 384;
        s.mode = mode;
        s.gamma = 0.9;
        s.setup();
        return s;
    }

    @Test
    void softmaxRunsOnce() {
        LayerBenchmarks b = new LayerBenchmarks();
        LayerBenchmarks.SoftmaxState s = new LayerBenchmarks.SoftmaxState();
        s.threads = 1;
        s.shape = "6x5x5";
        s.setup();
        Tensor y = b.softmaxForward(s).data();
        assertFinite(y, "softmax");
        float[] v = y.toFloatArray();
        double row = 0;
        for (int i = 0; i < 5; i++) row += v[i];
        assertEquals(1, row, 1e-5);
        Tensor dx = b.softmaxForwardBackward(s);
        assertArrayEquals(new int[]{6, 5, 5}, dx.shape());
        assertFinite(dx, "softmax dx");
    }

    @Test
    void layerNormRunsOnce() {
        LayerBenchmarks b = new LayerBenchmarks();
        LayerBenchmarks.LayerNormState s = new LayerBenchmarks.LayerNormState();
        s.threads = 2;
        s.shape = "2x5x96";
        s.setup();
        assertFinite(b.layerNormForward(s).data(), "layer norm");
        Tensor dx = b.layerNormForwardBackward(s);
        assertArrayEquals(new int[]{2, 5, 96}, dx.shape());
        assertFinite(dx, "layer norm dx");
    }

    @Test
    void linearRunsOncePlainAndDropItWithTheSameForward() {
        LayerBenchmarks b = new LayerBenchmarks();
        LayerBenchmarks.LinearState plain = linear("plain"), dropit = linear("dropit");
        Variable yp = b.linearForward(plain), yd = b.linearForward(dropit);
        assertArrayEquals(new int[]{2, 5, 384}, yp.shape());
        assertFinite(yp.data(), "linear");
        // Same seeds: DropIT changes only what is kept for backward, never the forward output.
        assertArrayEquals(yp.data().toFloatArray(), yd.data().toFloatArray());
        for (LayerBenchmarks.LinearState s : List.of(plain, dropit)) {
            Tensor dx = b.linearForwardBackward(s);
            assertArrayEquals(new int[]{2, 5, 96}, dx.shape());
            assertFinite(dx, s.mode + " dx");
            for (Parameter p : s.module.parameters()) assertFinite(p.grad(), s.mode + " parameter gradient");
        }
    }

    @Test
    void blockRunsOncePlainAndDropIt() {
        LayerBenchmarks b = new LayerBenchmarks();
        for (String mode : List.of("plain", "dropit")) {
            LayerBenchmarks.BlockState s = new LayerBenchmarks.BlockState();
            s.threads = 2;
            s.batch = 2;
            s.mode = mode;
            s.gamma = 0.9;
            s.setup();
            Tensor dx = b.blockForwardBackward(s);
            assertArrayEquals(new int[]{2, 50, 96}, dx.shape());
            assertFinite(dx, mode + " block dx");
            for (Parameter p : s.module.parameters()) assertFinite(p.grad(), mode + " block parameter gradient");
        }
    }

    @Test
    void selectKeepsKExactlyOrWithinTheApproximateTolerance() {
        DropItBenchmarks b = new DropItBenchmarks();
        for (String strategy : List.of("exact-mink", "approx-mink")) {
            DropItBenchmarks.SelectState s = new DropItBenchmarks.SelectState();
            s.threads = 2;
            s.shape = "64x50x96";
            s.gamma = 0.9;
            s.strategy = strategy;
            s.setup();
            assertEquals(30720, s.k);
            DropItKernels.Pack p = b.select(s);
            long kept = DropItKernels.countKept(p.mask());
            assertEquals(kept, p.kept(), strategy + ": mask and compacted values disagree");
            if (strategy.equals("exact-mink")) assertEquals(s.k, kept);
            else assertTrue(Math.abs(kept - s.k) <= DropItKernels.approxKeepTolerance(s.x.numel(), s.k, DropItKernels.APPROX_SAMPLE),
                    "approx kept " + kept + " of k " + s.k);
        }
    }

    @Test
    void packAndUnpackRoundTripTheKeptValues() {
        DropItBenchmarks b = new DropItBenchmarks();
        for (String format : List.of("bitmask-fp32", "index32-fp32")) {
            DropItBenchmarks.PackState s = new DropItBenchmarks.PackState();
            s.threads = 2;
            s.shape = "4x5x96";
            s.gamma = 0.9;
            s.format = format;
            s.setup();
            DropItPacker.Cache c = (DropItPacker.Cache) b.pack(s);
            assertEquals(format, c.format().id());
            assertEquals(DropItKernels.keepCount(s.x.numel(), 0.9), c.values().numel());
            assertFinite(c.values(), format + " values");
            Tensor xhat = b.unpack(s);
            assertArrayEquals(s.x.shape(), xhat.shape());
            float[] x = s.x.toFloatArray(), h = xhat.toFloatArray();
            long nonzero = 0;
            for (int i = 0; i < x.length; i++) {
                if (h[i] != 0) {
                    nonzero++;
                    assertEquals(x[i], h[i], format + " at " + i);
                }
            }
            assertEquals(c.values().numel(), nonzero, format);
        }
    }

    @Test
    void jmhListNamesEveryNewBenchmark() throws IOException {
        String list;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/BenchmarkList")) {
            assertNotNull(in, "META-INF/BenchmarkList missing: JMH's annotation processor did not run");
            list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String m : List.of("LayerBenchmarks.softmaxForward", "LayerBenchmarks.softmaxForwardBackward",
                "LayerBenchmarks.layerNormForward", "LayerBenchmarks.layerNormForwardBackward",
                "LayerBenchmarks.linearForward", "LayerBenchmarks.linearForwardBackward",
                "LayerBenchmarks.blockForwardBackward", "DropItBenchmarks.select", "DropItBenchmarks.pack",
                "DropItBenchmarks.unpack", "KernelBenchmarks.gemm"))
        {
            String cls = m.substring(0, m.indexOf('.')), method = m.substring(m.indexOf('.') + 1);
            // One line per benchmark: "... io.github.dropitjvm.bench.<Class> S <len> ...<Class>_<method>_jmhTest S <len> <method> ..."
            assertTrue(list.lines().anyMatch(l -> l.contains(" io.github.dropitjvm.bench." + cls + " ")
                    && l.contains("." + cls + "_" + method + "_jmhTest ")), m + " missing in META-INF/BenchmarkList");
        }
    }
}
