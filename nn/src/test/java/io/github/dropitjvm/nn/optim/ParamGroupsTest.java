package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.dropitjvm.nn.optim.OptimTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class ParamGroupsTest {
    private static Parameter zeros(int... shape) {
        return new Parameter(Tensor.zeros(shape));
    }

    /** A ViT-shaped parameter list with timm names. */
    private static Map<String, Parameter> vit() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("cls_token", zeros(1, 1, 8));
        m.put("pos_embed", zeros(1, 5, 8));
        m.put("patch_embed.proj.weight", zeros(8, 1, 4, 4));
        m.put("patch_embed.proj.bias", zeros(8));
        m.put("blocks.0.norm1.weight", zeros(8));
        m.put("blocks.0.norm1.bias", zeros(8));
        m.put("blocks.0.attn.qkv.weight", zeros(24, 8));
        m.put("blocks.0.attn.qkv.bias", zeros(24));
        m.put("blocks.0.attn.rel_pos_embed_table", zeros(3, 3)); // rank 2, name does not end with a no-decay component
        m.put("blocks.0.mlp.fc1.weight", zeros(32, 8));
        m.put("head.weight", zeros(10, 8));
        m.put("head.bias", zeros(10));
        m.put("scalar_gain", zeros());
        m.put("backbone.pos_embed", zeros(1, 5, 8));
        return m;
    }

    @Test
    void timmSplitPutsBiasesNormsAndTokensInTheNoDecayGroup() {
        List<ParamGroup> groups = ParamGroups.timmWeightDecay(vit(), 0.05);
        assertEquals(2, groups.size());
        assertEquals(0.05, groups.get(0).weightDecay());
        assertEquals(0.0, groups.get(1).weightDecay());
        assertEquals(List.of("patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "blocks.0.attn.rel_pos_embed_table",
                "blocks.0.mlp.fc1.weight", "head.weight"), List.copyOf(groups.get(0).params().keySet()));
        assertEquals(List.of("cls_token", "pos_embed", "patch_embed.proj.bias", "blocks.0.norm1.weight", "blocks.0.norm1.bias",
                "blocks.0.attn.qkv.bias", "head.bias", "scalar_gain", "backbone.pos_embed"), List.copyOf(groups.get(1).params().keySet()));
    }

    @Test
    void adamWDecaysOnlyTheDecayGroup() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("fc.weight", new Parameter(Tensor.full(2.0, 2, 2)));
        m.put("fc.bias", new Parameter(Tensor.full(2.0, 2)));
        m.put("cls_token", new Parameter(Tensor.full(2.0, 1, 1, 2)));
        m.values().forEach(p -> p.variable().setGrad(Tensor.zeros(p.shape())));
        new AdamW(ParamGroups.timmWeightDecay(m, 0.1), 0.5).step();
        assertClose(new double[]{1.9, 1.9, 1.9, 1.9}, m.get("fc.weight").data(), 1e-7, "decayed");
        assertClose(new double[]{2, 2}, m.get("fc.bias").data(), 0, "bias not decayed");
        assertClose(new double[]{2, 2}, m.get("cls_token").data(), 0, "cls_token not decayed");
    }

    @Test
    void aParameterMayBelongToOneGroupOnly() {
        Parameter p = zeros(2, 2);
        List<ParamGroup> twiceByName = List.of(new ParamGroup(Map.of("w", p), 0.1), new ParamGroup(Map.of("w", zeros(2)), 0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(twiceByName, 0.1, 0, false));
        List<ParamGroup> twiceByObject = List.of(new ParamGroup(Map.of("a", p), 0.1), new ParamGroup(Map.of("b", p), 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AdamW(twiceByObject, 0.1));
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("'b'"), e.getMessage());
    }
}
