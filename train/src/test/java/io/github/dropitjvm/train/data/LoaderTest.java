package io.github.dropitjvm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class LoaderTest {
    static final ImageSet MINI = Datasets.load("fashion-mnist-mini", null).train();

    static Loader loader(ImageSet data, int batch, boolean dropLast) {
        return new Loader(data, batch, true, dropLast, 1234, Datasets.augmentationFor("fashion-mnist-mini", true),
                Datasets.normalizationFor("fashion-mnist-mini"));
    }

    static List<float[]> drain(Loader.EpochIterator it, List<int[]> labels) {
        List<float[]> out = new ArrayList<>();
        try (it) {
            while (it.hasNext()) {
                Batch b = it.next();
                out.add(b.images().toFloatArray());
                labels.add(b.labels().toIntArray());
            }
        }
        return out;
    }

    static long workers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(Loader.WORKER_NAME) && t.isAlive()).count();
    }

    static void awaitNoWorkers(long before) throws InterruptedException {
        for (int i = 0; i < 200 && workers() > before; i++) Thread.sleep(10);
        assertEquals(before, workers(), "prefetch worker threads left running");
    }

    @Test
    void prefetchingGivesExactlyTheUnprefetchedBatches() throws Exception {
        long before = workers();
        for (boolean dropLast : new boolean[] {false, true}) {
            Loader plain = loader(MINI, 96, dropLast);
            for (int depth : new int[] {1, 2, 5}) {
                Loader pre = plain.withPrefetch(depth);
                assertEquals(depth, pre.prefetch());
                for (int epoch = 0; epoch < 2; epoch++)
                    for (int start : new int[] {0, 7, plain.batchesPerEpoch() - 1, plain.batchesPerEpoch()}) {
                        List<int[]> la = new ArrayList<>(), lb = new ArrayList<>();
                        List<float[]> a = drain(plain.epoch(epoch, start), la), b = drain(pre.epoch(epoch, start), lb);
                        assertEquals(plain.batchesPerEpoch() - start, a.size());
                        assertEquals(a.size(), b.size());
                        for (int i = 0; i < a.size(); i++) {
                            assertArrayEquals(a.get(i), b.get(i), "batch " + i + " epoch " + epoch);
                            assertArrayEquals(la.get(i), lb.get(i));
                        }
                    }
            }
        }
        awaitNoWorkers(before);
    }

    @Test
    void batchesCarryEpochAndIndexAndTheLastOneIsPartial() {
        Loader l = loader(MINI, 300, false).withPrefetch(2);
        List<Batch> all = new ArrayList<>();
        try (Loader.EpochIterator it = l.epoch(3, 0)) {
            it.forEachRemaining(all::add);
            assertThrows(NoSuchElementException.class, it::next);
        }
        assertEquals(7, all.size());
        assertEquals(2000 - 6 * 300, all.get(6).size());
        for (int i = 0; i < 7; i++) {
            assertEquals(3, all.get(i).epoch());
            assertEquals(i, all.get(i).index());
        }
    }

    @Test
    void closingMidEpochStopsTheWorker() throws Exception {
        long before = workers();
        Loader l = loader(MINI, 32, false).withPrefetch(2);
        Loader.EpochIterator it = l.epoch(0, 0);
        it.next();
        Thread.sleep(50); // let the worker fill its queue and block
        assertTrue(workers() > before, "a worker runs while the epoch is open");
        it.close();
        assertEquals(before, workers(), "close() joins the worker");
        assertFalse(it.hasNext());
        assertThrows(IllegalStateException.class, it::next);
        it.close(); // idempotent
    }

    @Test
    void anAbandonedIteratorsWorkerEndsAfterGarbageCollection() throws Exception {
        long before = workers();
        abandon(loader(MINI, 32, false).withPrefetch(2));
        for (int i = 0; i < 100 && workers() > before; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertEquals(before, workers(), "the dropped iterator's worker ended");
    }

    private static void abandon(Loader l) {
        Loader.EpochIterator it = l.epoch(0, 0);
        it.next();
        it.next();
    }

    @Test
    void anAugmentationErrorReachesTheConsumerAndStopsTheWorker() throws Exception {
        long before = workers();
        Augmentation failing = (img, c, h, w, seed, epoch, index) -> {
            if (index == MINI_ORDER_THIRD_BATCH_FIRST) throw new IllegalStateException("boom at " + index);
        };
        Loader l = new Loader(MINI, 100, false, false, 1, failing, Normalization.none(1)).withPrefetch(2);
        Loader.EpochIterator it = l.epoch(0, 0);
        it.next();
        it.next();
        IllegalStateException e = assertThrows(IllegalStateException.class, it::next);
        assertEquals("boom at " + MINI_ORDER_THIRD_BATCH_FIRST, e.getMessage());
        awaitNoWorkers(before);
    }

    /** Without shuffling, image 200 is the first of the third batch of 100. */
    static final int MINI_ORDER_THIRD_BATCH_FIRST = 200;

    @Test
    void startBatchIsChecked() {
        Loader l = loader(MINI, 100, false);
        assertThrows(IllegalArgumentException.class, () -> l.epoch(0, -1));
        assertThrows(IllegalArgumentException.class, () -> l.epoch(0, 21));
        assertFalse(l.epoch(0, 20).hasNext());
        assertThrows(IllegalArgumentException.class, () -> l.withPrefetch(-1));
    }

    @Test
    void trainingAugmentationChangesImagesPerEpochButEvaluationIsPlain() {
        Loader train = new Loader(MINI, 50, false, false, 5, Datasets.augmentationFor("fashion-mnist-mini", true),
                Datasets.normalizationFor("fashion-mnist-mini"));
        Loader eval = new Loader(MINI, 50, false, false, 5, Datasets.augmentationFor("fashion-mnist-mini", false),
                Datasets.normalizationFor("fashion-mnist-mini"));
        float[] e0 = train.epoch(0, 0).next().images().toFloatArray(), e1 = train.epoch(1, 0).next().images().toFloatArray();
        assertFalse(java.util.Arrays.equals(e0, e1));
        float[] v0 = eval.epoch(0, 0).next().images().toFloatArray(), v1 = eval.epoch(1, 0).next().images().toFloatArray();
        assertArrayEquals(v0, v1);
        // normalized: (x/255 - 0.2860) / 0.3530 of the first pixel
        float expected = ((MINI.pixels()[0] & 0xFF) / 255f - 0.2860f) / 0.3530f;
        assertEquals(expected, v0[0], 1e-6f);
    }
}
