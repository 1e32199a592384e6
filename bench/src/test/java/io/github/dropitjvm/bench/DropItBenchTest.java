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

    /** Runs a bench command line as ./dropit does (a refused option: one line, exit code 2); returns {exit code, stderr}. */
    static Object[] refused(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = io.github.dropitjvm.train.Main.commandLine("dropit bench", new BenchMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Object[]{code, err.toString().strip()};
    }

    /** Asserts that the command line is refused with exit code 2 and exactly this one line on stderr. */
    static void assertRefused(String line, String... args) {
        Object[] r = refused(args);
        assertEquals(line, r[1], String.join(" ", args));
        assertEquals(2, r[0], String.join(" ", args) + ": " + r[1]);
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

    /** --profile samples the timed steps: collapsed stacks by default, a flame graph for .html; a bad path is refused. */
    @Test
    void stepWritesAProfileOfTheTimedSteps(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path stacks = tmp.resolve("step.collapsed"), flame = tmp.resolve("step.html");
        run("step", "--model", "cnn-small", "--batch", "8", "--steps", "30", "--warmup", "2", "--json", "--profile", stacks.toString());
        String collapsed = java.nio.file.Files.readString(stacks);
        assertTrue(collapsed.contains("io/github/dropitjvm/bench/StepBench") && collapsed.contains("CpuConv"),
                collapsed.substring(0, Math.min(2000, collapsed.length())));
        run("step", "--model", "cnn-small", "--batch", "8", "--steps", "10", "--warmup", "1", "--json", "--profile", flame.toString());
        assertTrue(java.nio.file.Files.readString(flame).contains("<html"), "not a flame graph page");
        StringWriter err = new StringWriter();
        CommandLine cli = io.github.dropitjvm.train.Main.commandLine("dropit bench", new BenchMain());
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("step", "--model", "cnn-small", "--steps", "1", "--profile", tmp.resolve("missing/dir/p.html").toString());
        assertEquals(2, code, err.toString());
        assertEquals("dropit bench step: --profile: no directory " + tmp.resolve("missing/dir"), err.toString().strip());
        for (String bad : new String[]{tmp.toString(), tmp.resolve("a,b.html").toString(), tmp.resolve("p%t.html").toString()}) {
            err.getBuffer().setLength(0);
            assertEquals(2, cli.execute("step", "--model", "cnn-small", "--steps", "1", "--profile", bad), err.toString());
            assertTrue(err.toString().startsWith("dropit bench step: --profile: "), err.toString());
        }
    }

    @Test
    void quantilesInterpolate() {
        double[] s = {1, 2, 3, 4};
        assertEquals(2.5, StepBench.quantile(s, 0.5), 1e-12);
        assertEquals(1.75, StepBench.quantile(s, 0.25), 1e-12);
        assertEquals(4, StepBench.quantile(s, 1), 1e-12);
    }

    @Test
    void maxbatchSearchFindsTheExactLargestPassingBatch() throws Exception {
        for (int limit : new int[]{1, 37, 64, 65, 200}) {
            java.util.List<MaxBatchBench.Try> tries = new java.util.ArrayList<>();
            int found = MaxBatchBench.search(16, 0, b -> new MaxBatchBench.Try(b, b <= limit, 0), tries);
            assertEquals(limit, found);
            assertTrue(tries.size() <= 2 * 9, "tries " + tries.size());
        }
        assertEquals(0, MaxBatchBench.search(4, 0, b -> new MaxBatchBench.Try(b, false, 0), new java.util.ArrayList<>()));
        // With a tolerance the answer is a passing batch within it.
        int found = MaxBatchBench.search(16, 0.25, b -> new MaxBatchBench.Try(b, b <= 100, 0), new java.util.ArrayList<>());
        assertTrue(found <= 100 && found >= 75, "found " + found);
    }

    @Test
    void maxbatchChildRunsTrainingStepsAndAChildJvmPasses() throws Exception {
        run("maxbatch", "--model", "cnn-small", "--child-batch", "2", "--steps", "1", "--child-dropit");
        MaxBatchBench cmd = new MaxBatchBench();
        new CommandLine(cmd).parseArgs("--model", "cnn-small", "--heap", "256m", "--steps", "1");
        assertTrue(cmd.attempt(2, true).ok());
    }

    /**
     * A child that runs out of heap is a batch that did not fit; one that fails otherwise (here: no JVM starts with
     * -Xmx1k) stops the search with its exit code and the end of its output, not "max batch 0" and exit code 0.
     */
    @Test
    void maxbatchTellsOutOfMemoryFromAChildThatFailed() throws Exception {
        MaxBatchBench cmd = new MaxBatchBench();
        new CommandLine(cmd).parseArgs("--model", "cnn-small", "--heap", "64m", "--steps", "1");
        assertTrue(!cmd.attempt(1 << 17, false).ok()); // 2^17 inputs of 3×32×32 floats: 1.6 GB
        Object[] r = refused("maxbatch", "--model", "cnn-small", "--heap", "1k", "--start", "2", "--steps", "1");
        String err = (String) r[1];
        assertEquals(1, r[0], err);
        assertTrue(err.startsWith("dropit bench maxbatch: the child JVM for plain batch 2 exited with 1, not by running out of memory;"), err);
        assertTrue(err.contains("Too small maximum heap") && !err.contains("\tat "), err);
    }

    /** A --heap that -Xmx would not take is refused before any child starts. */
    @Test
    void maxbatchRefusesAHeapSizeXmxWouldNotTake() {
        for (String bad : new String[]{"1zz", "1.5g", "0", "g", "1 g", "1gb"})
            assertRefused("dropit bench maxbatch: --heap: '" + bad + "' is not a heap size (digits and an optional k, m, g or t, as -Xmx takes, e.g. 1g)",
                    "maxbatch", "--model", "cnn-small", "--heap", bad, "--start", "2", "--steps", "1");
        for (String good : new String[]{"512m", "1G", "2t", "1048576", "64K"}) BenchMain.checkHeap("bench maxbatch", "--heap", good);
    }

    /**
     * Counts, sizes and rates that make no sense are refused before any work, naming the option and the value
     * (each case otherwise cheap, so that without the check it runs through instead of hanging the test).
     */
    @Test
    void benchCommandsRefuseValuesThatMakeNoSense() {
        String[][] cases = {
                {"memory: --batch must be >= 1, got 0", "memory", "--model", "cnn-small", "--batch", "0"},
                {"memory: --batch must be >= 1, got -3", "memory", "--model", "cnn-small", "--batch", "-3"},
                {"memory: --gamma must be in [0, 1], got 2.0", "memory", "--model", "cnn-small", "--batch", "1", "--gamma", "2"},
                {"step: --batch must be >= 1, got 0", "step", "--model", "cnn-small", "--batch", "0", "--steps", "1", "--warmup", "0"},
                {"step: --steps must be >= 1, got 0", "step", "--model", "cnn-small", "--batch", "1", "--steps", "0", "--warmup", "0"},
                {"step: --warmup must be >= 0, got -1", "step", "--model", "cnn-small", "--batch", "1", "--steps", "1", "--warmup", "-1"},
                {"step: --gamma must be in [0, 1], got NaN", "step", "--model", "cnn-small", "--batch", "1", "--steps", "1", "--warmup", "0", "--gamma", "NaN"},
                {"maxbatch: --steps must be >= 1, got 0", "maxbatch", "--model", "cnn-small", "--heap", "32m", "--start", "2", "--variant", "plain", "--steps", "0"},
                {"maxbatch: --start must be >= 1, got 0", "maxbatch", "--model", "cnn-small", "--heap", "1k", "--start", "0", "--steps", "1"},
                {"maxbatch: --tolerance must be >= 0, got -0.5", "maxbatch", "--model", "cnn-small", "--heap", "1k", "--tolerance", "-0.5", "--steps", "1"},
                {"maxbatch: --try-timeout must be >= 1, got 0", "maxbatch", "--model", "cnn-small", "--heap", "1k", "--try-timeout", "0", "--steps", "1"},
                {"maxbatch: --variant must be both, plain or dropit, got 'DropIT'", "maxbatch", "--model", "cnn-small", "--heap", "1k", "--variant", "DropIT", "--steps", "1"},
                {"select: --sizes: each must be >= 1, got 0", "select", "--sizes", "100,0", "--reps", "1", "--warmup", "0", "--warmup-ms", "0"},
                {"select: --reps must be >= 1, got 0", "select", "--sizes", "100", "--reps", "0", "--warmup", "0", "--warmup-ms", "0"},
                {"select: --warmup must be >= 0, got -1", "select", "--sizes", "100", "--reps", "1", "--warmup", "-1", "--warmup-ms", "0"},
                {"select: --warmup-ms must be >= 0, got -1", "select", "--sizes", "100", "--reps", "1", "--warmup", "0", "--warmup-ms", "-1"},
                {"select: --gamma must be in [0, 1], got -0.1", "select", "--sizes", "100", "--reps", "1", "--warmup", "0", "--warmup-ms", "0", "--gamma", "-0.1"},
                {"gemm: --size must be >= 1, got 0", "gemm", "--size", "0", "--warmup-ms", "0", "--measure-ms", "0"},
                {"gemm: --m must be >= 1, got 0", "gemm", "--size", "8", "--m", "0", "--warmup-ms", "0", "--measure-ms", "0"},
                {"gemm: --threads must be >= 1, got 0", "gemm", "--size", "8", "--threads", "0", "--warmup-ms", "0", "--measure-ms", "0"},
                {"gemm: --warmup-ms must be >= 0, got -1", "gemm", "--size", "8", "--warmup-ms", "-1", "--measure-ms", "0"},
                {"gemm: --measure-ms must be >= 0, got -1", "gemm", "--size", "8", "--warmup-ms", "0", "--measure-ms", "-1"},
                {"compare: --reps must be >= 1, got 0", "compare", "--quick", "--threads", "1", "--child-heap", "1k", "--reps", "0"},
                {"compare: --threads: each must be >= 1, got 0", "compare", "--quick", "--threads", "0", "--child-heap", "1k", "--reps", "1"},
                {"compare: --child-heap: '6gb' is not a heap size (digits and an optional k, m, g or t, as -Xmx takes, e.g. 1g)",
                        "compare", "--quick", "--threads", "1", "--child-heap", "6gb", "--reps", "1"},
        };
        for (String[] c : cases) assertRefused("dropit bench " + c[0], java.util.Arrays.copyOfRange(c, 1, c.length));
        // an unknown name: the option first, then the message of the code that knows the names
        String[][] names = {
                {"memory: --model: unknown model preset 'foo'", "memory", "--model", "foo", "--batch", "1"},
                {"step: --cache-format: unknown cache format 'foo'", "step", "--model", "cnn-small", "--batch", "1", "--steps", "1", "--warmup", "0", "--cache-format", "foo"},
                {"maxbatch: --strategy: unknown DropIT strategy 'foo'", "maxbatch", "--model", "cnn-small", "--heap", "1k", "--strategy", "foo", "--steps", "1"},
        };
        for (String[] c : names) {
            Object[] r = refused(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertTrue(((String) r[1]).startsWith("dropit bench " + c[0]) && ((String) r[1]).lines().count() == 1, (String) r[1]);
            assertEquals(2, r[0], (String) r[1]);
        }
    }

    @Test
    void selectComparesExactAndApproximate() {
        String json = run("select", "--sizes", "5000", "--reps", "1", "--json");
        assertEquals(500, field(json, "k"), json);
        assertTrue(field(json, "ms_exact") > 0 && field(json, "ms_approx") > 0, json);
        assertTrue(Math.abs(field(json, "kept_approx") - 500) < 200, json);
    }

    /** A --shapes entry that is not MxINxOUT is refused naming it, before anything is timed; not a stack trace. */
    @Test
    void sparsedwRefusesMalformedShapes() {
        for (String bad : new String[]{"64x16", "64x8x4x2", "64x8x", "64xax4", "0x8x4", "64x-8x4", "64*8*4"})
            assertRefused("dropit bench sparsedw: --shapes: '" + bad + "' is not MxINxOUT (three positive integers, e.g. 3200x96x288)",
                    "sparsedw", "--shapes", "8x8x4," + bad, "--reps", "1");
        assertRefused("dropit bench sparsedw: --reps must be >= 1, got 0", "sparsedw", "--shapes", "8x8x4", "--reps", "0");
        assertRefused("dropit bench sparsedw: --gammas: each γ must be in [0, 1], got 1.5", "sparsedw", "--shapes", "8x8x4", "--gammas", "0.5,1.5", "--reps", "1");
    }

    @Test
    void sparsedwReportsBothPathsPerGamma() {
        String json = run("sparsedw", "--shapes", "64x8x4", "--gammas", "0.5,0.9", "--reps", "1", "--json");
        assertTrue(json.contains("\"shape\":\"64x8x4\"") && json.contains("crossover_gamma"), json);
        assertTrue(field(json, "ms_dense") > 0 && field(json, "ms_sparse") > 0, json);
    }
}
