package io.github.dropitjvm.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class JmhCommandTest {

    @Test
    void defaultsComeFirstAndTheUserArgumentsFollowUnchanged() {
        assertArrayEquals(new String[]{"-wi", "5", "-i", "3", "-w", "1", "-r", "1", "-f", "1", "-foe", "true", "LayerBenchmarks", "-p", "threads=2"},
                JmhCommand.jmhArgs(List.of("LayerBenchmarks", "-p", "threads=2")));
        assertArrayEquals(new String[]{"-wi", "5", "-i", "3", "-w", "1", "-r", "1", "-f", "1", "-foe", "true"}, JmhCommand.jmhArgs(List.of()));
    }

    @Test
    void anOptionGivenReplacesItsDefault() {
        assertArrayEquals(new String[]{"-w", "1", "-r", "1", "KernelBenchmarks", "-wi", "5", "-i", "7", "-f", "0", "-foe", "false"},
                JmhCommand.jmhArgs(List.of("KernelBenchmarks", "-wi", "5", "-i", "7", "-f", "0", "-foe", "false")));
    }

    @Test
    void argumentsJmhCannotParsePassUnchanged() {
        assertArrayEquals(new String[]{"-wi", "x"}, JmhCommand.jmhArgs(List.of("-wi", "x")));
    }

    @Test
    void helpDocumentsSelectionAndTheDefaults() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new BenchMain());
        cli.setOut(new PrintWriter(out, true));
        assertEquals(0, cli.execute("jmh", "--help"));
        String help = out.toString();
        for (String s : List.of("Usage: dropit bench jmh", "regular expression", "LayerBenchmarks", "DropItBenchmarks",
                "KernelBenchmarks", "-wi 5 -i 3 -w 1 -r 1 -f 1", "-p threads=2"))
            assertTrue(help.contains(s), s + " missing in:\n" + help);
    }
}
