package io.github.dropitjvm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dropitjvm.tensor.JvmRequirements;
import java.io.PrintWriter;
import java.io.StringWriter;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

    /** Runs the dropit command line in-process; returns {exit code, stdout, stderr}. */
    private static Object[] execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Object[] {code, out.toString(), err.toString()};
    }

    @Test
    void infoNamesTheCpuBackendAndTheVectorWidth() {
        Object[] r = execute("info");
        assertEquals(0, r[0], (String) r[2]);
        String out = (String) r[1];
        assertTrue(out.contains("backends    cpu"), out);
        assertTrue(out.contains("FloatVector.SPECIES_PREFERRED: " + FloatVector.SPECIES_PREFERRED.length()
                + " floats"), out);
        assertTrue(out.contains("processors  " + Runtime.getRuntime().availableProcessors()), out);
        assertTrue(out.contains(String.valueOf(Runtime.version().feature())), out);
    }

    @Test
    void versionPrintsTheStampedVersion() {
        Object[] r = execute("--version");
        assertEquals(0, r[0]);
        assertEquals("DropIT-JVM " + JvmRequirements.versionString(), ((String) r[1]).strip());
        assertTrue(((String) r[1]).contains("(commit "), (String) r[1]);
    }

    @Test
    void helpAndNoArgumentsShowUsageWithTheSubcommands() {
        for (String[] args : new String[][] {{"--help"}, {}}) {
            Object[] r = execute(args);
            assertEquals(0, r[0]);
            String out = (String) r[1];
            assertTrue(out.startsWith("Usage: dropit"), out);
            assertTrue(out.contains("info"), out);
            assertTrue(out.contains("./dropit bench"), out);
        }
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        Object[] r = execute("no-such-command");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("no-such-command"), (String) r[2]);
    }

    @Test
    void runChecksTheJvmFirstThenExecutes() {
        // Surefire's argLine adds jdk.incubator.vector, so the check passes and the command runs.
        assertEquals(0, Main.run("--version"));
    }
}
