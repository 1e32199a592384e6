package io.github.dropitjvm.nn.io;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small, strict JSON reader and writer of the project (RFC 8259 grammar; no new dependency): the safetensors
 * header, and the trainer's configuration, state and metrics files. Values parse to {@code LinkedHashMap<String, Object>} (key order kept), {@code List<Object>},
 * {@code String}, {@link BigDecimal}, {@code Boolean} and {@code null}. Strict: anything outside the grammar,
 * a duplicate key, a lone surrogate escape, or nesting deeper than {@value #MAX_DEPTH} is an error, because a
 * header that a lenient parser would accept might describe different tensors to another reader.
 */
public final class Json {
    static final int MAX_DEPTH = 64;

    /** A malformed document; the message gives the character position. */
    public static final class ParseException extends Exception {
        ParseException(String message) {
            super(message);
        }
    }

    private final String s;
    private int pos;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value with optional surrounding whitespace and nothing else. */
    public static Object parse(String text) throws ParseException {
        Json p = new Json(text);
        p.skipWs();
        Object v = p.value(0);
        p.skipWs();
        if (p.pos != text.length()) throw p.error("unexpected content after the end of the document");
        return v;
    }

    private ParseException error(String what) {
        return new ParseException(what + " at character " + pos);
    }

    private void skipWs() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            pos++;
        }
    }

    private Object value(int depth) throws ParseException {
        if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
        if (pos >= s.length()) throw error("unexpected end of document, expected a value");
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw error("unexpected character '" + printable(c) + "', expected a value");
            }
        };
    }

    private Object literal(String word, Object v) throws ParseException {
        if (!s.startsWith(word, pos)) throw error("invalid literal, expected '" + word + "'");
        pos += word.length();
        return v;
    }

    private Map<String, Object> object(int depth) throws ParseException {
        Map<String, Object> out = new LinkedHashMap<>();
        pos++; // '{'
        skipWs();
        if (peek() == '}') {
            pos++;
            return out;
        }
        while (true) {
            skipWs();
            if (peek() != '"') throw error("expected a string key");
            int keyPos = pos;
            String key = string();
            skipWs();
            expect(':');
            skipWs();
            Object v = value(depth + 1);
            if (out.containsKey(key)) {
                pos = keyPos;
                throw error("duplicate key \"" + key + "\"");
            }
            out.put(key, v);
            skipWs();
            char c = peek();
            pos++;
            if (c == '}') return out;
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> array(int depth) throws ParseException {
        List<Object> out = new ArrayList<>();
        pos++; // '['
        skipWs();
        if (peek() == ']') {
            pos++;
            return out;
        }
        while (true) {
            skipWs();
            out.add(value(depth + 1));
            skipWs();
            char c = peek();
            pos++;
            if (c == ']') return out;
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private char peek() throws ParseException {
        if (pos >= s.length()) throw error("unexpected end of document");
        return s.charAt(pos);
    }

    private void expect(char c) throws ParseException {
        if (peek() != c) throw error("expected '" + c + "'");
        pos++;
    }

    private String string() throws ParseException {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw error("unterminated string");
            char c = s.charAt(pos++);
            if (c == '"') return sb.toString();
            if (c < 0x20) {
                pos--;
                throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= s.length()) throw error("unterminated escape");
            char e = s.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    char u = hex4();
                    if (Character.isHighSurrogate(u)) {
                        if (!s.startsWith("\\u", pos)) throw error("lone high surrogate escape");
                        pos += 2;
                        char low = hex4();
                        if (!Character.isLowSurrogate(low)) throw error("high surrogate escape not followed by a low surrogate");
                        sb.append(u).append(low);
                    } else if (Character.isLowSurrogate(u)) {
                        throw error("lone low surrogate escape");
                    } else sb.append(u);
                }
                default -> {
                    pos--;
                    throw error("invalid escape '\\" + printable(e) + "'");
                }
            }
        }
    }

    private char hex4() throws ParseException {
        if (pos + 4 > s.length()) throw error("truncated \\u escape");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos + i), 16);
            if (d < 0) throw error("invalid hex digit in \\u escape");
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private BigDecimal number() throws ParseException {
        int start = pos;
        if (s.charAt(pos) == '-') pos++;
        if (pos >= s.length()) throw error("truncated number");
        if (s.charAt(pos) == '0') pos++;
        else if (!digits()) throw error("invalid number");
        if (pos < s.length() && s.charAt(pos) == '.') {
            pos++;
            if (!digits()) throw error("expected digits after the decimal point");
        }
        if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            pos++;
            if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
            if (!digits()) throw error("expected digits in the exponent");
        }
        // a huge exponent would make later exact-integer checks allocate enormous numbers; no header needs one
        String text = s.substring(start, pos);
        try {
            BigDecimal d = new BigDecimal(text);
            if (Math.abs((long) d.scale()) > 1000) throw error("number " + text + " is out of range");
            return d;
        } catch (NumberFormatException ex) {
            throw error("number " + text + " is out of range");
        }
    }

    private boolean digits() {
        int start = pos;
        while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
        return pos > start;
    }

    private static String printable(char c) {
        return c < 0x20 || c > 0x7E ? String.format("U+%04X", (int) c) : String.valueOf(c);
    }

    // ------------------------------------------------------------------ writing

    /** {@code v} as compact JSON (see {@link #write(StringBuilder, Object)}). */
    public static String write(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v);
        return sb.toString();
    }

    /**
     * Appends {@code v} (a map, list, string, number, boolean or null) as compact JSON. Floats and doubles use
     * Java's shortest round-tripping form, so a value read back is bit-identical; non-finite ones are refused.
     */
    public static void write(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("null");
            case String str -> quote(sb, str);
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    quote(sb, (String) e.getKey());
                    sb.append(':');
                    write(sb, e.getValue());
                }
                sb.append('}');
            }
            case List<?> l -> {
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) sb.append(',');
                    write(sb, l.get(i));
                }
                sb.append(']');
            }
            case Long n -> sb.append(n.longValue());
            case Integer n -> sb.append(n.intValue());
            case BigDecimal d -> sb.append(d.toString());
            case Double d -> {
                if (!Double.isFinite(d)) throw new IllegalArgumentException("json: cannot write " + d);
                sb.append(Double.toString(d));
            }
            case Float f -> {
                if (!Float.isFinite(f)) throw new IllegalArgumentException("json: cannot write " + f);
                sb.append(Float.toString(f));
            }
            case Boolean b -> sb.append(b.booleanValue());
            default -> throw new IllegalArgumentException("json: cannot write a " + v.getClass().getName());
        }
    }

    static void quote(StringBuilder sb, String str) {
        sb.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
