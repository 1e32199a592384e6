package io.github.dropitjvm.nn.io;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.nn.optim.AdamW;
import io.github.dropitjvm.nn.optim.Optimizer;
import io.github.dropitjvm.nn.optim.ParamGroups;
import io.github.dropitjvm.nn.optim.Sgd;
import io.github.dropitjvm.tensor.BFloat16;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CheckpointsTest {
    @TempDir
    Path dir;

    /** A layer with a weight, a bias and a buffer; {@code forward} is never called here. */
    static final class Layer extends Module {
        Layer(Generator g, int out, int in) {
            parameter("weight", Tensor.randn(g, out, in));
            parameter("bias", Tensor.randn(g, out));
            buffer("running_mean", Tensor.randn(g, out));
        }

        @Override
        protected Variable compute(Variable x) {
            return x;
        }
    }

    static final class Seq extends Module {
        Seq(Module... ms) {
            for (int i = 0; i < ms.length; i++) child(Integer.toString(i), ms[i]);
        }

        @Override
        protected Variable compute(Variable x) {
            return x;
        }
    }

    /** Names as timm would give them: cls_token, blocks.0.weight, blocks.1.bias, head.weight, ... */
    static final class Net extends Module {
        Net(long seed, int width) {
            Generator g = new Generator(seed);
            parameter("cls_token", Tensor.randn(g, 1, 1, 3));
            child("blocks", new Seq(new Layer(g, 3, 3), new Layer(g, 3, 3)));
            child("head", new Layer(g, 2, width));
        }

        @Override
        protected Variable compute(Variable x) {
            return x;
        }
    }

    static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    static void assertSameState(Map<String, float[]> expected, Module m) {
        Map<String, float[]> actual = snapshot(m);
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k));
    }

    @Test
    void modelRoundTripUsesTimmNamesAndRestoresEveryTensor() throws IOException {
        Net a = new Net(1, 3), b = new Net(2, 3);
        Path p = dir.resolve("net.safetensors");
        Checkpoints.save(p, a, DType.FLOAT32, Map.of("epoch", "5"));
        assertEquals(List.of("cls_token", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "head.weight", "head.bias",
                "blocks.0.running_mean", "blocks.1.running_mean", "head.running_mean"), List.copyOf(SafeTensors.read(p).tensors().keySet()));
        Tensor headWeight = b.stateDict().get("head.weight");
        Map<String, String> meta = Checkpoints.load(b, p);
        assertEquals("5", meta.get("epoch"));
        assertSameState(snapshot(a), b);
        assertSame(headWeight, b.stateDict().get("head.weight"), "loaded in place: layers keep their tensors");
    }

    @Test
    void bf16CheckpointLoadsIntoFloat32Model() throws IOException {
        Net a = new Net(1, 3), b = new Net(2, 3);
        Path p = dir.resolve("net-bf16.safetensors");
        Checkpoints.save(p, a, DType.BF16, Map.of());
        Checkpoints.load(b, p);
        a.stateDict().forEach((k, v) -> {
            float[] src = v.toFloatArray(), dst = b.stateDict().get(k).toFloatArray();
            assertEquals(DType.FLOAT32, b.stateDict().get(k).dtype());
            for (int i = 0; i < src.length; i++)
                assertEquals(BFloat16.toFloat(BFloat16.fromFloat(src[i])), dst[i], k + "[" + i + "]");
        });
    }

    @Test
    void mismatchedCheckpointIsRefusedNamingTensorsAndShapesAndLeavesTheModelUntouched() throws IOException {
        Path p = dir.resolve("wide.safetensors");
        Checkpoints.save(p, new Net(1, 4), DType.FLOAT32, Map.of());
        Net b = new Net(2, 3);
        Map<String, float[]> before = snapshot(b);
        int version = b.stateDict().get("cls_token").version();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(b, p));
        assertTrue(e.getMessage().contains("'head.weight'") && e.getMessage().contains("[2, 4]") && e.getMessage().contains("[2, 3]"), e.getMessage());
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("nothing was loaded"), e.getMessage());
        assertSameState(before, b);
        assertEquals(version, b.stateDict().get("cls_token").version(), "no tensor was written, not even a matching one");
    }

    @Test
    void missingAndUnexpectedNamesAreRefused() throws IOException {
        Net b = new Net(2, 3);
        Map<String, float[]> before = snapshot(b);
        Map<String, Tensor> state = new LinkedHashMap<>(new Net(1, 3).stateDict());
        state.remove("blocks.1.bias");
        state.put("blocks.2.weight", Tensor.zeros(3, 3));
        Path p = dir.resolve("renamed.safetensors");
        Checkpoints.save(p, state, DType.FLOAT32, Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(b, p));
        assertTrue(e.getMessage().contains("missing tensor 'blocks.1.bias'"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected tensor 'blocks.2.weight'"), e.getMessage());
        assertSameState(before, b);

        Path corrupt = dir.resolve("corrupt.safetensors");
        Files.write(corrupt, new byte[]{1, 2, 3});
        assertThrows(SafeTensorsException.class, () -> Checkpoints.load(b, corrupt));
        assertSameState(before, b);
    }

    private static void fakeGrads(Net n, int t) {
        for (Parameter p : n.parameters()) {
            float[] g = new float[(int) p.numel()];
            for (int i = 0; i < g.length; i++) g[i] = (float) Math.sin(0.7 * i + 1.3 * t);
            p.variable().setGrad(Tensor.fromArray(g, p.shape()));
        }
    }

    @Test
    void optimizerStateGoesToItsOwnFileAndResumesBitForBit() throws IOException {
        Net a = new Net(1, 3);
        AdamW oa = new AdamW(ParamGroups.timmWeightDecay(a.namedParameters(), 0.05), 1e-2);
        for (int t = 0; t < 3; t++) {
            fakeGrads(a, t);
            oa.step();
        }
        Path model = dir.resolve("run.safetensors"), optim = Checkpoints.optimizerPath(model);
        assertEquals(dir.resolve("run.optim.safetensors"), optim);
        Checkpoints.save(model, a, DType.FLOAT32, Map.of(Checkpoints.STEP_KEY, Long.toString(oa.steps())));
        Checkpoints.saveOptimizer(optim, oa);
        SafeTensors.Contents oc = SafeTensors.read(optim);
        assertEquals("adamw", oc.metadata().get(Checkpoints.OPTIMIZER_KEY));
        assertEquals("3", oc.metadata().get(Checkpoints.STEP_KEY));
        assertTrue(oc.tensors().containsKey("exp_avg_sq.blocks.0.weight"));
        assertFalse(SafeTensors.read(model).tensors().keySet().stream().anyMatch(k -> k.startsWith("exp_avg")), "model file is a plain state dict");

        Net b = new Net(9, 3);
        AdamW ob = new AdamW(ParamGroups.timmWeightDecay(b.namedParameters(), 0.05), 1e-2);
        Checkpoints.load(b, model);
        Checkpoints.loadOptimizer(ob, optim);
        assertEquals(3, ob.steps());
        for (int t = 3; t < 5; t++) {
            fakeGrads(a, t);
            fakeGrads(b, t);
            oa.step();
            ob.step();
        }
        assertSameState(snapshot(a), b);
    }

    @Test
    void optimizerFileOfAnotherAlgorithmOrModelIsRefused() throws IOException {
        Net a = new Net(1, 3);
        AdamW oa = new AdamW(ParamGroups.single(a.namedParameters(), 0), 1e-2);
        fakeGrads(a, 0);
        oa.step();
        Path optim = dir.resolve("o.safetensors");
        Checkpoints.saveOptimizer(optim, oa);

        Optimizer sgd = new Sgd(ParamGroups.single(a.namedParameters(), 0), 0.1, 0.9, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.loadOptimizer(sgd, optim));
        assertTrue(e.getMessage().contains("adamw") && e.getMessage().contains("sgd"), e.getMessage());

        Net wide = new Net(1, 4);
        AdamW ow = new AdamW(ParamGroups.single(wide.namedParameters(), 0), 1e-2);
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.loadOptimizer(ow, optim));
        assertTrue(e.getMessage().contains("exp_avg.head.weight") && e.getMessage().contains(optim.toString()), e.getMessage());
        assertEquals(0, ow.steps());

        Path model = dir.resolve("m.safetensors");
        Checkpoints.save(model, a, DType.FLOAT32, Map.of());
        assertThrows(IllegalArgumentException.class, () -> Checkpoints.loadOptimizer(oa, model), "a model file is not optimizer state");
    }
}
