package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PresetsTest {
    /** Parameter count of DESIGN.md's ViT from its shape, computed independently of the modules. */
    private static long vitParams(int inCh, int patch, int patches, int d, int depth, int mlp, int classes) {
        long embed = (long) inCh * patch * patch * d + d + d + (long) (patches + 1) * d;
        long block = 2L * d + (3L * d * d + 3L * d) + ((long) d * d + d) + 2L * d + ((long) d * mlp + mlp) + ((long) mlp * d + d);
        return embed + depth * block + 2L * d + ((long) d * classes + classes);
    }

    @Test
    void vitFmnistHasTheDesignedShapeAndTimmNames() {
        Module m = Presets.create("vit-fmnist", 1, 10, 1);
        assertEquals(vitParams(1, 4, 49, 96, 6, 384, 10), m.parameterCount());
        Map<String, ?> p = m.namedParameters();
        for (String name : new String[]{"patch_embed.proj.weight", "cls_token", "pos_embed", "blocks.0.norm1.weight",
                "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.bias", "blocks.5.mlp.fc2.weight", "norm.bias", "head.weight"})
            assertTrue(p.containsKey(name), name + " missing from " + p.keySet());
        assertArrayEquals(new int[]{1, 50, 96}, m.namedParameters().get("pos_embed").shape());
    }

    @Test
    void vitTinyAndDeitTiParameterCounts() {
        assertEquals(vitParams(3, 4, 64, 192, 12, 768, 10), Presets.create("vit-tiny-32", 3, 10, 1).parameterCount());
        assertEquals(vitParams(3, 16, 196, 192, 12, 768, 1000), Presets.create("deit-ti", 3, 1000, 1).parameterCount());
    }

    @Test
    void resnet20HasTorchvisionNamesAndTheCifarShape() {
        Module m = Presets.create("resnet20", 3, 10, 1);
        Map<String, Tensor> state = m.stateDict();
        assertTrue(state.containsKey("layer2.0.downsample.0.weight"));
        assertTrue(state.containsKey("layer3.2.bn2.running_var"));
        assertTrue(state.containsKey("bn1.num_batches_tracked"));
        assertFalse(state.containsKey("layer1.0.downsample.0.weight"));
        // 19 convs + fc; He et al. report ~0.27M parameters for ResNet-20
        assertEquals(272_474, m.parameterCount());
    }

    @Test
    void everyPresetRunsForwardOnItsInputShape() {
        for (String name : new String[]{"vit-fmnist", "resnet20", "cnn-small"}) {
            int channels = name.equals("vit-fmnist") ? 1 : 3;
            Module m = Presets.create(name, channels, 10, 7);
            int[] in = Presets.inputShape(name, channels);
            int[] shape = {2, in[0], in[1], in[2]};
            Variable y = m.forward(Variable.constant(Tensor.randn(new Generator(1), shape)));
            assertArrayEquals(new int[]{2, 10}, y.shape(), name);
            assertTrue(Arrays.stream(new float[][]{y.data().toFloatArray()}).allMatch(a -> !Float.isNaN(a[0])));
        }
    }

    @Test
    void batchNormCountsTrainingBatchesOnly() {
        Module m = Presets.create("resnet20", 1, 10, 2);
        Tensor x = Tensor.randn(new Generator(3), 2, 1, 28, 28);
        m.forward(Variable.constant(x));
        m.forward(Variable.constant(x));
        m.eval();
        m.forward(Variable.constant(x));
        assertArrayEquals(new long[]{2}, m.stateDict().get("layer2.1.bn2.num_batches_tracked").toLongArray());
    }

    @Test
    void wrongInputShapeAndUnknownPresetAreRefused() {
        Module m = Presets.create("vit-fmnist", 1, 10, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.forward(Variable.constant(Tensor.zeros(2, 3, 28, 28))));
        assertTrue(e.getMessage().contains("[2, 3, 28, 28]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Presets.create("vit-huge", 3, 10, 1));
        assertTrue(e.getMessage().contains("vit-huge") && e.getMessage().contains("resnet20"));
    }

    @Test
    void sameSeedSameWeightsAndSummaryListsModules() {
        float[] a = Presets.create("cnn-small", 3, 10, 5).namedParameters().get("conv1.weight").data().toFloatArray();
        float[] b = Presets.create("cnn-small", 3, 10, 5).namedParameters().get("conv1.weight").data().toFloatArray();
        assertArrayEquals(a, b);
        String s = Presets.create("vit-fmnist", 1, 10, 1).summary();
        assertTrue(s.contains("blocks.3.attn.qkv") && s.contains("total parameters: 678730"), s);
    }
}
