package io.github.dropitjvm.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HelloTensorTest {

    @Test
    void printsTheProductAndRowsThatSumToOne() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            HelloTensor.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        // [[1,2,3],[4,5,6]] @ [[0,1],[2,3],[4,5]] = [[16,22],[34,49]]
        assertTrue(out.contains("[16.0, 22.0, 34.0, 49.0]"), out);
        String sums = out.substring(out.indexOf("row sums"));
        String[] values = sums.substring(sums.lastIndexOf('[') + 1, sums.lastIndexOf(']')).split(", ");
        assertEquals(2, values.length, sums);
        for (String v : values) {
            assertEquals(1.0, Double.parseDouble(v), 1e-6, sums);
        }
    }
}
