package io.github.dropitjvm.train.run;

import io.github.dropitjvm.nn.io.Json;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * The trainer's view of the project's JSON ({@link Json}): parse errors as {@link IllegalArgumentException}, and
 * typed access to fields. Numbers parse to {@link BigDecimal}; floats and doubles are written in their shortest
 * round-tripping form, so a value read back is bit-identical to the one written.
 */
public final class MiniJson {
    private MiniJson() {}

    /** One-line JSON for maps, lists, strings, numbers, booleans and null. Non-finite numbers are refused. */
    public static String write(Object v) {
        return Json.write(v);
    }

    /** Parses one JSON value; an error names the character position. */
    public static Object parse(String text) {
        try {
            return Json.parse(text);
        } catch (Json.ParseException e) {
            throw new IllegalArgumentException("JSON: " + e.getMessage(), e);
        }
    }

    /** Parses a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) throw new IllegalArgumentException("JSON: expected an object");
        return (Map<String, Object>) v;
    }

    /**
     * Reads file as a JSON object and turns it into a T with parse; a file that is not valid JSON, or lacks what
     * parse needs, is an IOException naming the file (it is a damaged file, not a bad option).
     */
    public static <T> T read(Path file, Function<Map<String, Object>, T> parse) throws IOException {
        String text = Files.readString(file);
        try {
            return parse.apply(parseObject(text));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + (text.isBlank() ? "empty" : "damaged") + " (" + e.getMessage() + ")", e);
        }
    }

    // ------------------------------------------------------------------ typed access

    public static double num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("JSON: '" + key + "' is missing or not a number");
        return n.doubleValue();
    }

    public static long lng(Map<String, Object> m, String key) {
        Object v = m.get(key);
        try {
            if (v instanceof BigDecimal d) return d.longValueExact();
        } catch (ArithmeticException e) {
            // not an integer, or too large: refused below
        }
        throw new IllegalArgumentException("JSON: '" + key + "' is missing or not an integer");
    }

    public static String str(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String x)) throw new IllegalArgumentException("JSON: '" + key + "' is missing or not a string");
        return x;
    }
}
