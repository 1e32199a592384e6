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
 * End to end on the shipped real subset (fashion-mnist-mini, no network): resnet20 for 3 epochs (84 steps) with
 * the command line's defaults otherwise reaches >= 70% test accuracy with and without DropIT (γ 0.9), and in the
 * DropIT run every converted layer kept exactly k elements and the bytes held equal DROPIT.md's arithmetic.
 * (vit-fmnist learns far more slowly from 2 000 images, and DropIT γ 0.9 costs it about 5 points there, so it has no
 * test here; its runs belong to the grid. Best measured recipe: batch 16, AdamW lr 1e-3, 100 warm-up steps, no weight
 * decay or label smoothing, no validation split, 20 epochs (2 500 steps, 40 000 images, about 11 min each on the
 * shared 2-core machine): seed 1 75.6% plain, 70.0% γ 0.9; seed 2 70.0% plain, 67.2% γ 0.9 — not reliably over the
 * bar. Batch 32 with lr 5e-4, 1e-3 or 2e-3, batch 64 with lr 2e-3, and batch 8 learned more slowly per image; lr 3e-3
 * at batch 32 diverged. In those runs the DropIT bytes held equalled DROPIT.md's arithmetic, 65.8% of plain.)
 */
class FashionMnistMiniEndToEndTest {
    @TempDir
    Path tmp;

    private Trainer.Result train(double gamma, Path dir, List<Module> convertedOut) throws Exception {
        TrainConfig cfg = new TrainConfig("resnet20", "fashion-mnist-mini", 3, 64, "adamw", 3e-3, 1e-5, "1", 0.05, 0.9, 0.1,
                gamma, Strategy.EXACT_MINK, CacheFormat.AUTO, 1, 0, 0, 5000, "cpu", true);
        StringWriter log = new StringWriter();
        Trainer t = Trainer.start(cfg, dir, null, new PrintWriter(log, true), false);
        Trainer.Result r = t.run();
        assertEquals(Trainer.Outcome.DONE, r.outcome(), log.toString());
        assertTrue(r.testAcc() >= 0.70, "γ " + gamma + ": test accuracy " + r.testAcc() + "\n" + log);
        t.model().visit(m -> { if (DropIt.cacheOf(m) != null) convertedOut.add(m); });
        return r;
    }

    @Test
    void resnet20ReachesSeventyPercentWithAndWithoutDropIt() throws Exception {
        List<Module> none = new ArrayList<>(), converted = new ArrayList<>();
        train(0.0, tmp.resolve("plain"), none);
        assertTrue(none.isEmpty());
        Trainer.Result r = train(0.9, tmp.resolve("dropit"), converted);
        assertEquals(20, converted.size()); // 18 block convs + 2 downsample convs; the stem conv and the fc head stay dense
        for (Module m : converted) {
            LayerStats s = DropIt.cacheOf(m).stats();
            assertEquals(DropItKernels.keepCount(s.lastElements(), 0.9), s.lastKept(), m.name());
        }
        // Proof DropIT was active: the bytes held equal DROPIT.md's arithmetic to the byte (each converted conv is the
        // only holder of its input, ReLU keeps a 1-bit mask), and they are well below the plain model's.
        Map<String, Object> result = MiniJson.parseObject(Files.readString(tmp.resolve("dropit").resolve(Trainer.RESULT)));
        assertEquals(MiniJson.lng(result, "expected_held_bytes_dropit"), r.heldDropit());
        assertTrue(r.heldDropit() < 0.7 * r.heldPlain(), r.heldDropit() + " vs plain " + r.heldPlain());
    }
}
