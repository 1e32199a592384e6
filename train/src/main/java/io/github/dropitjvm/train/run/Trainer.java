package io.github.dropitjvm.train.run;

import io.github.dropitjvm.autograd.BackwardMemory;
import io.github.dropitjvm.autograd.GradMode;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.DropItConfig;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.io.Checkpoints;
import io.github.dropitjvm.nn.models.Presets;
import io.github.dropitjvm.nn.optim.AdamW;
import io.github.dropitjvm.nn.optim.LrSchedule;
import io.github.dropitjvm.nn.optim.Optimizer;
import io.github.dropitjvm.nn.optim.ParamGroups;
import io.github.dropitjvm.nn.optim.Sgd;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.JvmRequirements;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.train.data.Batch;
import io.github.dropitjvm.train.data.Datasets;
import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.train.data.ImageSet;
import io.github.dropitjvm.train.data.TrainValidation;
import io.github.dropitjvm.train.data.Loader;
import io.github.dropitjvm.train.data.Split;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop of {@code dropit train}: seeded data order, AdamW or SGD with warm-up + cosine learning rate,
 * label-smoothed cross-entropy, optional DropIT; per-step and per-epoch metrics, checkpoints each epoch and on
 * request (Ctrl-C), resume that reproduces the uninterrupted run's loss trajectory bit for bit, and a stop with
 * a clear message on a non-finite loss.
 *
 * <p>Run directory layout: {@code config.json} (the {@link TrainConfig}), {@code metrics.jsonl},
 * {@code checkpoints/last/} and {@code checkpoints/best/} (each {@code model.safetensors},
 * {@code model.optim.safetensors}, {@code trainer.json}), {@code loss.png}, {@code accuracy.png},
 * {@code held-bytes.png}, {@code summary.txt} and, once finished, {@code result.json}.
 */
public final class Trainer {
    public static final String CONFIG = "config.json", METRICS = "metrics.jsonl", RESULT = "result.json";
    public static final String MODEL_FILE = "model.safetensors", STATE_FILE = "trainer.json";

    public enum Outcome { DONE, STOPPED, KILLED, NON_FINITE }

