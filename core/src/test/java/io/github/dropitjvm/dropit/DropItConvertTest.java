package io.github.dropitjvm.dropit;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.tensor.Generator;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What {@link DropIt#convert} refuses and reports, and the checks of {@link DropItConfig}'s components. */
class DropItConvertTest {
    /** Four Linear layers, the middle two inside a block: s, blk.a, blk.b, head in definition order. */
    static final class Four extends Module {
        final Linear s, head;
        final Block blk;

        Four() {
            Generator g = new Generator(1);
            s = child("s", new Linear(4, 4, true, g));
            blk = child("blk", new Block(g));
            head = child("head", new Linear(4, 2, true, g));
        }

        @Override
        protected Variable compute(Variable x) {
            return head.forward(blk.forward(s.forward(x)));
        }
    }

    static final class Block extends Module {
        final Linear a, b;

        Block(Generator g) {
            a = child("a", new Linear(4, 4, true, g));
            b = child("b", new Linear(4, 4, true, g));
        }

        @Override
        protected Variable compute(Variable x) {
            return b.forward(a.forward(x));
        }
    }

    private static DropItConfig config(Map<String, Double> perLayer, List<String> include, List<String> exclude) {
        return new DropItConfig(0.5, perLayer, Strategy.EXACT_MINK, CacheFormat.AUTO, false, 0, 0, include, exclude, false);
    }

    private static <T extends Throwable> String message(Class<T> type, org.junit.jupiter.api.function.Executable run) {
        String m = assertThrows(type, run).getMessage();
        assertNotNull(m);
        return m;
    }

    @Test
    void secondConversionIsRefusedNamingTheConvertedLayersAndTheirGamma() {
        Four m = new Four();
        DropIt.Report first = DropIt.convert(m, DropItConfig.of(0.9).withGammaPerLayer(Map.of("blk.b", 0.8)));
        assertEquals(List.of("blk.a", "blk.b"), first.converted());
        assertEquals(List.of("s", "head"), first.skipped());
        DropItCache a = DropIt.cacheOf(m.blk.a), b = DropIt.cacheOf(m.blk.b);
        for (DropItConfig again : List.of(DropItConfig.of(0.5), DropItConfig.of(0.5).withConvertFirstAndLast(true),
                DropItConfig.of(0.5).withExclude(List.of("blk\\..*")))) {
            String e = message(IllegalStateException.class, () -> DropIt.convert(m, again));
            assertTrue(e.contains("blk.a") && e.contains("0.9") && e.contains("blk.b") && e.contains("0.8"), e);
            assertFalse(e.contains("head"), e);
        }
        // Refused as a whole: nothing changed, not even the dense first and last layers.
        assertSame(a, DropIt.cacheOf(m.blk.a));
        assertSame(b, DropIt.cacheOf(m.blk.b));
        assertNull(DropIt.cacheOf(m.s));
        assertNull(DropIt.cacheOf(m.head));
        assertEquals(0.9, a.config().gamma());
        // Detached, the model converts again.
        m.blk.a.setInputCache(null);
        m.blk.b.setInputCache(null);
        assertEquals(List.of("blk.a", "blk.b"), DropIt.convert(m, DropItConfig.of(0.5)).converted());
        assertEquals(0.5, DropIt.cacheOf(m.blk.a).config().gamma());
    }

    @Test
    void firstAndLastAreByDefinitionOrderAndIncludeExcludeOverrideIt() {
        Four m = new Four();
        DropIt.Report r = DropIt.convert(m, config(Map.of(), List.of("head"), List.of("blk\\.a")));
        assertEquals(List.of("blk.b", "head"), r.converted());
        assertEquals(List.of("s", "blk.a"), r.skipped());
        assertEquals("DropIT converted 2 layer(s) [blk.b, head]; left dense [s, blk.a]", r.toString());
        // The layer ids (the random strategy's counter word) are the definition-order positions.
        Four all = new Four();
        DropIt.convert(all, DropItConfig.of(0.5).withConvertFirstAndLast(true));
        assertEquals(0, DropIt.cacheOf(all.s).layerId());
        assertEquals(3, DropIt.cacheOf(all.head).layerId());
    }

    @Test
    void unmatchedIncludePatternsAndPerLayerGammasAreRefusedBeforeAnythingIsConverted() {
        Four m = new Four();
        String e = message(IllegalArgumentException.class, () -> DropIt.convert(m, config(Map.of(), List.of("heads?", "blk\\.c"), List.of())));
        assertTrue(e.contains("include") && e.contains("blk\\.c") && !e.contains("heads?"), e);
        e = message(IllegalArgumentException.class, () -> DropIt.convert(m, config(Map.of("blk.a", 0.3, "blk.z", 0.7), List.of(), List.of())));
        assertTrue(e.startsWith("DropIT: gammaPerLayer names [blk.z],"), e);
        // A γ for a layer that this conversion leaves dense would have no effect either.
        e = message(IllegalArgumentException.class, () -> DropIt.convert(m, config(Map.of("head", 0.3), List.of(), List.of())));
        assertTrue(e.contains("gammaPerLayer") && e.contains("head") && e.contains("dense"), e);
        m.visit(l -> assertNull(DropIt.cacheOf(l), l.name()));
        // Matched, they apply.
        DropIt.Report r = DropIt.convert(m, config(Map.of("head", 0.3), List.of("head"), List.of()));
        assertEquals(List.of("blk.a", "blk.b", "head"), r.converted());
        assertEquals(0.3, DropIt.cacheOf(m.head).config().gammaAt("head", 0));
    }

    @Test
    void nullComponentsAreRefusedNamingTheField() {
        DropItConfig c = DropItConfig.of(0.5);
        assertTrue(message(NullPointerException.class, () -> c.withStrategy(null)).contains("strategy"));
        assertTrue(message(NullPointerException.class, () -> c.withFormat(null)).contains("format"));
        assertTrue(message(NullPointerException.class, () -> config(null, List.of(), List.of())).contains("gammaPerLayer"));
        assertTrue(message(NullPointerException.class, () -> config(Map.of(), null, List.of())).contains("include"));
        assertTrue(message(NullPointerException.class, () -> config(Map.of(), List.of(), null)).contains("exclude"));
        assertTrue(message(NullPointerException.class, () -> config(Map.of(), Arrays.asList("a", null), List.of())).contains("include"));
        Map<String, Double> noGamma = new HashMap<>();
        noGamma.put("blk.a", null);
        String e = message(NullPointerException.class, () -> config(noGamma, List.of(), List.of()));
        assertTrue(e.contains("gammaPerLayer") && e.contains("blk.a"), e);
        Map<String, Double> noName = new HashMap<>();
        noName.put(null, 0.5);
        assertTrue(message(NullPointerException.class, () -> config(noName, List.of(), List.of())).contains("gammaPerLayer"));
        assertTrue(message(NullPointerException.class, () -> new DropItCache(null, 0)).contains("config"));
    }

    @Test
    void badRegularExpressionsAreRefusedNamingTheOptionAndThePattern() {
        String e = message(IllegalArgumentException.class, () -> config(Map.of(), List.of("blk.[0"), List.of()));
        assertTrue(e.contains("include") && e.contains("blk.[0"), e);
        e = message(IllegalArgumentException.class, () -> config(Map.of(), List.of(), List.of("(head")));
        assertTrue(e.contains("exclude") && e.contains("(head"), e);
    }

    @Test
    void withersEqualThePositionalConstructor() {
        DropItConfig c = DropItConfig.of(0.7).withStrategy(Strategy.RANDOM).withFormat(CacheFormat.BITMASK_BF16)
                .withRescale(true, 11).withWarmup(3).withGammaPerLayer(Map.of("head", 0.2))
                .withInclude(List.of("head")).withExclude(List.of("s")).withConvertFirstAndLast(true);
        assertEquals(new DropItConfig(0.7, Map.of("head", 0.2), Strategy.RANDOM, CacheFormat.BITMASK_BF16, true, 11, 3,
                List.of("head"), List.of("s"), true), c);
    }
}
