package io.github.dropitjvm.train;

import io.github.dropitjvm.train.data.DataException;
import io.github.dropitjvm.train.run.TrainConfig;
import io.github.dropitjvm.train.run.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code dropit train}: trains one model, optionally with DropIT; see {@link Trainer}. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        versionProvider = DropitVersion.class,
        sortOptions = false,
        description = {
            "Train a model preset on a dataset, optionally with DropIT (--dropit-gamma > 0), writing metrics, plots and"
                    + " checkpoints into the run directory. Ctrl-C saves a mid-epoch checkpoint; --resume continues it so"
                    + " that the loss trajectory is bit-identical to an uninterrupted run.",
            ""},
        footer = {
            "",
            "Run directory: config.json, metrics.jsonl (one line per step and per epoch), loss.png, accuracy.png,"
                    + " held-bytes.png (bytes held for backward per module, plain vs DropIT), summary.txt, result.json (when"
                    + " finished), checkpoints/last and checkpoints/best (best validation accuracy), each with"
                    + " model.safetensors, model.optim.safetensors and trainer.json.",
            "",
            "Exit codes: 0 finished, 1 error, 2 bad option (or the run directory is in use by another process), 3 non-finite"
                    + " loss, 130 interrupted by Ctrl-C and 143 by SIGTERM (either way a checkpoint is saved first)."
        })
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrainOptions opts = new TrainOptions();

    @Option(names = "--dropit-gamma", paramLabel = "γ", defaultValue = "0",
            description = "DropIT drop rate γ in [0, 1]: the fraction of each converted Linear/Conv input dropped from the"
                    + " backward cache; 0 trains plain (default: ${DEFAULT-VALUE}).")
    double gamma;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of model init, data order, validation split and DropIT's random strategy (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "RUN-DIR", description = "Run directory to create: a new or empty directory (default: runs/<time>-<model>-g<γ>-s<seed>).")
    Path out;

    @Option(names = "--resume", paramLabel = "RUN-DIR",
            description = "Continue the run in RUN-DIR from its last checkpoint with the settings it started with"
                    + " (only --threads and --data-dir may be given with it).")
    Path resume;

    @Option(names = "--stop-after-steps", hidden = true, defaultValue = "0", description = "Test hook: act as on Ctrl-C after N steps.")
    long stopAfterSteps;

    @Option(names = "--kill-after-steps", hidden = true, defaultValue = "0", description = "Test hook: stop dead after N steps, saving nothing.")
    long killAfterSteps;

    private static final Set<String> ALLOWED_WITH_RESUME = Set.of("--resume", "--threads", "--data-dir",
            "--stop-after-steps", "--kill-after-steps");

    @Override
    public Integer call() throws Exception {
        PrintWriter pw = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = System.console() != null;
        Path dir = resume != null ? resume : out;
        RunClaim claim = null;
        boolean created = false;
        try {
            Trainer trainer;
            try {
                opts.checkThreads();
                TrainConfig cfg = null;
                if (resume != null) {
                    List<String> extra = spec.commandLine().getParseResult().matchedOptions().stream()
                            .map(OptionSpec::longestName).filter(n -> !ALLOWED_WITH_RESUME.contains(n)).toList();
                    if (!extra.isEmpty())
                        throw new IllegalArgumentException("--resume takes the run's settings from " + resume.resolve(Trainer.CONFIG)
                                + "; drop " + String.join(", ", extra));
                } else {
                    cfg = opts.toConfig(gamma, seed);
                    if (dir == null) dir = defaultRunDir(cfg);
                }
                String opt = resume != null ? "--resume" : "--out";
                if (dir.toString().isEmpty()) throw new IllegalArgumentException(opt + " is empty; give a run directory");
                created = resume == null && !Files.exists(dir);
                // A run to resume is claimed before its checks, so that no other process changes it in between; a new
                // one after them (they refuse a directory holding anything, and the claim would leave its lock file).
                if (resume != null && Files.isRegularFile(dir.resolve(Trainer.CONFIG))) claim = claim(dir, opt); // no lock file in a non-run
                trainer = resume != null ? Trainer.resume(dir, opts.dataDir, pw, terminal) : Trainer.start(cfg, dir, opts.dataDir, pw, terminal);
                if (resume == null) claim = claim(dir, opt);
            } catch (IllegalArgumentException e) {
                err.println("dropit train: " + e.getMessage());
                err.flush();
                return 2;
            } catch (IOException e) {
                err.println("dropit train: " + describe(e));
                err.flush();
                return 1;
            }
            trainer.stopAfterSteps(stopAfterSteps).killAfterSteps(killAfterSteps);
            return runWithInterruptHook(trainer, err);
        } finally {
            if (claim != null) {
                claim.close();
                // a new run that never started (bad data, say) leaves the directory as it found it
                if (resume == null && !Files.exists(dir.resolve(Trainer.CONFIG))) {
                    Files.deleteIfExists(dir.resolve(Trainer.LOCK_FILE));
                    if (created) {
                        try {
                            Files.deleteIfExists(dir);
                        } catch (java.nio.file.DirectoryNotEmptyException ignored) {
                            // something else was written there: keep it
                        }
                    }
                }
            }
        }
    }

    /** Claims run directory dir for this process, or refuses when another holds it. */
    private RunClaim claim(Path dir, String opt) throws IOException {
        RunClaim c = RunClaim.take(dir, false, spec.commandLine().getOut());
        if (c == null)
            throw new IllegalArgumentException(opt + " " + dir + " is in use: another process is training it (it holds "
                    + dir.resolve(Trainer.LOCK_FILE) + ")");
        return c;
    }

    /** Runs the trainer with a shutdown hook that, on Ctrl-C, lets it save a mid-epoch checkpoint before the JVM exits. */
    static int runWithInterruptHook(Trainer trainer, PrintWriter err) {
        // The hook holds the JVM's exit until the run has saved its checkpoint and said so (the JVM ends when the
        // hook returns, and a line the main thread had yet to print would be lost).
        CountDownLatch reported = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                if (!reported.await(120, TimeUnit.SECONDS)) System.err.println("dropit train: gave up waiting for the checkpoint after 120 s");
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "dropit-train-interrupt");
        boolean hooked = true;
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException | SecurityException e) {
            hooked = false;
        }
        try {
            Trainer.Result r = trainer.run();
            return switch (r.outcome()) {
                case DONE -> 0;
                case STOPPED -> {
                    err.println("dropit train: " + r.message());
                    yield trainer.stopWasRequested() ? 130 : 0;
                }
                case KILLED -> {
                    err.println("dropit train: " + r.message());
                    yield 137;
                }
                case NON_FINITE -> {
                    err.println("dropit train: " + r.message());
                    yield 3;
                }
            };
        } catch (IllegalArgumentException e) {
            err.println("dropit train: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("dropit train: failed: " + describe(e));
            return 1;
        } finally {
            err.flush();
            reported.countDown();
            if (hooked) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // the JVM is shutting down (Ctrl-C): the hook is running and waits for us
                }
            }
        }
    }

    /**
     * What went wrong, in words: a data problem's own message, a file system error as the file and the reason (Java
     * names the file alone in most of them, e.g. a NoSuchFileException's message is just the path), anything else
     * as the exception itself.
     */
    static String describe(Exception e) {
        if (e instanceof DataException) return e.getMessage();
        if (e instanceof IOException io) return DataException.why(io);
        return e.toString();
    }

    /**
     * runs/&lt;time&gt;-&lt;model&gt;-g&lt;γ&gt;-s&lt;seed&gt;, with -2, -3, ... appended while that is taken (runs started in the
     * same second).
     */
    static Path defaultRunDir(TrainConfig cfg) {
        String t = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
        String name = t + "-" + cfg.model() + "-g" + CompareCommand.gammaName(cfg.gamma()) + "-s" + cfg.seed();
        Path p = Path.of("runs", name);
        for (int i = 2; Files.exists(p); i++) p = Path.of("runs", name + "-" + i);
        return p;
    }
}