    /** What a run ended with. Accuracies in [0, 1]; -1 where not measured. */
    public record Result(Outcome outcome, String message, double testAcc, double bestValAcc, int bestEpoch,
                         double bestTestAcc, long steps, double seconds, long heldPlain, long heldDropit, long peakHeap) {
        public Map<String, Object> toJson(TrainConfig cfg) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", outcome.name().toLowerCase(Locale.ROOT));
            m.put("dropit_gamma", cfg.gamma());
            m.put("seed", cfg.seed());
            m.put("test_acc", testAcc);
            m.put("best_val_acc", bestValAcc);
            m.put("best_epoch", bestEpoch);
            m.put("best_test_acc", bestTestAcc);
            m.put("steps", steps);
            m.put("seconds", seconds);
            m.put("held_bytes_plain", heldPlain);
            m.put("held_bytes_dropit", heldDropit);
            m.put("peak_heap_bytes", peakHeap);
            m.put("code", JvmRequirements.versionString());
            return m;
        }
    }

    private final TrainConfig cfg;
    private final Path runDir, dataDir;
    private final boolean resume;
    private final PrintWriter out;
    private final boolean terminal;
    private long stopAfterSteps, killAfterSteps;
    private volatile boolean stopRequested;
    private Module model;

    private Trainer(TrainConfig cfg, Path runDir, Path dataDir, boolean resume, PrintWriter out, boolean terminal) {
        this.cfg = cfg;
        this.runDir = runDir;
        this.dataDir = dataDir;
        this.resume = resume;
        this.out = out;
        this.terminal = terminal;
    }

    /**
     * A new run in {@code runDir}: a directory not there yet, or an empty one (a claim's lock file aside), so that
     * the run's files never mix with others.
     */
    public static Trainer start(TrainConfig cfg, Path runDir, Path dataDir, PrintWriter out, boolean terminal) throws IOException {
        if (runDir.toString().isEmpty()) throw new IllegalArgumentException("--out is empty; give the run directory to create");
        if (Files.exists(runDir.resolve(CONFIG)))
            throw new IllegalArgumentException("--out " + runDir + " already holds a run; continue it with --resume " + runDir + " or choose another --out");
        if (Files.exists(runDir) && !Files.isDirectory(runDir))
            throw new IllegalArgumentException("--out " + runDir + " is a file, not a directory; choose another --out");
        if (Files.isDirectory(runDir)) {
            try (var entries = Files.list(runDir)) {
                List<String> other = entries.map(p -> p.getFileName().toString()).filter(n -> !n.equals(LOCK_FILE)).sorted().toList();
                if (!other.isEmpty())
                    throw new IllegalArgumentException("--out " + runDir + " is a directory that holds other files (" + String.join(", ",
                            other.subList(0, Math.min(3, other.size()))) + (other.size() > 3 ? ", ..." : "")
                            + ") and no run; choose a new or empty directory");
            }
        }
        return new Trainer(cfg, runDir, dataDir, false, out, terminal);
    }

    /** The lock file a process holding a run directory keeps in it (see the train module's RunClaim). */
    public static final String LOCK_FILE = ".lock";

    /** Continues the run in {@code runDir} with the configuration it was started with. */
    public static Trainer resume(Path runDir, Path dataDir, PrintWriter out, boolean terminal) throws IOException {
        if (runDir.toString().isEmpty()) throw new IllegalArgumentException("--resume is empty; give the run directory to continue");
        Path c = runDir.resolve(CONFIG);
        if (!Files.isDirectory(runDir)) throw new IllegalArgumentException("--resume " + runDir + ": no such directory");
        if (!Files.exists(c)) throw new IllegalArgumentException("--resume " + runDir + ": no " + CONFIG + " there, not a run directory");
        if (Files.exists(runDir.resolve(RESULT)))
            throw new IllegalArgumentException("--resume " + runDir + ": the run already finished (" + RESULT + "); nothing to continue");
        if (lastCheckpoint(runDir) == null) {
            Path best = runDir.resolve("checkpoints/best");
            throw new IllegalArgumentException("--resume " + runDir + ": no usable checkpoint in checkpoints/last (nor last.prev)"
                    + (Files.isRegularFile(best.resolve(STATE_FILE))
                            ? "; checkpoints/best is complete, and moving it to checkpoints/last continues the run from there"
                            : Files.exists(runDir.resolve("checkpoints"))
                                    ? "; checkpoints/ holds no complete one either"
                                    : "; the run stopped before its first checkpoint: delete " + runDir + " and start it again, or use another --out"));
        }
        TrainConfig cfg = MiniJson.read(c, TrainConfig::fromJson);
        return new Trainer(cfg, runDir, dataDir, true, out, terminal);
    }

    public TrainConfig config() { return cfg; }

    /** The model being trained (after {@link #run}). */
    public Module model() { return model; }

    /** Test hook: behave as after Ctrl-C (save a mid-epoch checkpoint and stop) once this many steps are done. */
    public Trainer stopAfterSteps(long n) { stopAfterSteps = n; return this; }

    /** Test hook: stop dead once this many steps are done, saving nothing (as a SIGKILL would). */
    public Trainer killAfterSteps(long n) { killAfterSteps = n; return this; }

    /** Asks the loop to save a checkpoint after the current step and stop (Ctrl-C's shutdown hook calls this). */
    public void requestStop() { stopRequested = true; }

    public boolean stopWasRequested() { return stopRequested; }

    static Path lastCheckpoint(Path runDir) {
        Path d = runDir.resolve("checkpoints");
        for (String n : new String[]{"last", "last.prev"}) {
            Path p = d.resolve(n);
            if (Files.isRegularFile(p.resolve(STATE_FILE))) return p;
        }
        return null;
    }

    // ================================================================== the run

    public Result run() throws IOException {
        long t0 = System.nanoTime();
        // ---- backend: every tensor of the run (data, parameters, activations) is created on it
        Backends.setDefault(Backends.byName(cfg.backend()));
        // ---- data
        Split split;
        try {
            split = Datasets.load(cfg.dataset(), dataDir);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--dataset: " + e.getMessage(), e);
        }
        ImageSet train = split.train(), test = split.test();
        if (cfg.trainLimit() > 0) train = train.first(cfg.trainLimit());
        if (cfg.testLimit() > 0) test = test.first(cfg.testLimit());
        int valSize = Math.min(cfg.valSize(), train.size() / 10);
        String valNote = valSize < cfg.valSize() ? " (--val-size " + cfg.valSize() + " capped at a tenth of the training images)" : "";
        ImageSet val = null;
        if (valSize > 0) {
            TrainValidation tv = Datasets.validationSplit(train, valSize, cfg.seed());
            train = tv.train();
            val = tv.validation();
        }
        int channels = train.channels(), classes = train.numClasses();
        int[] want;
        try {
            want = Presets.inputShape(cfg.model(), channels);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--model: " + e.getMessage(), e);
        }
        if (want[0] != channels || want[1] != train.height() || want[2] != train.width())
            throw new IllegalArgumentException("--model " + cfg.model() + " takes " + want[0] + "x" + want[1] + "x" + want[2]
                    + " images but --dataset " + cfg.dataset() + " has " + channels + "x" + train.height() + "x" + train.width());
        Loader loader = trainingLoader(cfg, train);
        int batches = loader.batchesPerEpoch();
        if (batches == 0)
            throw new IllegalArgumentException("--batch-size " + cfg.batchSize() + " is larger than the " + train.size() + " training images");
        Loader valLoader = val == null ? null : new Loader(val, cfg.batchSize(), false, false, cfg.seed(),
                Datasets.augmentationFor(cfg.dataset(), false), Datasets.normalizationFor(cfg.dataset()));
        Loader testLoader = new Loader(test, cfg.batchSize(), false, false, cfg.seed(),
                Datasets.augmentationFor(cfg.dataset(), false), Datasets.normalizationFor(cfg.dataset()));

        // ---- model, DropIT, optimizer, schedule
        model = Presets.create(cfg.model(), channels, classes, cfg.seed());
        DropItConfig dropIt = null;
        List<Module> dropitLayers = new ArrayList<>();
        if (cfg.dropit()) {
            dropIt = DropItConfig.of(cfg.gamma()).withStrategy(cfg.strategy()).withFormat(cfg.cacheFormat()).withRescale(false, cfg.seed());
            DropIt.Report rep = DropIt.convert(model, dropIt);
            model.visit(m -> { if (DropIt.cacheOf(m) != null) dropitLayers.add(m); });
            out.printf(Locale.ROOT, "DropIT γ=%s (%s, %s): %d layers converted, %s left dense%n", cfg.gamma(),
                    cfg.strategy().id(), cfg.cacheFormat().id(), rep.converted().size(), rep.skipped());
        }
        Optimizer opt = cfg.optimizer().equals("adamw")
                ? new AdamW(ParamGroups.timmWeightDecay(model.namedParameters(), cfg.weightDecay()), cfg.lr())
                : new Sgd(ParamGroups.timmWeightDecay(model.namedParameters(), cfg.weightDecay()), cfg.lr(), cfg.momentum(), false);
        long totalSteps = (long) cfg.epochs() * batches;
        LrSchedule schedule = new LrSchedule.WarmupCosine(cfg.lr(), cfg.warmupSteps(batches), totalSteps, cfg.minLr());

        // ---- fresh start or resume
        // The directory was checked and claimed before: made again here only for a new run (a run to resume that
        // vanished meanwhile is an error below, not a fresh directory).
        if (!resume) Files.createDirectories(runDir);
        TrainerState st;
        if (resume) {
            Path ck = lastCheckpoint(runDir);
            Map<String, String> mm, om;
            try {
                st = MiniJson.read(ck.resolve(STATE_FILE), TrainerState::fromJson);
                mm = Checkpoints.load(model, ck.resolve(MODEL_FILE));
                om = Checkpoints.loadOptimizer(opt, Checkpoints.optimizerPath(ck.resolve(MODEL_FILE)));
            } catch (IOException e) {
                throw new IOException("checkpoint " + ck + " cannot be loaded: " + e.getMessage()
                        + (Files.isRegularFile(runDir.resolve("checkpoints/best/" + STATE_FILE))
                                ? " (checkpoints/best, moved to checkpoints/last, would continue the run from there)" : ""), e);
            }
            String s = Long.toString(st.globalStep());
            if (!s.equals(mm.get("dropit_step")) || !s.equals(om.get(Checkpoints.STEP_KEY)))
                throw new IOException("checkpoint " + ck + " is inconsistent: trainer at step " + s + ", model file at "
                        + mm.get("dropit_step") + ", optimizer file at " + om.get(Checkpoints.STEP_KEY));
            restoreDropItSteps(dropitLayers, st.dropitSteps());
            truncateMetrics(st);
            out.printf(Locale.ROOT, "resuming %s from %s: epoch %d, batch %d/%d, step %d%n", runDir, ck.getFileName(),
                    st.epoch() + 1, st.batch(), batches, st.globalStep());
        } else {
            AtomicFiles.writeString(runDir.resolve(CONFIG), MiniJson.write(cfg.toJson()) + "\n");
            Files.deleteIfExists(runDir.resolve(METRICS));
            st = TrainerState.fresh(cfg.seed());
            out.printf(Locale.ROOT, "training %s (%,d parameters) on %s: %d train / %d val%s / %d test images, %d epoch(s) of %d steps%s%n",
                    cfg.model(), model.parameterCount(), cfg.dataset(), train.size(), val == null ? 0 : val.size(), valNote, test.size(),
                    cfg.epochs(), batches, cfg.augment() ? "" : ", no augmentation");
            long warm = cfg.warmupSteps(batches);
            if (warm >= totalSteps && warm > 0)
                out.printf(Locale.ROOT, "note: the warm-up (--warmup %s, %d steps) spans the whole run of %d steps, so the learning rate"
                        + " stays below --lr %s and never decays%n", cfg.warmup(), warm, totalSteps, cfg.lr());
        }
        out.flush();

        // ---- the loop
        long globalStep = st.globalStep();
        int epoch = st.epoch(), startBatch = st.batch();
        double lossSum = st.epochLossSum(), epochSecs = st.epochSeconds(), totalSecs = st.totalSeconds();
        long lossCount = st.epochLossCount();
        double bestVal = st.bestValAcc(), bestTest = st.bestTestAcc(), lastTest = -1;
        int bestEpoch = st.bestEpoch();
        Progress progress = new Progress(out, terminal, batches);
        try (BufferedWriter metrics = Files.newBufferedWriter(runDir.resolve(METRICS), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            for (; epoch < cfg.epochs(); epoch++, startBatch = 0) {
                model.train();
                Iterator<Batch> it = loader.epoch(epoch, startBatch);
                double smoothRate = 0;
                while (it.hasNext()) {
                    long s0 = System.nanoTime();
                    Batch b = it.next();
                    double lr = schedule.lr(globalStep);
                    opt.setLr(lr);
                    opt.zeroGrad();
                    boolean measure = b.index() == 0 || globalStep == st.globalStep();
                    long held = -1;
                    Variable loss;
                    if (measure) {
                        try (BackwardMemory tracker = BackwardMemory.track()) {
                            loss = Losses.crossEntropy(model.forward(Variable.constant(b.images())), b.labels(), cfg.labelSmoothing());
                            held = tracker.report().activationBytes();
                        }
                    } else {
                        loss = Losses.crossEntropy(model.forward(Variable.constant(b.images())), b.labels(), cfg.labelSmoothing());
                    }
                    float l = loss.item();
                    if (!Float.isFinite(l)) {
                        progress.endEpoch();
                        Path ck = lastCheckpoint(runDir);
                        String msg = String.format(Locale.ROOT, "loss became %s at step %d (epoch %d, batch %d, lr %.3g): stopping. %s",
                                l, globalStep + 1, epoch + 1, b.index() + 1, lr,
                                ck == null ? "No checkpoint was written yet." : "The last good checkpoint stays in " + ck + ".");
                        return finish(Outcome.NON_FINITE, msg, lastTest, bestVal, bestEpoch, bestTest, globalStep, totalSecs, -1, -1);
                    }
                    loss.backward();
                    opt.step();
                    globalStep++;
                    lossSum += l;
                    lossCount++;
                    double dt = (System.nanoTime() - s0) / 1e9;
                    epochSecs += dt;
                    totalSecs += dt;
                    double rate = b.size() / dt;
                    smoothRate = smoothRate == 0 ? rate : 0.9 * smoothRate + 0.1 * rate;
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("type", "step");
                    rec.put("step", globalStep);
                    rec.put("epoch", epoch);
                    rec.put("batch", b.index());
                    rec.put("loss", l);
                    rec.put("lr", lr);
                    rec.put("images_per_s", Math.round(rate * 10) / 10.0);
                    if (held >= 0) rec.put("held_bytes", held);
                    metrics.write(MiniJson.write(rec));
                    metrics.newLine();
                    metrics.flush();
                    progress.update(epoch, cfg.epochs(), b.index(), l, smoothRate, (batches - b.index() - 1) * b.size() / smoothRate);

                    if (killAfterSteps > 0 && globalStep >= killAfterSteps) {
                        progress.endEpoch();
                        return finish(Outcome.KILLED, "killed after step " + globalStep + " (test hook)", lastTest, bestVal,
                                bestEpoch, bestTest, globalStep, totalSecs, -1, -1);
                    }
                    if (stopRequested || (stopAfterSteps > 0 && globalStep >= stopAfterSteps)) {
                        progress.endEpoch();
                        TrainerState now = new TrainerState(epoch, b.index() + 1, globalStep, bestVal, bestEpoch, bestTest,
                                lossSum, lossCount, epochSecs, totalSecs, cfg.seed(), layerSteps(dropitLayers));
                        saveCheckpoint("last", opt, now);
                        return finish(Outcome.STOPPED, "stopped after step " + globalStep + " (epoch " + (epoch + 1) + ", batch "
                                + (b.index() + 1) + "/" + batches + "); checkpoint saved, continue with --resume " + runDir,
                                lastTest, bestVal, bestEpoch, bestTest, globalStep, totalSecs, -1, -1);
                    }
                }
                progress.endEpoch();
                // ---- end of epoch: evaluate, log, checkpoint
                double valAcc = valLoader == null ? -1 : accuracy(model, valLoader);
                lastTest = accuracy(model, testLoader);
                double trainLoss = lossCount == 0 ? Double.NaN : lossSum / lossCount;
                boolean better = valLoader == null ? true : valAcc > bestVal;
                if (better) {
                    bestVal = valAcc;
                    bestEpoch = epoch;
                    bestTest = lastTest;
                }
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("type", "epoch");
                rec.put("epoch", epoch);
                rec.put("step", globalStep);
                if (Double.isFinite(trainLoss)) rec.put("train_loss", trainLoss);
                if (valAcc >= 0) rec.put("val_acc", valAcc);
                rec.put("test_acc", lastTest);
                rec.put("time_s", Math.round(epochSecs * 1000) / 1000.0);
                // Which build ran this epoch: a run resumed on other code says so here.
                rec.put("code", JvmRequirements.versionString());
                metrics.write(MiniJson.write(rec));
                metrics.newLine();
                metrics.flush();
                out.printf(Locale.ROOT, "epoch %d/%d  train loss %.4f  val acc %s  test acc %.2f%%  %s%s%n", epoch + 1, cfg.epochs(),
                        trainLoss, valAcc >= 0 ? String.format(Locale.ROOT, "%.2f%%", 100 * valAcc) : "-", 100 * lastTest,
                        Progress.time(epochSecs), better && valLoader != null ? "  (best)" : "");
                out.flush();
                lossSum = 0;
                lossCount = 0;
                epochSecs = 0;
                TrainerState now = new TrainerState(epoch + 1, 0, globalStep, bestVal, bestEpoch, bestTest, 0, 0, 0, totalSecs,
                        cfg.seed(), layerSteps(dropitLayers));
                saveCheckpoint("last", opt, now);
                if (better) copyCheckpoint("last", "best");
                if (stopRequested) {
                    return finish(Outcome.STOPPED, "stopped after epoch " + (epoch + 1) + "; continue with --resume " + runDir,
                            lastTest, bestVal, bestEpoch, bestTest, globalStep, totalSecs, -1, -1);
                }
            }
        }
        if (lastTest < 0) lastTest = accuracy(model, testLoader); // resumed after the last epoch's checkpoint
        // ---- held bytes, plain vs DropIT, on one batch
        Batch probe = loader.epoch(0, 0).next();
        HeldMemory.Result hm = HeldMemory.measure(cfg, model, channels, classes, probe, dropIt);
        writeHeldPlot(hm);
        long plain = hm.plain().activationBytes(), withDropit = hm.dropitOrPlainBytes();
        Result r = finish(Outcome.DONE, "done", lastTest, bestVal, bestEpoch, bestTest, globalStep, totalSecs, plain, withDropit);
        Map<String, Object> json = r.toJson(cfg);
        json.put("expected_held_bytes_dropit", hm.expectedDropit());
        requireOwnDirectory();
        AtomicFiles.writeString(runDir.resolve(RESULT), MiniJson.write(json) + "\n");
        String summary = summary(r, hm, (System.nanoTime() - t0) / 1e9);
        AtomicFiles.writeString(runDir.resolve("summary.txt"), summary);
        out.print(summary);
        out.flush();
        return r;
    }

    /** The training batches: shuffled per epoch, last partial batch dropped, augmented unless the config says off. */
    static Loader trainingLoader(TrainConfig cfg, ImageSet train) {
        return new Loader(train, cfg.batchSize(), true, true, cfg.seed(), Datasets.augmentationFor(cfg.dataset(), cfg.augment()),
                Datasets.normalizationFor(cfg.dataset()));
    }

    private Result finish(Outcome o, String msg, double test, double bestVal, int bestEpoch, double bestTest, long steps,
                          double secs, long plain, long dropit) throws IOException {
        requireOwnDirectory();
        writeCurvePlots();
        return new Result(o, msg, test, bestVal, bestEpoch, bestTest, steps, secs, plain, dropit, peakHeap());
    }

    // ================================================================== evaluation

    /** Top-1 accuracy in eval mode without a graph (DropIT selects nothing there; its counters do not move). */
    static double accuracy(Module model, Loader loader) {
        model.eval();
        long right = 0, n = 0;
        try (GradMode.Scope s = GradMode.noGrad()) {
            Iterator<Batch> it = loader.epoch(0, 0);
            while (it.hasNext()) {
                Batch b = it.next();
                Tensor pred = model.forward(Variable.constant(b.images())).data().argmax(1, false);
                long[] p = pred.dtype() == DType.INT64 ? pred.toLongArray() : toLong(pred.toIntArray());
                int[] y = b.labels().toIntArray();
                for (int i = 0; i < y.length; i++) if (p[i] == y[i]) right++;
                n += y.length;
            }
        } finally {
            model.train();
        }
        return n == 0 ? 0 : (double) right / n;
    }

    private static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    // ================================================================== DropIT step counters

    private static Map<String, Long> layerSteps(List<Module> layers) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Module l : layers) m.put(l.name(), (long) DropIt.cacheOf(l).step());
        return m;
    }

    /** Brings each converted layer's DropIT step counter back to its saved value. */
    private static void restoreDropItSteps(List<Module> layers, Map<String, Long> saved) {
        Map<String, Long> want = new LinkedHashMap<>(saved);
        for (Module l : layers) {
            Long n = want.remove(l.name());
            if (n == null) throw new IllegalStateException("checkpoint has no DropIT step counter for layer " + l.name());
            DropIt.cacheOf(l).setStep(Math.toIntExact(n));
        }
        if (!want.isEmpty()) throw new IllegalStateException("checkpoint has DropIT step counters for unknown layers " + want.keySet());
    }

    // ================================================================== checkpoints

    /**
     * Writes model, optimizer and trainer state into {@code checkpoints/<name>.tmp}, then swaps it in for
     * {@code <name>} (old one renamed to {@code <name>.prev} first, removed last), so a crash at any point leaves a
     * complete checkpoint under {@code <name>} or {@code <name>.prev}.
     */
    private void saveCheckpoint(String name, Optimizer opt, TrainerState st) throws IOException {
        requireOwnDirectory();
        Path dir = runDir.resolve("checkpoints"), tmp = dir.resolve(name + ".tmp");
        try {
            AtomicFiles.deleteTree(tmp);
            Files.createDirectories(tmp);
            Map<String, String> meta = Map.of("dropit_step", Long.toString(st.globalStep()), "dropit_model", cfg.model());
            Checkpoints.save(tmp.resolve(MODEL_FILE), model, DType.FLOAT32, meta);
            Checkpoints.saveOptimizer(Checkpoints.optimizerPath(tmp.resolve(MODEL_FILE)), opt);
            AtomicFiles.writeString(tmp.resolve(STATE_FILE), MiniJson.write(st.toJson()) + "\n");
        } catch (IOException e) {
            throw checkpointFailed(tmp, dir.resolve(name), e);
        }
        swapIn(dir, name);
    }

    private void copyCheckpoint(String from, String to) throws IOException {
        Path dir = runDir.resolve("checkpoints"), src = dir.resolve(from), tmp = dir.resolve(to + ".tmp");
        try {
            AtomicFiles.deleteTree(tmp);
            Files.createDirectories(tmp);
            try (var files = Files.list(src)) {
                for (Path f : files.toList()) {
                    Path t = tmp.resolve(f.getFileName());
                    Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
                    AtomicFiles.fsyncFile(t);
                }
            }
            AtomicFiles.fsyncDir(tmp);
        } catch (IOException e) {
            throw checkpointFailed(tmp, dir.resolve(to), e);
        }
        swapIn(dir, to);
    }

    /** Removes a half-written checkpoint copy and says which checkpoint could not be written, and why. */
    private static IOException checkpointFailed(Path tmp, Path target, IOException e) {
        // e.g. a full disk: the half-written copy goes, the previous checkpoint stays where it was
        try {
            AtomicFiles.deleteTree(tmp);
        } catch (IOException ignored) {
            // the message below matters more
        }
        return new IOException("could not write checkpoint " + target + " (the previous one, if any, is kept): "
                + (e instanceof FileSystemException f && f.getReason() != null ? f.getFile() + ": " + f.getReason() : e.getMessage()), e);
    }

    /**
     * Stops the run when its directory is no longer the one it started in (deleted, moved or replaced while it
     * trained): writing on would make a directory, or mix this run's files into another's.
     */
    private void requireOwnDirectory() throws IOException {
        if (!Files.isRegularFile(runDir.resolve(CONFIG)) || !cfg.equals(MiniJson.read(runDir.resolve(CONFIG), TrainConfig::fromJson)))
            throw new IOException(runDir + " is no longer this run's directory (its " + CONFIG + " was removed or replaced"
                    + " while it trained); stopping without writing there");
    }

    private static void swapIn(Path dir, String name) throws IOException {
        Path cur = dir.resolve(name), prev = dir.resolve(name + ".prev"), tmp = dir.resolve(name + ".tmp");
        if (Files.exists(cur)) {
            AtomicFiles.deleteTree(prev);
            AtomicFiles.move(cur, prev);
        }
        AtomicFiles.move(tmp, cur);
        AtomicFiles.fsyncDir(dir);
        AtomicFiles.deleteTree(prev);
    }

    // ================================================================== metrics and plots

    /** Drops metric lines the checkpoint does not cover (a killed run may have logged steps past its last checkpoint). */
    private void truncateMetrics(TrainerState st) throws IOException {
        Path f = runDir.resolve(METRICS);
        if (!Files.exists(f)) return;
        StringBuilder kept = new StringBuilder();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            Map<String, Object> m;
            try {
                m = MiniJson.parseObject(line);
            } catch (IllegalArgumentException e) {
                continue; // a line cut short by the kill
            }
            boolean keep = "step".equals(m.get("type")) ? MiniJson.lng(m, "step") <= st.globalStep()
                    : MiniJson.lng(m, "epoch") < st.epoch();
            if (keep) kept.append(line).append('\n');
        }
        AtomicFiles.writeString(f, kept.toString());
    }

    /** Every record of metrics.jsonl. */
    public static List<Map<String, Object>> readMetrics(Path runDir) throws IOException {
        List<Map<String, Object>> r = new ArrayList<>();
        Path f = runDir.resolve(METRICS);
        if (!Files.exists(f)) return r;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8))
            if (!line.isBlank()) r.add(MiniJson.parseObject(line));
        return r;
    }

    private void writeCurvePlots() throws IOException {
        List<Map<String, Object>> recs = readMetrics(runDir);
        List<double[]> steps = new ArrayList<>(), epochs = new ArrayList<>();
        for (Map<String, Object> m : recs) {
            if ("step".equals(m.get("type"))) steps.add(new double[]{MiniJson.num(m, "step"), MiniJson.num(m, "loss")});
            else epochs.add(new double[]{MiniJson.num(m, "epoch") + 1, MiniJson.num(m, "step"),
                    m.containsKey("train_loss") ? MiniJson.num(m, "train_loss") : Double.NaN,
                    m.containsKey("val_acc") ? MiniJson.num(m, "val_acc") : Double.NaN, MiniJson.num(m, "test_acc")});
        }
        String title = cfg.model() + " on " + cfg.dataset() + (cfg.dropit() ? ", DropIT γ=" + cfg.gamma() : ", plain");
        Plots.chart(runDir.resolve("loss.png"), "Training loss — " + title, "step", "loss", List.of(
                new Plots.Series("step loss", col(steps, 0), col(steps, 1), true),
                new Plots.Series("epoch mean", col(epochs, 1), col(epochs, 2), true)));
        Plots.chart(runDir.resolve("accuracy.png"), "Accuracy — " + title, "epoch", "accuracy (%)", List.of(
                new Plots.Series("validation", col(epochs, 0), scale(col(epochs, 3)), true),
                new Plots.Series("test", col(epochs, 0), scale(col(epochs, 4)), true)));
    }

    private void writeHeldPlot(HeldMemory.Result hm) throws IOException {
        LinkedHashSet<String> names = new LinkedHashSet<>(hm.plain().byModule().keySet());
        if (hm.dropit() != null) names.addAll(hm.dropit().byModule().keySet());
        List<String> cats = new ArrayList<>();
        for (String n : names) cats.add(n.isEmpty() ? "(root)" : n);
        double[] p = new double[cats.size()], d = new double[cats.size()];
        int i = 0;
        for (String n : names) {
            p[i] = hm.plain().byModule().getOrDefault(n, 0L);
            d[i] = hm.dropit() == null ? 0 : hm.dropit().byModule().getOrDefault(n, 0L);
            i++;
        }
        String t = String.format(Locale.ROOT, "Bytes held for backward per module, one batch of %d — plain %s", cfg.batchSize(),
                Plots.bytes(hm.plain().activationBytes()));
        if (hm.dropit() != null) {
            t += String.format(Locale.ROOT, ", DropIT γ=%s %s", cfg.gamma(), Plots.bytes(hm.dropit().activationBytes()));
            Plots.bars(runDir.resolve("held-bytes.png"), t, "bytes held for backward", cats, List.of("plain", "DropIT γ=" + cfg.gamma()), List.of(p, d));
        } else {
            Plots.bars(runDir.resolve("held-bytes.png"), t, "bytes held for backward", cats, List.of("plain"), List.of(p));
        }
    }

    private static double[] col(List<double[]> rows, int c) {
        double[] r = new double[rows.size()];
        for (int i = 0; i < r.length; i++) r[i] = rows.get(i)[c];
        return r;
    }

    private static double[] scale(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i] * 100;
        return r;
    }

    // ================================================================== summary

    /** Sum of the heap pools' peak usage since the JVM started (an upper bound of the peak heap in use). */
    public static long peakHeap() {
        long s = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) s += p.getPeakUsage().getUsed();
        return s;
    }

    private String summary(Result r, HeldMemory.Result hm, double wall) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n%s on %s, %s%n", cfg.model(), cfg.dataset(),
                cfg.dropit() ? "DropIT γ=" + cfg.gamma() + " (" + cfg.strategy().id() + ", " + cfg.cacheFormat().id() + ")" : "plain (no DropIT)"));
        String row = "| %-38s | %-26s |%n";
        sb.append(String.format(Locale.ROOT, row, "metric", "value"));
        sb.append(String.format(Locale.ROOT, row, "-".repeat(38), "-".repeat(26)));
        sb.append(String.format(Locale.ROOT, row, "test accuracy (final model)", pct(r.testAcc())));
        if (r.bestEpoch() >= 0)
            sb.append(String.format(Locale.ROOT, row, "best val accuracy (epoch " + (r.bestEpoch() + 1) + ")", pct(r.bestValAcc())));
        if (r.bestEpoch() >= 0)
            sb.append(String.format(Locale.ROOT, row, "test accuracy at best val epoch", pct(r.bestTestAcc())));
        sb.append(String.format(Locale.ROOT, row, "steps", Long.toString(r.steps())));
        sb.append(String.format(Locale.ROOT, row, "training time", Progress.time(r.seconds())));
        sb.append(String.format(Locale.ROOT, row, "wall time of this invocation", Progress.time(wall)));
        sb.append(String.format(Locale.ROOT, row, "held for backward, plain (1 batch)", Plots.bytes(r.heldPlain()) + " (" + r.heldPlain() + " B)"));
        if (hm.dropit() != null) {
            sb.append(String.format(Locale.ROOT, row, "held for backward, DropIT (1 batch)", Plots.bytes(r.heldDropit()) + " (" + r.heldDropit() + " B)"));
            sb.append(String.format(Locale.ROOT, row, "DropIT / plain", String.format(Locale.ROOT, "%.1f%%", 100.0 * r.heldDropit() / r.heldPlain())));
            sb.append(String.format(Locale.ROOT, row, "DropIT expected (cache arithmetic)", String.format(Locale.ROOT, "%.1f%% (%d B)",
                    100.0 * hm.expectedDropit() / r.heldPlain(), hm.expectedDropit())));
        }
        sb.append(String.format(Locale.ROOT, row, "peak heap (sum of heap pool peaks)", Plots.bytes(r.peakHeap())));
        sb.append("run directory: ").append(runDir).append('\n');
        return sb.toString();
    }

    private static String pct(double a) {
        return a < 0 ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * a);
    }
}
