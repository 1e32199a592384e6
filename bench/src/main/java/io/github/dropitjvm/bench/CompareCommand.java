package io.github.dropitjvm.bench;

import io.github.dropitjvm.bench.peer.CompareWorker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code dropit bench compare}: ours against libtorch (DJL) side by side, one child JVM per thread count.
 * SGEMM GFLOP/s at 512³ and 1024³; training step ms (forward, backward, AdamW) for vit-tiny-32 and cnn-small at
 * batch 64, built identically on both sides; our DropIT γ 0.9 step for vit-tiny-32 against libtorch's plain step.
 *
 * <p>The children run with {@code OMP_WAIT_POLICY=PASSIVE} unless the caller set that variable. libtorch's OpenMP
 * (libgomp) otherwise keeps its idle worker spinning for milliseconds after every parallel region; in a child that
 * alternates the two sides, that spinning thread takes a core from our worker pool, and our two-thread figures
 * came out up to 2–3× too slow and erratic (BENCHMARKS.md, "The peer's spinning OpenMP threads").
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Ours vs PyTorch (libtorch 2.7.1 via DJL, offline) side by side: SGEMM and training steps, medians.")
public final class CompareCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object on stdout (the table goes to stderr).")
    boolean json;

    @Option(names = "--reps", description = "Timed repetitions per measurement after one warm-up (default ${DEFAULT-VALUE}).")
    int reps = 3;

    @Option(names = "--quick", description = "Tiny sizes (SGEMM 64³, batch 2), for testing the command.")
    boolean quick;

    @Option(names = "--threads", split = ",", description = "Thread counts, one child JVM each (default 1,2).")
    int[] threads = {1, 2};

    @Option(names = "--child-heap", description = "Heap of each child JVM (default ${DEFAULT-VALUE}).")
    String childHeap = "6g";

    /** libtorch's OpenMP wait policy in the children, unless the caller's environment sets one. */
    static final String OMP_WAIT_POLICY = "PASSIVE";

    record Row(String metric, int threads, double ours, double peer, String unit, boolean higherIsBetter) {
        double ratio() {
            return ours / peer;
        }
    }

    @Override
    public Integer call() throws Exception {
        // checked here: each child JVM would otherwise fail on its own, with a stack trace
        if (reps < 1) throw new IllegalArgumentException("bench compare: --reps must be >= 1, got " + reps);
        for (int t : threads) if (t < 1) throw new IllegalArgumentException("bench compare: --threads: each must be >= 1, got " + t);
        BenchMain.checkHeap("bench compare", "--child-heap", childHeap);
        List<Row> rows = new ArrayList<>();
        String policy = null;
        for (int t : threads) {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.add("-Xmx" + childHeap);
            cmd.addAll(BenchMain.CHILD_JVM_FLAGS);
            cmd.addAll(List.of(
                    "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=" + t, "-Dai.djl.pytorch.num_interop_threads=1",
                    // our kernels' worker pool, sized like libtorch's intra-op threads
                    "-Ddropit.threads=" + t,
                    "-cp", System.getProperty("java.class.path"), CompareWorker.class.getName(),
                    Integer.toString(t), Integer.toString(reps)));
            if (quick) cmd.add("quick");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().putIfAbsent("OMP_WAIT_POLICY", OMP_WAIT_POLICY);
            Process p = pb.start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    String[] f = line.split("\t", -1); // -1: keep an empty policy
                    if (f.length == 2 && f[0].equals(CompareWorker.POLICY_LINE)) policy = f[1];
                    else if (f.length == 7 && f[0].equals("ROW"))
                        rows.add(new Row(f[1], Integer.parseInt(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]), f[5], Boolean.parseBoolean(f[6])));
                    else System.err.println(line);
                }
            }
            int rc = p.waitFor();
            if (rc != 0) {
                System.err.println("dropit bench compare: the child JVM for " + t + " thread(s) exited with " + rc);
                return 1;
            }
        }
        String table = table(rows) + "libtorch's OpenMP threads: OMP_WAIT_POLICY=" + policy + System.lineSeparator();
        if (json) {
            System.err.print(table);
            System.out.println(json(rows, policy));
        } else {
            System.out.print(table);
        }
        return 0;
    }

    String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-40s %7s %12s %12s %-8s %8s%n", "metric", "threads", "ours", "libtorch", "unit", "ours/pt"));
        for (Row r : rows)
            sb.append(String.format(Locale.ROOT, "%-40s %7d %12.2f %12.2f %-8s %8.3f%n", r.metric(), r.threads(), r.ours(), r.peer(), r.unit(), r.ratio()));
        return sb.toString();
    }

    String json(List<Row> rows, String policy) {
        StringBuilder sb = new StringBuilder("{\"command\":\"compare\",\"peer\":\"libtorch 2.7.1 via DJL 0.36.0\",\"date\":\"")
                .append(LocalDate.now()).append("\",\"reps\":").append(reps).append(",\"quick\":").append(quick)
                .append(",\"omp_wait_policy\":").append(policy == null ? "null" : "\"" + esc(policy) + "\"").append(",\"rows\":[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (i > 0) sb.append(',');
            sb.append(String.format(Locale.ROOT, "{\"metric\":\"%s\",\"threads\":%d,\"ours\":%s,\"peer\":%s,\"unit\":\"%s\",\"ratio\":%s,\"higher_is_better\":%b}",
                    esc(r.metric()), r.threads(), num(r.ours()), num(r.peer()), esc(r.unit()), num(r.ratio()), r.higherIsBetter()));
        }
        return sb.append("]}").toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }

    private static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
