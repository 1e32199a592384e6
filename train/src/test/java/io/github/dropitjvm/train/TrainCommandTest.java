package io.github.dropitjvm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.LayerStats;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.JvmRequirements;
import io.github.dropitjvm.train.run.MiniJson;
import io.github.dropitjvm.train.run.TrainConfig;
import io.github.dropitjvm.train.run.Trainer;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** dropit train / compare on the synthetic dataset: small models, few steps (2 shared cores). */
class TrainCommandTest {
    @TempDir
    Path tmp;

    /** Runs the dropit command line in-process; returns {exit code, stdout, stderr}. */
    static Object[] execute(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Object[]{code, out.toString(), err.toString()};
    }

    /** A tiny vit-fmnist run: 36 training images (4 held out for validation), batch 4 → 9 steps per epoch. */
    static List<String> tinyVit(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--dataset", "synthetic", "--model", "vit-fmnist", "--batch-size", "4",
                "--train-limit", "40", "--val-size", "4", "--test-limit", "8", "--epochs", "2", "--warmup", "3steps",
                "--out", out.toString()));
        a.addAll(List.of(more));
        return a;
    }

    static List<Float> losses(Path runDir) throws Exception {
        List<Float> l = new ArrayList<>();
        for (Map<String, Object> m : Trainer.readMetrics(runDir))
            if ("step".equals(m.get("type"))) l.add((float) MiniJson.num(m, "loss"));
        return l;
    }

    static TrainConfig config(String model, int epochs, int batch, double lr, String warmup, double gamma,
                              io.github.dropitjvm.dropit.Strategy strategy, int trainLimit, int testLimit, int valSize) {
        return new TrainConfig(model, "synthetic", epochs, batch, "adamw", lr, 1e-5, warmup, 0.05, 0.9, 0.1, gamma, strategy,
                io.github.dropitjvm.dropit.CacheFormat.AUTO, 1, trainLimit, testLimit, valSize, "cpu", true);
    }

    @Test
    void shortRunLearnsAndWritesMetricsPlotsAndCheckpoints() throws Exception {
        Path dir = tmp.resolve("run");
        // resnet20 learns the synthetic bands within 40 steps (vit-fmnist needs far more)
        TrainConfig cfg = config("resnet20", 2, 16, 3e-3, "3steps", 0, io.github.dropitjvm.dropit.Strategy.EXACT_MINK, 352, 100, 32);
        StringWriter log = new StringWriter();
        Trainer.Result r = Trainer.start(cfg, dir, null, new PrintWriter(log, true), false).run();
        assertEquals(Trainer.Outcome.DONE, r.outcome(), log.toString());
        assertTrue(r.testAcc() > 0.3, "test accuracy after 40 steps on synthetic data: " + r.testAcc() + "\n" + log);
        assertEquals(r.heldPlain(), r.heldDropit()); // γ = 0: plain

        // metrics.jsonl: one line per step, one per epoch; held bytes at each epoch's first step
        List<Map<String, Object>> recs = Trainer.readMetrics(dir);
        long steps = recs.stream().filter(m -> "step".equals(m.get("type"))).count();
        List<Map<String, Object>> epochs = recs.stream().filter(m -> "epoch".equals(m.get("type"))).toList();
        assertEquals(40, steps);
        assertEquals(2, epochs.size());
        for (String k : List.of("train_loss", "val_acc", "test_acc", "time_s")) assertTrue(epochs.get(1).containsKey(k), k);
        String code = JvmRequirements.versionString();
        for (Map<String, Object> e : epochs) assertEquals(code, e.get("code"), "the build that ran the epoch");
        assertEquals(2, recs.stream().filter(m -> m.containsKey("held_bytes")).count());
        Map<String, Object> first = recs.get(0);
        for (String k : List.of("step", "epoch", "loss", "lr", "images_per_s", "held_bytes")) assertTrue(first.containsKey(k), k);

        // plots, result, summary, checkpoints
        for (String png : List.of("loss.png", "accuracy.png", "held-bytes.png")) {
            BufferedImage img = ImageIO.read(dir.resolve(png).toFile());
            assertNotNull(img, png);
            assertTrue(img.getWidth() > 100 && img.getHeight() > 100, png);
        }
        Map<String, Object> result = MiniJson.parseObject(Files.readString(dir.resolve(Trainer.RESULT)));
        assertEquals("done", result.get("status"));
        assertEquals(code, result.get("code"));
        assertTrue(Files.readString(dir.resolve("summary.txt")).contains("test accuracy"));
        for (String ck : List.of("last", "best"))
            for (String f : List.of("model.safetensors", "model.optim.safetensors", "trainer.json"))
                assertTrue(Files.isRegularFile(dir.resolve("checkpoints").resolve(ck).resolve(f)), ck + "/" + f);
        Map<String, Object> st = MiniJson.parseObject(Files.readString(dir.resolve("checkpoints/last/trainer.json")));
        assertEquals(40L, MiniJson.lng(st, "global_step"));
        assertEquals(2L, MiniJson.lng(st, "epoch"));
    }

    @Test
    void withDropItEachConvertedLayerKeepsKAndHoldsLessThanPlain() throws Exception {
        double gamma = 0.7;
        TrainConfig cfg = config("vit-fmnist", 1, 4, 1e-3, "0", gamma, io.github.dropitjvm.dropit.Strategy.EXACT_MINK, 8, 4, 0);
        StringWriter log = new StringWriter();
        Trainer t = Trainer.start(cfg, tmp.resolve("dropit"), null, new PrintWriter(log, true), false);
        Trainer.Result r = t.run();
        assertEquals(Trainer.Outcome.DONE, r.outcome(), log.toString());
        List<Module> converted = new ArrayList<>();
        t.model().visit(m -> { if (DropIt.cacheOf(m) != null) converted.add(m); });
        assertEquals(24, converted.size()); // 6 blocks × qkv, proj, fc1, fc2; patch embedding and head stay dense
        for (Module m : converted) {
            LayerStats s = DropIt.cacheOf(m).stats();
            assertEquals(2, s.calls(), m.name()); // one per training step; evaluation selects nothing
            assertEquals((long) Math.floor((1 - gamma) * s.lastElements() + 0.5), s.lastKept(), m.name());
            assertEquals(DropItKernels.keepCount(s.lastElements(), gamma), s.lastKept(), m.name());
        }
        assertTrue(r.heldDropit() > 0 && r.heldDropit() < r.heldPlain(), r.heldDropit() + " vs plain " + r.heldPlain());
        assertTrue(log.toString().contains("DropIT / plain"), log.toString());
    }

    @Test
    void resumeAfterStopOrKillMidEpochGivesTheBitIdenticalLossTrajectory() throws Exception {
        // random strategy: its keep masks depend on the per-layer step counters, which resume must restore
        String[] dropit = {"--dropit-gamma", "0.5", "--strategy", "random"};
        Path full = tmp.resolve("full"), stopped = tmp.resolve("stopped"), killed = tmp.resolve("killed");
        Object[] a = execute(tinyVit(full, dropit).toArray(String[]::new));
        assertEquals(0, a[0], (String) a[2]);
        List<Float> reference = losses(full);
        assertEquals(18, reference.size());

        // Ctrl-C path: mid-epoch checkpoint after step 5 of epoch 1, then resume
        List<String> s = tinyVit(stopped, dropit);
        s.addAll(List.of("--stop-after-steps", "5"));
        Object[] b = execute(s.toArray(String[]::new));
        assertEquals(0, b[0], (String) b[2]);
        assertTrue(((String) b[2]).contains("stopped after step 5"), (String) b[2]);
        assertFalse(Files.exists(stopped.resolve(Trainer.RESULT)));
        Object[] c = execute("train", "--resume", stopped.toString());
        assertEquals(0, c[0], (String) c[2]);
        assertTrue(((String) c[1]).contains("resuming"), (String) c[1]);
        assertEquals(reference, losses(stopped));

        // SIGKILL path: dies at step 12 (epoch 2) without saving; resumes from the end-of-epoch-1 checkpoint
        List<String> k = tinyVit(killed, dropit);
        k.addAll(List.of("--kill-after-steps", "12"));
        Object[] d = execute(k.toArray(String[]::new));
        assertEquals(137, d[0], (String) d[2]);
        assertEquals(12, losses(killed).size());
        Object[] e = execute("train", "--resume", killed.toString());
        assertEquals(0, e[0], (String) e[2]);
        assertEquals(reference, losses(killed));

        // a finished run is not resumed: its figures stay as they are
        String finished = Files.readString(full.resolve(Trainer.RESULT));
        Object[] f = execute("train", "--resume", full.toString());
        assertEquals(2, f[0], (String) f[2]);
        assertTrue(((String) f[2]).contains("already finished"), (String) f[2]);
        assertEquals(finished, Files.readString(full.resolve(Trainer.RESULT)));

        Map<String, Object> ra = MiniJson.parseObject(Files.readString(full.resolve(Trainer.RESULT)));
        Map<String, Object> rc = MiniJson.parseObject(Files.readString(stopped.resolve(Trainer.RESULT)));
        assertEquals(ra.get("test_acc"), rc.get("test_acc"));
    }

    /** The fashion-mnist-mini options of a tiny vit-fmnist run both train and compare accept: 4 steps per epoch. */
    static final List<String> TINY_MINI = List.of("--dataset", "fashion-mnist-mini", "--model", "vit-fmnist", "--batch-size", "4",
            "--train-limit", "16", "--val-size", "0", "--test-limit", "8", "--epochs", "2", "--warmup", "2steps");

    static void copyTree(Path from, Path to) throws Exception {
        try (var all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    /** Rewrites a run directory's config.json as the code before --augment wrote it: without the augment field. */
    static void dropAugmentField(Path runDir) throws Exception {
        Path c = runDir.resolve(Trainer.CONFIG);
        Map<String, Object> m = MiniJson.parseObject(Files.readString(c));
        assertEquals(true, m.remove("augment"), "config.json records augment");
        Files.writeString(c, MiniJson.write(m) + "\n");
    }

    @Test
    void runDirectoriesWrittenBeforeAugmentExistedResumeWithAugmentationOn() throws Exception {
        List<String> full = new ArrayList<>(List.of("train", "--out", tmp.resolve("full").toString()));
        full.addAll(TINY_MINI);
        Object[] a = execute(full.toArray(String[]::new));
        assertEquals(0, a[0], (String) a[2]);
        List<Float> reference = losses(tmp.resolve("full"));
        assertEquals(8, reference.size());
        // the trajectory depends on the setting, so equal losses below prove the old directories resumed with it on
        List<String> off = new ArrayList<>(List.of("train", "--augment", "off", "--out", tmp.resolve("off").toString()));
        off.addAll(TINY_MINI);
        assertEquals(0, execute(off.toArray(String[]::new))[0]);
        assertNotEquals(reference, losses(tmp.resolve("off")), "--augment off gave the augmented run's losses");

        // dropit train --resume of an old run directory stopped mid-epoch
        Path stopped = tmp.resolve("stopped");
        List<String> s = new ArrayList<>(List.of("train", "--out", stopped.toString(), "--stop-after-steps", "3"));
        s.addAll(TINY_MINI);
        assertEquals(0, execute(s.toArray(String[]::new))[0]);
        dropAugmentField(stopped);
        Object[] r = execute("train", "--resume", stopped.toString());
        assertEquals(0, r[0], (String) r[2]);
        assertEquals(reference, losses(stopped));

        // dropit compare with the same options finds the old directory's settings equal to its own and resumes it
        Path grid = tmp.resolve("grid"), old = grid.resolve("g0-s1");
        List<String> g = new ArrayList<>(List.of("train", "--out", old.toString(), "--stop-after-steps", "5"));
        g.addAll(TINY_MINI);
        assertEquals(0, execute(g.toArray(String[]::new))[0]);
        dropAugmentField(old);
        List<String> c = new ArrayList<>(List.of("compare", "--gammas", "0", "--seeds", "1", "--out", grid.toString()));
        c.addAll(TINY_MINI);
        Object[] cr = execute(c.toArray(String[]::new));
        assertEquals(0, cr[0], cr[1] + "\n" + cr[2]);
        assertTrue(((String) cr[1]).contains("resuming"), (String) cr[1]);
        assertEquals(reference, losses(old));
    }

    @Test
    void nonFiniteLossStopsWithNonZeroExitAndKeepsTheLastCheckpoint() throws Exception {
        Path dir = tmp.resolve("nan");
        // one batch per epoch: epoch 1 (step 1) checkpoints, the absurd lr then blows the weights up
        Object[] r = execute("train", "--dataset", "synthetic", "--model", "vit-fmnist", "--batch-size", "4", "--train-limit", "4",
                "--val-size", "0", "--test-limit", "4", "--epochs", "5", "--warmup", "0", "--optimizer", "sgd", "--lr", "1e30",
                "--out", dir.toString());
        assertEquals(3, r[0], r[1] + "\n" + r[2]);
        assertTrue(((String) r[2]).contains("loss became"), (String) r[2]);
        assertTrue(((String) r[2]).contains("last good checkpoint"), (String) r[2]);
        // the step that failed is the one after the last logged (finite) step, numbered as metrics.jsonl numbers steps
        int logged = losses(dir).size();
        assertTrue(((String) r[2]).contains("at step " + (logged + 1) + " "), logged + " steps logged; " + r[2]);
        Map<String, Object> st = MiniJson.parseObject(Files.readString(dir.resolve("checkpoints/last/trainer.json")));
        long saved = ((Number) st.get("global_step")).longValue();
        assertTrue(saved >= 1, "checkpoint step " + saved);
        assertTrue(losses(dir).stream().allMatch(Float::isFinite));
        assertFalse(Files.exists(dir.resolve(Trainer.RESULT)));
    }

    @Test
    void compareRunsTheGridWritesTheTableAndSkipsFinishedRuns() throws Exception {
        Path dir = tmp.resolve("grid");
        String[] args = {"compare", "--gammas", "0,0.5", "--seeds", "1", "--out", dir.toString(), "--dataset", "synthetic",
                "--batch-size", "4", "--train-limit", "8", "--val-size", "0", "--test-limit", "4", "--epochs", "1", "--warmup", "0"};
        Object[] a = execute(args);
        assertEquals(0, a[0], a[1] + "\n" + a[2]);
        for (String run : List.of("g0-s1", "g0.5-s1")) assertTrue(Files.exists(dir.resolve(run).resolve(Trainer.RESULT)), run);
        String md = Files.readString(dir.resolve("compare.md"));
        assertTrue(md.contains("| 0 | 1 |") && md.contains("| 0.5 | 1 |"), md);
        List<String> csv = Files.readAllLines(dir.resolve("compare.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(0).startsWith("gamma,runs,test_acc_mean,test_acc_std,held_bytes_mean"));
        assertNotNull(ImageIO.read(dir.resolve("compare.png").toFile()));
        double plainHeld = Double.parseDouble(csv.get(1).split(",")[4]), dropHeld = Double.parseDouble(csv.get(2).split(",")[4]);
        assertTrue(dropHeld < plainHeld, csv.toString());

        long before = Files.getLastModifiedTime(dir.resolve("g0.5-s1/metrics.jsonl")).toMillis();
        Object[] b = execute(args);
        assertEquals(0, b[0], (String) b[2]);
        String out = (String) b[1];
        assertEquals(2, out.split("already finished, skipped", -1).length - 1, out);
        assertEquals(before, Files.getLastModifiedTime(dir.resolve("g0.5-s1/metrics.jsonl")).toMillis());

        // other settings over the same finished runs: refused, and the table made with the right ones stays
        String table = Files.readString(dir.resolve("compare.md"));
        String[] other = java.util.Arrays.copyOf(args, args.length + 2);
        other[args.length] = "--lr";
        other[args.length + 1] = "5e-3";
        Object[] c = execute(other);
        assertEquals(2, c[0], (String) c[2]);
        assertTrue(((String) c[2]).contains("other settings") && ((String) c[2]).contains("g0-s1"), (String) c[2]);
        assertTrue(((String) c[2]).contains("lr 0.001 there, 0.005 here"), (String) c[2]);
        assertEquals(table, Files.readString(dir.resolve("compare.md")));
        Object[] twice = execute("compare", "--out", dir.toString(), "--gammas", "0.5,0,0.50");
        assertEquals(2, twice[0], (String) twice[2]);
        assertTrue(((String) twice[2]).contains("--gammas lists γ 0.5 twice"), (String) twice[2]);
        Object[] zeros = execute("compare", "--out", dir.toString(), "--gammas", "0,-0");
        assertEquals(2, zeros[0], (String) zeros[2]);
        assertTrue(((String) zeros[2]).contains("--gammas lists γ 0 twice"), (String) zeros[2]);
        // --report over a grid with more seeds than have run: the finished runs' table, the rest named, nothing trained
        String[] more = java.util.Arrays.copyOf(args, args.length + 1);
        more[4] = "2";
        more[args.length] = "--report";
        Object[] rep = execute(more);
        assertEquals(0, rep[0], rep[1] + "\n" + rep[2]);
        String partial = Files.readString(dir.resolve("compare.md"));
        assertTrue(partial.contains("Partial: 2 of 4 runs finished; not yet: g0-s2, g0.5-s2. "), partial);
        assertTrue(partial.contains("| 0 | 1 |") && partial.contains("| +0.00 |"), partial);
        assertFalse(Files.exists(dir.resolve("g0-s2")), "--report trained a run");
        List<String> repCsv = Files.readAllLines(dir.resolve("compare.csv"));
        double plainAcc = Double.parseDouble(repCsv.get(1).split(",")[2]), dropAcc = Double.parseDouble(repCsv.get(2).split(",")[2]);
        assertEquals(dropAcc - plainAcc, Double.parseDouble(repCsv.get(2).split(",")[7]), 1e-3, repCsv.toString());
        // without γ 0 there is no plain mean to compare with: a dash, and an empty CSV cell
        String[] noPlain = more.clone();
        noPlain[2] = "0.5";
        Object[] np = execute(noPlain);
        assertEquals(0, np[0], np[1] + "\n" + np[2]);
        assertTrue(Files.readString(dir.resolve("compare.md")).contains("| 0.5 | 1 | ") && Files.readString(dir.resolve("compare.md")).contains(" | – | "),
                Files.readString(dir.resolve("compare.md")));
        assertTrue(Files.readAllLines(dir.resolve("compare.csv")).get(1).endsWith(","), Files.readString(dir.resolve("compare.csv")));
        Object[] none = execute("compare", "--gammas", "0", "--seeds", "1", "--out", Files.createDirectories(tmp.resolve("no-grid")).toString(), "--report");
        assertEquals(2, none[0], (String) none[2]);
        assertTrue(((String) none[2]).contains("no run of this grid has finished"), (String) none[2]);
        Object[] typo = execute("compare", "--gammas", "0", "--seeds", "1", "--out", tmp.resolve("no-such-grid").toString(), "--report");
        assertEquals(2, typo[0], (String) typo[2]);
        assertTrue(((String) typo[2]).contains("no-such-grid does not exist"), (String) typo[2]);
        // a grid directory that cannot be made is one line naming it, not a stack trace
        Path file = Files.writeString(tmp.resolve("a-file"), "kept");
        Object[] io = execute("compare", "--gammas", "0", "--seeds", "1", "--out", file.resolve("sub").toString());
        assertEquals(1, io[0], (String) io[2]);
        assertTrue(((String) io[2]).contains(file.toString()) && !((String) io[2]).contains("Exception"), (String) io[2]);
    }

    @Test
    void compareLeavesARunAnotherProcessHoldsForTheEndAndThenFinishesIt() throws Exception {
        Path dir = tmp.resolve("shared");
        Files.createDirectories(dir);
        String[] args = {"compare", "--gammas", "0,0.5", "--seeds", "1", "--out", dir.toString(), "--dataset", "synthetic",
                "--batch-size", "4", "--train-limit", "8", "--val-size", "0", "--test-limit", "4", "--epochs", "1", "--warmup", "0"};
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        CompletableFuture<Integer> code;
        // this claim stands in for another compare process training g0-s1
        try (RunClaim other = RunClaim.take(dir.resolve("g0-s1"), false, new PrintWriter(Writer.nullWriter()))) {
            assertNotNull(other);
            code = CompletableFuture.supplyAsync(() -> cli.execute(args));
            Path next = dir.resolve("g0.5-s1").resolve(Trainer.RESULT);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (!Files.exists(next) && !code.isDone() && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(Files.exists(next), out + "\n" + err);
            assertTrue(out.toString().contains("g0-s1 is being trained by another process"), out.toString());
            assertFalse(Files.exists(dir.resolve("g0-s1").resolve(Trainer.CONFIG)), out.toString());
            assertFalse(code.isDone(), "compare must wait for the held run before writing its table:\n" + out + "\n" + err);
        }
        assertEquals(0, code.get(10, TimeUnit.MINUTES), out + "\n" + err);
        assertTrue(Files.exists(dir.resolve("g0-s1").resolve(Trainer.RESULT)), out.toString());
        String md = Files.readString(dir.resolve("compare.md"));
        assertTrue(md.contains("| 0 | 1 |") && md.contains("| 0.5 | 1 |"), md);
    }

    @Test
    void unusableRunDirectoriesAreRefusedAndNothingInThemIsLost() throws Exception {
        // --out: empty, a file, a directory holding other files
        Path file = Files.writeString(tmp.resolve("notes.txt"), "kept");
        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("mine.txt"), "kept too");
        for (String[] c : new String[][]{{"", "--out is empty"}, {file.toString(), "is a file"}, {busy.toString(), "holds other files"}}) {
            Object[] r = execute(tinyVit(Path.of(c[0])).toArray(String[]::new));
            assertEquals(2, r[0], c[0] + ": " + r[2]);
            assertTrue(((String) r[2]).contains(c[1]), c[0] + ": " + r[2]);
        }
        assertEquals("kept", Files.readString(file));
        try (var l = Files.list(busy)) {
            assertEquals(List.of("mine.txt"), l.map(p -> p.getFileName().toString()).toList());
        }
        assertFalse(Files.exists(Path.of(Trainer.CONFIG)), "a run was written into the working directory");

        // --resume of a directory that is no run writes nothing into it
        Object[] nr = execute("train", "--resume", busy.toString());
        assertEquals(2, nr[0], (String) nr[2]);
        try (var l = Files.list(busy)) {
            assertEquals(List.of("mine.txt"), l.map(p -> p.getFileName().toString()).toList());
        }

        // a run stopped after epoch 1's checkpoint (4 steps an epoch)
        Path run = tmp.resolve("run");
        List<String> a = new ArrayList<>(List.of("train", "--out", run.toString(), "--stop-after-steps", "5"));
        a.addAll(TINY_MINI);
        assertEquals(0, execute(a.toArray(String[]::new))[0]);
        Path state = run.resolve("checkpoints/last").resolve(Trainer.STATE_FILE);
        String good = Files.readString(state);

        // another process holds it
        try (RunClaim other = RunClaim.take(run, false, new PrintWriter(Writer.nullWriter()))) {
            assertNotNull(other);
            Object[] r = execute("train", "--resume", run.toString());
            assertEquals(2, r[0], (String) r[2]);
            assertTrue(((String) r[2]).contains("another process"), (String) r[2]);
        }
        // a damaged trainer.json is named, as a damaged file (exit 1), not as a bad option
        Files.writeString(state, "{garbage");
        Object[] d = execute("train", "--resume", run.toString());
        assertEquals(1, d[0], (String) d[2]);
        assertTrue(((String) d[2]).contains(state.toString()) && ((String) d[2]).contains("damaged"), (String) d[2]);
        // last gone: the message points at checkpoints/best instead of saying there was never a checkpoint
        Files.writeString(state, good);
        Path best = run.resolve("checkpoints/best");
        assertTrue(Files.isRegularFile(best.resolve(Trainer.STATE_FILE)));
        Files.move(run.resolve("checkpoints/last"), tmp.resolve("last-aside"));
        Object[] m = execute("train", "--resume", run.toString());
        assertEquals(2, m[0], (String) m[2]);
        assertTrue(((String) m[2]).contains("checkpoints/best"), (String) m[2]);
        // nor does compare start such a run over (it used to delete it, best checkpoint and metrics too)
        Path grid = tmp.resolve("grid-best"), inGrid = grid.resolve("g0-s1");
        Files.createDirectories(grid);
        copyTree(run, inGrid);
        List<String> cmp = new ArrayList<>(List.of("compare", "--gammas", "0", "--seeds", "1", "--out", grid.toString()));
        cmp.addAll(TINY_MINI);
        Object[] cr = execute(cmp.toArray(String[]::new));
        assertEquals(2, cr[0], (String) cr[2]);
        assertTrue(((String) cr[2]).contains("checkpoints/best"), (String) cr[2]);
        assertTrue(Files.isRegularFile(inGrid.resolve("checkpoints/best").resolve(Trainer.STATE_FILE)));
        assertEquals(Files.readString(run.resolve("metrics.jsonl")), Files.readString(inGrid.resolve("metrics.jsonl")));
        // put back, it resumes and finishes
        Files.move(tmp.resolve("last-aside"), run.resolve("checkpoints/last"));
        Object[] ok = execute("train", "--resume", run.toString());
        assertEquals(0, ok[0], (String) ok[2]);
    }

    @Test
    void aRunWhoseDirectoryIsDeletedWhileItTrainsStopsInsteadOfWritingANewOne() throws Exception {
        Path dir = tmp.resolve("doomed");
        List<String> args = tinyVit(dir);
        args.set(args.indexOf("--epochs") + 1, "6");
        CompletableFuture<Object[]> r = CompletableFuture.supplyAsync(() -> execute(args.toArray(String[]::new)));
        Path metrics = dir.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!(Files.exists(metrics) && Files.size(metrics) > 0) && !r.isDone() && System.nanoTime() < deadline) Thread.sleep(5);
        deleteTree(dir); // as rm -rf would, during epoch 1 of 6
        Object[] res = r.get(5, TimeUnit.MINUTES);
        assertEquals(1, res[0], res[1] + "\n" + res[2]);
        assertTrue(((String) res[2]).contains("no longer this run's directory"), (String) res[2]);
        assertFalse(Files.exists(dir), "the run made its directory again");
    }

    static void deleteTree(Path p) throws Exception {
        try (var all = Files.walk(p)) {
            for (Path q : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }

    @Test
    void runFilesAreCreatedWithTheUmasksPermissionsLikeAnyOther() throws Exception {
        Path run = tmp.resolve("perm");
        List<String> a = new ArrayList<>(List.of("train", "--out", run.toString()));
        a.addAll(TINY_MINI);
        assertEquals(0, execute(a.toArray(String[]::new))[0]);
        Path plain = Files.createFile(run.resolve("made-here"));
        var want = Files.getPosixFilePermissions(plain);
        for (String f : List.of(Trainer.CONFIG, Trainer.RESULT, "summary.txt", "checkpoints/last/" + Trainer.STATE_FILE))
            assertEquals(want, Files.getPosixFilePermissions(run.resolve(f)), f);
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        Path o = tmp.resolve("bad");
        String[][] cases = {
            {"--lr", "-1", "--lr"}, {"--epochs", "0", "--epochs"}, {"--batch-size", "0", "--batch-size"},
            {"--backend", "tpu", "--backend"}, {"--strategy", "top", "--strategy"}, {"--cache-format", "zip", "--cache-format"},
            {"--warmup", "soon", "--warmup"}, {"--model", "vgg", "--model"}, {"--dropit-gamma", "1.5", "--dropit-gamma"},
            {"--optimizer", "lion", "--optimizer"}, {"--label-smoothing", "1", "--label-smoothing"}, {"--threads", "0", "--threads"},
            {"--dataset", "nope", "--dataset"}, {"--weight-decay", "-0.1", "--weight-decay"}, {"--lr", "abc", "--lr"},
            {"--augment", "maybe", "--augment"}, {"--augment", "true", "--augment"},
        };
        for (String[] c : cases) {
            Object[] r = execute("train", "--out", o.toString(), c[0], c[1]);
            assertEquals(2, r[0], c[0] + " " + c[1] + ": " + r[2]);
            assertTrue(((String) r[2]).contains(c[2]), c[0] + " " + c[1] + ": " + r[2]);
        }
        assertFalse(Files.exists(o.resolve(Trainer.CONFIG)));
        Object[] r = execute("train", "--resume", o.toString(), "--lr", "0.1");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("--lr"), (String) r[2]);
        Object[] g = execute("compare", "--out", o.toString(), "--gammas", "0,2");
        assertEquals(2, g[0]);
        assertTrue(((String) g[2]).contains("--gammas"), (String) g[2]);
    }

    @Test
    void filesThatCannotBeWrittenOrReadAreNamedWithTheReason() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "kept");
        Object[] r = execute(tinyVit(file.resolve("run")).toArray(String[]::new));
        assertEquals(1, r[0], (String) r[2]);
        String err = (String) r[2];
        assertTrue(err.contains(file.toString()) && !err.contains("Exception"), err);
        assertEquals("kept", Files.readString(file));
        Object[] c = execute("train", "--dataset", "cifar10", "--data-dir", tmp.resolve("empty").toString(), "--out", tmp.resolve("c").toString());
        assertEquals(1, c[0], (String) c[2]);
        assertTrue(((String) c[2]).contains("data_batch_1.bin") && !((String) c[2]).contains("Exception"), (String) c[2]);
    }

    @Test
    void helpDocumentsEveryOption() {
        Object[] r = execute("train", "--help");
        assertEquals(0, r[0]);
        String out = (String) r[1];
        for (String opt : List.of("--model", "--dataset", "--epochs", "--batch-size", "--optimizer", "--lr", "--warmup",
                "--weight-decay", "--label-smoothing", "--dropit-gamma", "--strategy", "--cache-format", "--threads", "--seed",
                "--out", "--resume", "--train-limit", "--test-limit", "--backend", "--data-dir", "--augment", "vit-fmnist"))
            assertTrue(out.contains(opt), opt + " missing from\n" + out);
        assertFalse(out.contains("--stop-after-steps"), out);
        Object[] c = execute("compare", "--help");
        assertEquals(0, c[0]);
        assertTrue(((String) c[1]).contains("--gammas") && ((String) c[1]).contains("--seeds"), (String) c[1]);
        assertTrue(((String) execute("--help")[1]).contains("train"));
    }
}
