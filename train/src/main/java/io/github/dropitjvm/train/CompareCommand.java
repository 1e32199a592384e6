package io.github.dropitjvm.train;

import io.github.dropitjvm.train.run.AtomicFiles;
import io.github.dropitjvm.train.run.MiniJson;
import io.github.dropitjvm.train.run.Plots;
import io.github.dropitjvm.train.run.TrainConfig;
import io.github.dropitjvm.train.run.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code dropit compare}: trains every (γ, seed) of a grid, each in its own run directory {@code g<γ>-s<seed>},
 * skipping runs that already finished (their {@code result.json}) and resuming ones that were interrupted, then
 * writes {@code compare.md}, {@code compare.csv} (mean ± std of test accuracy and bytes held for backward per γ)
 * and {@code compare.png} (accuracy against bytes held). Several processes may work on one grid directory at once
 * (e.g. one per core): each claims a run before touching it ({@link RunClaim}), leaves runs claimed by another for
 * the end, and waits for those before writing the tables, so every process ends with the whole grid's table.
 * With {@code --report} it trains nothing and writes the tables of the runs finished so far, naming the others, so
 * that a grid that spans days can be read while it runs.
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        versionProvider = DropitVersion.class,
        sortOptions = false,
        description = {"Train a grid of DropIT drop rates × seeds and tabulate test accuracy against bytes held for backward.", ""},
        footer = {"", "Runs already finished (result.json in their directory) are skipped; interrupted ones resume from their"
                + " last checkpoint. Several compare processes may share one --out: a run one of them trains is left to it,"
                + " and each waits for the others' runs before writing compare.md, compare.csv and compare.png into --out.", "",
                "Exit codes: 0 all runs finished (with --report: the tables were written), 1 a run failed, 2 bad option (or a run"
                        + " made with other settings, or for --report no finished run), 3 a run hit a non-finite loss, 130 interrupted"
                        + " by Ctrl-C and 143 by SIGTERM (the run saves a checkpoint first)."})
