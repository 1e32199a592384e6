package io.github.dropitjvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dropitjvm.tensor.JvmRequirements;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchMainTest {

    /** Runs the bench command line in-process; returns {exit code, stdout, stderr}. */
    private static Object[] execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new BenchMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Object[] {code, out.toString(), err.toString()};
    }

    @Test
    void helpNamesTheCommandAndItsSubcommands() {
        Object[] r = execute("--help");
        assertEquals(0, r[0]);
        String out = (String) r[1];
        assertTrue(out.startsWith("Usage: dropit bench"), out);
        assertTrue(out.contains("info"), out);
    }

    @Test
    void infoNamesTheCpuBackend() {
        Object[] r = execute("info");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains("backends    cpu"), (String) r[1]);
    }

    @Test
    void versionPrintsTheStampedVersion() {
        Object[] r = execute("--version");
        assertEquals(0, r[0]);
        assertEquals("DropIT-JVM " + JvmRequirements.versionString(), ((String) r[1]).strip());
    }
}
