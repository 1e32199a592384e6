package io.github.dropitjvm.train;

import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.DropIt;
import io.github.dropitjvm.dropit.LayerStats;
import io.github.dropitjvm.dropit.Strategy;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.train.run.MiniJson;
import io.github.dropitjvm.train.run.TrainConfig;
import io.github.dropitjvm.train.run.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end on the shipped real subset (fashion-mnist-mini, no network), with and without DropIT (γ 0.9): each
 * model reaches >= 70% test accuracy, and in the DropIT run every converted layer kept exactly k elements and the
 * bytes held equal the cache arithmetic (ARCHITECTURE.md) (proof DropIT was active).
 * <ul>
 * <li>resnet20: 3 epochs (84 steps), the command line's defaults otherwise.
 * <li>vit-fmnist: {@code --augment off --batch-size 16 --lr 1e-3 --warmup 50steps --val-size 0 --epochs 10} (1 250
 *     steps; weight decay 0.05 and label smoothing 0.1 as by default), about 100 s a run on one quiet core. Measured
 *     test accuracy, plain / γ 0.9, at commit 0ce6baf: seed 1 74.8 / 76.0%, seed 2 73.8 / 73.2%, seed 3 72.0 /
 *     74.4%; after the float-lane softmax (commit 665a624) seed 1, the one tested, gives 76.8 / 71.8%. The same recipe
 *     with 15 epochs gave 77.4 / 74.8%, 78.0 / 75.0% and 76.2 / 74.2% at 0ce6baf, if a later change needs more margin. A ViT learns
 *     slowly from 2 000 images; without augmentation it gets there in a third of the steps (with crop and flip, 20
 *     epochs at batch 16 gave 75.6 / 70.0% and 70.0 / 67.2% on seeds 1 and 2). Without weight decay and label
 *     smoothing seed 1 gave 73.8% plain; from there batch 32, lr 2e-3, lr 5e-4 and 5 epochs each did worse (70.8,
 *     69.2, 73.4, 68.2%).
 * </ul>
 */
class FashionMnistMiniEndToEndTest {
    @TempDir
    Path tmp;

    /** Trains cfg in dir, checks it finished at >= 70% test accuracy, and lists the model's DropIT-converted layers. */
    private Trainer.Result train(TrainConfig cfg, Path dir, List<Module> convertedOut) throws Exception {
        StringWriter log = new StringWriter();
        Trainer t = Trainer.start(cfg, dir, null, new PrintWriter(log, true), false);
        Trainer.Result r = t.run();
        assertEquals(Trainer.Outcome.DONE, r.outcome(), log.toString());
        assertTrue(r.testAcc() >= 0.70, cfg.model() + " γ " + cfg.gamma() + ": test accuracy " + r.testAcc() + "\n" + log);
        t.model().visit(m -> { if (DropIt.cacheOf(m) != null) convertedOut.add(m); });
        return r;
    }

    /**
     * Proof DropIT was active in the run in dir: every converted layer kept exactly k of its last input, and the
     * bytes held equal the cache arithmetic (ARCHITECTURE.md) to the byte (each converted layer is the only holder of its input)
     * and are at most maxRatio of the plain model's.
     */
    private void assertDropItWasActive(Path dir, Trainer.Result r, List<Module> converted, double gamma, double maxRatio)
            throws Exception {
        for (Module m : converted) {
            LayerStats s = DropIt.cacheOf(m).stats();
            assertEquals(DropItKernels.keepCount(s.lastElements(), gamma), s.lastKept(), m.name());
        }
        Map<String, Object> result = MiniJson.parseObject(Files.readString(dir.resolve(Trainer.RESULT)));
        assertEquals(MiniJson.lng(result, "expected_held_bytes_dropit"), r.heldDropit());
        assertTrue(r.heldDropit() < maxRatio * r.heldPlain(), r.heldDropit() + " vs plain " + r.heldPlain());
    }

    private static TrainConfig resnet20(double gamma) {
        return new TrainConfig("resnet20", "fashion-mnist-mini", 3, 64, "adamw", 3e-3, 1e-5, "1", 0.05, 0.9, 0.1,
                gamma, Strategy.EXACT_MINK, CacheFormat.AUTO, 1, 0, 0, 5000, "cpu", true);
    }

    @Test
    void resnet20ReachesSeventyPercentWithAndWithoutDropIt() throws Exception {
        List<Module> none = new ArrayList<>(), converted = new ArrayList<>();
        train(resnet20(0.0), tmp.resolve("plain"), none);
        assertTrue(none.isEmpty());
        Trainer.Result r = train(resnet20(0.9), tmp.resolve("dropit"), converted);
        assertEquals(20, converted.size()); // 18 block convs + 2 downsample convs; the stem conv and the fc head stay dense
        // ReLU keeps a 1-bit mask, so the convs' inputs are theirs alone
        assertDropItWasActive(tmp.resolve("dropit"), r, converted, 0.9, 0.7);
    }

    /** The recipe measured in the class comment; the CLI's defaults except where named. */
    private static TrainConfig vitFmnist(double gamma) {
        return new TrainConfig("vit-fmnist", "fashion-mnist-mini", VIT_EPOCHS, 16, "adamw", 1e-3, 1e-5, "50steps", 0.05, 0.9,
                0.1, gamma, Strategy.EXACT_MINK, CacheFormat.AUTO, VIT_SEED, 0, 0, 0, "cpu", false);
    }

    static final int VIT_EPOCHS = 10;
    static final long VIT_SEED = 1;
    static final double VIT_GAMMA = 0.9;

    @Test
    void vitFmnistReachesSeventyPercentWithAndWithoutDropIt() throws Exception {
        List<Module> none = new ArrayList<>(), converted = new ArrayList<>();
        train(vitFmnist(0.0), tmp.resolve("vit-plain"), none);
        assertTrue(none.isEmpty());
        Trainer.Result r = train(vitFmnist(VIT_GAMMA), tmp.resolve("vit-dropit"), converted);
        assertEquals(24, converted.size()); // 6 blocks × qkv, proj, fc1, fc2; the patch embedding and the head stay dense
        assertDropItWasActive(tmp.resolve("vit-dropit"), r, converted, VIT_GAMMA, 0.7);
    }
}
