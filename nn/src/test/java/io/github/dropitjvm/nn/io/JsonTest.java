package io.github.dropitjvm.nn.io;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class JsonTest {
    @Test
    void parsesTheHeaderSubsetKeepingKeyOrder() throws Exception {
        Object v = Json.parse(" {\"b\": [1, -2, 3.5e1, 0], \"a\": {\"s\": \"x\\u00e9\\n\\\"\\ud83d\\ude00\"}, \"t\": true, \"n\": null}\n  ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("b", "a", "t", "n"), List.copyOf(m.keySet()));
        List<?> b = (List<?>) m.get("b");
        assertEquals(0, new BigDecimal("35").compareTo((BigDecimal) b.get(2)));
        assertEquals("xé\n\"😀", ((Map<?, ?>) m.get("a")).get("s"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertTrue(m.containsKey("n"));
    }

    @Test
    void refusesWhatTheGrammarDoesNot() {
        for (String bad : new String[]{"", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}",
                "{\"a\":+1}", "{\"a\":tru}", "{\"a\":\"x\ny\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
                "{\"a\":1}x", "{\"a\":1,\"a\":2}", "{\"a\":\"unterminated}", "{\"a\":NaN}", "{\"a\":1e99999999999}"}) {
            assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad);
        }
        assertThrows(Json.ParseException.class, () -> Json.parse("[".repeat(100) + "]".repeat(100)), "too deep");
    }

    @Test
    void writesWhatItReads() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name \"q\"\\\t\u0001é", List.of(1L, 2, "s"));
        m.put("empty", new LinkedHashMap<>());
        StringBuilder sb = new StringBuilder();
        Json.write(sb, m);
        assertEquals("{\"name \\\"q\\\"\\\\\\t\\u0001é\":[1,2,\"s\"],\"empty\":{}}", sb.toString());
        Map<?, ?> back = (Map<?, ?>) Json.parse(sb.toString());
        assertEquals(m.keySet(), back.keySet());
    }
}