public final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--gammas", paramLabel = "γ,γ,...", split = ",", defaultValue = "0,0.5,0.7,0.9",
            description = "DropIT drop rates to compare; 0 is the plain baseline (default: ${DEFAULT-VALUE}).")
    List<Double> gammas;

    @Option(names = "--seeds", paramLabel = "N", defaultValue = "3", description = "Seeds per γ: --first-seed, --first-seed+1, ... (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--first-seed", defaultValue = "1", description = "First seed (default: ${DEFAULT-VALUE}).")
    long firstSeed;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Directory of the grid (one sub-directory per run).")
    Path out;

    @Option(names = "--report", description = "Train nothing: write compare.md, compare.csv and compare.png from the runs finished so far,"
            + " naming the runs still missing (the grid's options as for training it, so that they are checked against its runs).")
    boolean report;

    @Mixin
    TrainOptions opts = new TrainOptions();

    /** One finished run. */
    record Row(double gamma, long seed, double testAcc, long heldBytes, long heldPlain) {}

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return grid(spec.commandLine().getOut(), err);
        } catch (IllegalArgumentException e) {
            // a bad option, or a grid directory these options cannot use
            err.println("dropit compare: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IOException e) {
            // a file of the grid that cannot be read or written: one line naming it, as train says it
            err.println("dropit compare: " + TrainCommand.describe(e));
            err.flush();
            return 1;
        }
    }

    private int grid(PrintWriter o, PrintWriter err) throws IOException {
        List<TrainConfig> grid = new ArrayList<>();
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
        if (gammas.isEmpty()) throw new IllegalArgumentException("--gammas needs at least one value");
        Set<Double> seen = new HashSet<>();
        for (int i = 0; i < gammas.size(); i++) {
            double g = gammas.get(i) + 0.0; // -0 is 0: the same run directory
            gammas.set(i, g);
            if (!(g >= 0 && g <= 1)) throw new IllegalArgumentException("--gammas: each γ must be in [0, 1], got " + g);
            if (!seen.add(g)) throw new IllegalArgumentException("--gammas lists γ " + gammaName(g) + " twice");
        }
        // Seed-major order: a grid stopped part-way already compares every γ on the seeds it finished.
        for (int s = 0; s < seeds; s++)
            for (double g : gammas) grid.add(opts.toConfig(g, firstSeed + s));
        String bad = out.toString().isEmpty() ? "is empty; give the grid's directory"
                : Files.exists(out) && !Files.isDirectory(out) ? "is a file, not a directory"
                : Files.exists(out.resolve(Trainer.CONFIG)) ? "is a run directory of dropit train, not a grid; choose another" : null;
        if (bad != null) throw new IllegalArgumentException("--out " + (out.toString().isEmpty() ? "" : out + " ") + bad);
        // Every run already there must have been made with these settings, finished or not: the table's title
        // states them, and a finished run is otherwise never read again. Checked here, before any work, and again
        // under each run's claim (another process may have made it meanwhile).
        for (TrainConfig cfg : grid) requireSameSettings(cfg);
        if (report) return report(grid, o);
        Files.createDirectories(out);
        boolean terminal = System.console() != null;
        // First pass: every run no other process holds; then the runs that were held, each once its holder lets go
        // (finished, it is skipped; stopped part-way, this process resumes it).
        List<TrainConfig> held = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            int i = 0;
            for (TrainConfig cfg : pass == 0 ? grid : List.copyOf(held)) {
                i++;
                String name = runName(cfg.gamma(), cfg.seed());
                String pos = pass == 0 ? i + "/" + grid.size() : "held " + i + "/" + held.size();
                if (Files.exists(out.resolve(name).resolve(Trainer.RESULT))) {
                    requireSameSettings(cfg);
                    o.printf(Locale.ROOT, "== run %s: %s already finished, skipped%n", pos, name);
                    o.flush();
                    continue;
                }
                int code;
                try (RunClaim claim = RunClaim.take(out.resolve(name), pass == 1, o)) {
                    if (claim == null) {
                        o.printf(Locale.ROOT, "== run %s: %s is being trained by another process; back to it at the end%n", pos, name);
                        o.flush();
                        held.add(cfg);
                        continue;
                    }
                    code = runOne(cfg, pos, o, err, terminal);
                }
                if (code != 0) return code;
            }
        }
        List<Row> rows = new ArrayList<>();
        for (TrainConfig cfg : grid) {
            requireSameSettings(cfg); // a run another process finished while this one waited
            rows.add(row(cfg));
        }
        writeTables(rows, List.of(), o);
        return 0;
    }

    /** --report: the tables of the runs finished so far, training nothing (no claim needed: result.json is written atomically). */
    private int report(List<TrainConfig> grid, PrintWriter o) throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (TrainConfig cfg : grid) {
            if (Files.exists(out.resolve(runName(cfg.gamma(), cfg.seed())).resolve(Trainer.RESULT))) rows.add(row(cfg));
            else missing.add(runName(cfg.gamma(), cfg.seed()));
        }
        if (!Files.isDirectory(out)) throw new IllegalArgumentException("--report: --out " + out + " does not exist");
        if (rows.isEmpty())
            throw new IllegalArgumentException("--report: no run of this grid has finished in " + out + " (no g<γ>-s<seed>/" + Trainer.RESULT + ")");
        writeTables(rows, missing, o);
        return 0;
    }

    /** The finished run of cfg, from its result.json. */
    private Row row(TrainConfig cfg) throws IOException {
        return MiniJson.read(out.resolve(runName(cfg.gamma(), cfg.seed())).resolve(Trainer.RESULT),
                r -> new Row(cfg.gamma(), cfg.seed(), MiniJson.num(r, "test_acc"), MiniJson.lng(r, "held_bytes_dropit"),
                        MiniJson.lng(r, "held_bytes_plain")));
    }

    /** Trains (or resumes, or skips if another process just finished it) one run this process has claimed; the exit code. */
    private int runOne(TrainConfig cfg, String pos, PrintWriter o, PrintWriter err, boolean terminal) throws IOException {
        Path dir = out.resolve(runName(cfg.gamma(), cfg.seed()));
        Path result = dir.resolve(Trainer.RESULT);
        if (Files.exists(result)) {
            o.printf(Locale.ROOT, "== run %s: %s finished by another process%n", pos, dir.getFileName());
            o.flush();
            return 0;
        }
        o.printf(Locale.ROOT, "== run %s: %s%n", pos, dir.getFileName());
        o.flush();
        Trainer t;
        if (Files.exists(dir.resolve(Trainer.CONFIG))) {
            requireSameSettings(cfg);
            // Started over only when it holds no complete checkpoint at all (it stopped before its first); one with
            // a checkpoint, even if only best is usable, is resumed, or refused with resume's own account of what is
            // wrong: nothing that could continue the run is deleted.
            t = anyCheckpoint(dir) ? Trainer.resume(dir, opts.dataDir, o, terminal) : restart(dir, cfg, o, terminal);
        } else {
            t = Trainer.start(cfg, dir, opts.dataDir, o, terminal);
        }
        int code = TrainCommand.runWithInterruptHook(t, err);
        if (code == 130) {
            err.println("dropit compare: stopped in run " + dir.getFileName() + "; the same dropit compare command continues the grid");
            err.flush();
            return code;
        }
        if (code != 0 || !Files.exists(result)) {
            err.println("dropit compare: run " + dir.getFileName() + " did not finish (exit " + code + "); stopping the grid");
            err.flush();
            return code == 2 || code == 3 ? code : 1;
        }
        return 0;
    }

    private static boolean anyCheckpoint(Path dir) {
        for (String c : new String[]{"last", "last.prev", "best", "best.prev"})
            if (Files.isRegularFile(dir.resolve("checkpoints").resolve(c).resolve(Trainer.STATE_FILE))) return true;
        return false;
    }

    /** Refuses a run directory of cfg that holds a run made with other settings, naming what differs. */
    private void requireSameSettings(TrainConfig cfg) throws IOException {
        Path c = out.resolve(runName(cfg.gamma(), cfg.seed())).resolve(Trainer.CONFIG);
        if (!Files.exists(c)) return;
        TrainConfig had = MiniJson.read(c, TrainConfig::fromJson);
        if (had.equals(cfg)) return;
        List<String> diff = new ArrayList<>();
        try {
            for (RecordComponent rc : TrainConfig.class.getRecordComponents()) {
                Object a = rc.getAccessor().invoke(had), b = rc.getAccessor().invoke(cfg);
                if (!a.equals(b)) diff.add(rc.getName() + " " + a + " there, " + b + " here");
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalArgumentException(c.getParent() + " holds a run made with other settings (" + String.join("; ", diff)
                + "; " + c + "); use another --out, or the settings it was made with");
    }

    /** A run that stopped before its first checkpoint: start it over in the same directory (this process's lock file stays). */
    private Trainer restart(Path dir, TrainConfig cfg, PrintWriter o, boolean terminal) throws IOException {
        try (var entries = Files.list(dir)) {
            for (Path p : entries.toList()) if (!p.getFileName().toString().equals(Trainer.LOCK_FILE)) AtomicFiles.deleteTree(p);
        }
        return Trainer.start(cfg, dir, opts.dataDir, o, terminal);
    }

    /** compare.md/.csv/.png of these finished runs; {@code missing} names the grid's runs not among them (a --report). */
    private void writeTables(List<Row> rows, List<String> missing, PrintWriter o) throws IOException {
        Map<Double, List<Row>> byGamma = new LinkedHashMap<>(); // in --gammas order, whichever runs a report lacks
        for (double g : gammas) byGamma.put(g, new ArrayList<>());
        for (Row r : rows) byGamma.get(r.gamma()).add(r);
        byGamma.values().removeIf(List::isEmpty);
        StringBuilder md = new StringBuilder(), csv = new StringBuilder();
        TrainConfig c0 = opts.toConfig(0, firstSeed);
        md.append(String.format(Locale.ROOT, "# DropIT comparison: %s on %s, %d epochs, batch %d, %s%s, %d seed(s)%n%n",
                c0.model(), c0.dataset(), c0.epochs(), c0.batchSize(), c0.strategy().id(), c0.augment() ? "" : ", no augmentation", seeds));
        if (!missing.isEmpty())
            md.append(String.format(Locale.ROOT, "Partial: %d of %d runs finished; not yet: %s. Each γ's mean is over the seeds it"
                            + " has finished, so \"vs plain\" may compare different seeds.%n%n", rows.size(), rows.size() + missing.size(),
                    String.join(", ", missing)));
        md.append("| γ | runs | test accuracy (%) | vs plain (points) | bytes held for backward (1 batch) | vs plain |\n|---|---|---|---|---|---|\n");
        csv.append("gamma,runs,test_acc_mean,test_acc_std,held_bytes_mean,held_bytes_std,held_vs_plain,test_acc_vs_plain\n");
        // accuracy against the plain runs' mean, where the grid has γ 0
        List<Row> plainRows = byGamma.getOrDefault(0.0, List.of());
        double plainAcc = plainRows.isEmpty() ? Double.NaN : mean(plainRows.stream().mapToDouble(r -> 100 * r.testAcc()).toArray());
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>(), es = new ArrayList<>();
        List<double[]> dots = new ArrayList<>();
        for (Map.Entry<Double, List<Row>> e : byGamma.entrySet()) {
            List<Row> rs = e.getValue();
            double[] acc = rs.stream().mapToDouble(r -> 100 * r.testAcc()).toArray();
            double[] held = rs.stream().mapToDouble(Row::heldBytes).toArray();
            double[] plain = rs.stream().mapToDouble(Row::heldPlain).toArray();
            double ratio = mean(held) / mean(plain);
            double delta = mean(acc) - plainAcc;
            md.append(String.format(Locale.ROOT, "| %s | %d | %.2f ± %.2f | %s | %s ± %s | %.1f%% |%n", gammaName(e.getKey()), rs.size(),
                    mean(acc), std(acc), Double.isNaN(delta) ? "–" : String.format(Locale.ROOT, "%+.2f", delta),
                    Plots.bytes(mean(held)), Plots.bytes(std(held)), 100 * ratio));
            csv.append(String.format(Locale.ROOT, "%s,%d,%.4f,%.4f,%.1f,%.1f,%.4f,%s%n", gammaName(e.getKey()), rs.size(),
                    mean(acc), std(acc), mean(held), std(held), ratio, Double.isNaN(delta) ? "" : String.format(Locale.ROOT, "%.4f", delta)));
            xs.add(mean(held) / (1 << 20));
            ys.add(mean(acc));
            es.add(std(acc));
            for (Row r : rs) dots.add(new double[]{r.heldBytes() / (double) (1 << 20), 100 * r.testAcc()});
        }
        md.append("\nstd is the sample standard deviation over seeds (0 for one seed). Bytes held: one training forward of the"
                + " same batch, measured by BackwardMemory after training.\n");
        AtomicFiles.writeString(out.resolve("compare.md"), md.toString());
        AtomicFiles.writeString(out.resolve("compare.csv"), csv.toString());
        double[] dx = dots.stream().mapToDouble(d -> d[0]).toArray(), dy = dots.stream().mapToDouble(d -> d[1]).toArray();
        Plots.chart(out.resolve("compare.png"), "Test accuracy vs bytes held for backward (γ = " + byGamma.keySet().stream()
                        .map(CompareCommand::gammaName).toList() + ")", "bytes held for backward, one batch (MiB)", "test accuracy (%)",
                List.of(new Plots.Series("mean ± std per γ", arr(xs), arr(ys), arr(es), true),
                        new Plots.Series("each run", dx, dy, false)));
        o.print(md);
        o.println("written: " + out.resolve("compare.md") + ", compare.csv, compare.png");
        o.flush();
    }

    private static double[] arr(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) s += v;
        return s / a.length;
    }

    static double std(double[] a) {
        if (a.length < 2) return 0;
        double m = mean(a), s = 0;
        for (double v : a) s += (v - m) * (v - m);
        return Math.sqrt(s / (a.length - 1));
    }

    /** 0.7 → "0.7", 0 → "0", 0.50 → "0.5". */
    static String gammaName(double g) {
        return new BigDecimal(Double.toString(g)).stripTrailingZeros().toPlainString();
    }

    static String runName(double gamma, long seed) {
        return "g" + gammaName(gamma) + "-s" + seed;
    }
}
