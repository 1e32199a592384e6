package io.github.dropitjvm.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON shape of {@code bench compare --json --quick} (tiny sizes, one child JVM, one repetition). */
class CompareCommandTest {
    @Test
    void quickJsonHasOneRowPerMetricWithEveryField() {
        String why = io.github.dropitjvm.bench.peer.Torch.unavailableReason(); // CI: must load; elsewhere: skip
        if (why != null && ("true".equalsIgnoreCase(System.getenv("CI")) || "true".equalsIgnoreCase(System.getProperty("dropit.ci"))))
            org.junit.jupiter.api.Assertions.fail("CI requires the PyTorch peer: " + why);
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, "PyTorch peer unavailable (skipped outside CI): " + why);
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = new CommandLine(new BenchMain()).execute("compare", "--json", "--quick", "--reps", "1", "--threads", "1", "--child-heap", "1g");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc);
        String out = buf.toString(StandardCharsets.UTF_8).strip();
        assertTrue(out.startsWith("{") && out.endsWith("}") && !out.contains("\n"), "one JSON object on one line: " + out);
        assertTrue(out.contains("\"rows\":["), out);
        Pattern row = Pattern.compile("\\{\"metric\":\"[^\"]+\",\"threads\":1,\"ours\":[0-9.e+-]+,\"peer\":[0-9.e+-]+,\"unit\":\"(GFLOP/s|ms)\",\"ratio\":[0-9.e+-]+,\"higher_is_better\":(true|false)}");
        Matcher m = row.matcher(out);
        int n = 0;
        while (m.find()) n++;
        assertEquals(4, n, "rows: sgemm, vit-tiny-32, cnn-small, vit-tiny-32 DropIT: " + out);
        String policy = System.getenv("OMP_WAIT_POLICY") == null ? CompareCommand.OMP_WAIT_POLICY : System.getenv("OMP_WAIT_POLICY");
        assertTrue(out.contains("\"omp_wait_policy\":\"" + policy + "\""), "the child's OpenMP wait policy, as it saw it: " + out);
        assertTrue(out.contains("sgemm 64^3") && out.contains("cnn-small train step b2") && out.contains("DropIT"), out);
    }
}
