package io.github.dropitjvm.dropit;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The checks of {@link DropItConfig}'s components and its withers. */
class DropItConvertTest {
    private static DropItConfig config(Map<String, Double> perLayer, List<String> include, List<String> exclude) {
        return new DropItConfig(0.5, perLayer, Strategy.EXACT_MINK, CacheFormat.AUTO, false, 0, 0, include, exclude, false);
    }

    private static <T extends Throwable> String message(Class<T> type, org.junit.jupiter.api.function.Executable run) {
        String m = assertThrows(type, run).getMessage();
        assertNotNull(m);
        return m;
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
