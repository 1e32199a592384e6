package io.github.dropitjvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The DropIT bench subcommands on tiny settings: they run, print the JSON fields, and the figures add up. */
class DropItBenchTest {

    static String run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = new CommandLine(new BenchMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        assertEquals(0, code, err.toString());
        return out.toString();
    }

    static double field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":([-0-9.eE]+)").matcher(json);
        assertTrue(m.find(), name + " missing in " + json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void memoryMatchesTheCacheArithmeticForVit() {
        String json = run("memory", "--model", "vit-fmnist", "--gamma", "0.9", "--batch", "2", "--json");
        assertEquals(field(json, "expected_bytes_dropit"), field(json, "saved_bytes_dropit"), json);
        assertTrue(field(json, "ratio") < 0.7, json);
        assertEquals(field(json, "saved_bytes_dropit") / field(json, "saved_bytes_baseline"), field(json, "ratio"), 1e-5);
    }

    @Test
    void memoryMatchesTheCacheArithmeticForResnetInBf16() {
        String json = run("memory", "--model", "resnet20", "--gamma", "0.8", "--batch", "2", "--cache-format", "bitmask-bf16", "--json");
        assertEquals(field(json, "expected_bytes_dropit"), field(json, "saved_bytes_dropit"), json);
        assertTrue(field(json, "ratio") < 0.7, json);
    }

    @Test
    void stepPrintsMediansIqrsAndTheirRatio() {
        String json = run("step", "--model", "cnn-small", "--batch", "2", "--steps", "2", "--warmup", "0", "--json");
        double base = field(json, "ms_baseline"), drop = field(json, "ms_dropit");
        assertTrue(base > 0 && drop > 0, json);
        assertTrue(field(json, "iqr_ms_baseline") >= 0 && field(json, "iqr_ms_dropit") >= 0, json);
        assertEquals(drop / base, field(json, "ratio"), 1e-4 * drop / base);
    }

    @Test
    void quantilesInterpolate() {
        double[] s = {1, 2, 3, 4};
        assertEquals(2.5, StepBench.quantile(s, 0.5), 1e-12);
        assertEquals(1.75, StepBench.quantile(s, 0.25), 1e-12);
        assertEquals(4, StepBench.quantile(s, 1), 1e-12);
    }
}
