package io.github.dropitjvm.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

class DropItMemoryTest {
    @Test
    void dropItHoldsLessThanThePlainModel() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            DropItMemory.main(new String[]{"2"});
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("plain (\\d+), DropIT γ=0.9 (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        long plain = Long.parseLong(m.group(1)), dropit = Long.parseLong(m.group(2));
        assertTrue(dropit < plain && plain > 0, out);
        assertTrue(out.contains("converted 24 layer(s)"), out);
    }
}
