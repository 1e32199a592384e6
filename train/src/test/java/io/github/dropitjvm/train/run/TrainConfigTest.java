package io.github.dropitjvm.train.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.Strategy;
import io.github.dropitjvm.train.data.Batch;
import io.github.dropitjvm.train.data.Datasets;
import io.github.dropitjvm.train.data.ImageSet;
import io.github.dropitjvm.train.data.Loader;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
    /** A config.json as the grid's run directories hold it, written before the augment setting existed. */
    static final String OLD_CONFIG = "{\"model\":\"vit-fmnist\",\"dataset\":\"fashion-mnist\",\"epochs\":20,\"batch_size\":32,"
            + "\"optimizer\":\"adamw\",\"lr\":0.001,\"min_lr\":1.0E-5,\"warmup\":\"1\",\"weight_decay\":0.05,\"momentum\":0.9,"
            + "\"label_smoothing\":0.1,\"dropit_gamma\":0.7,\"strategy\":\"exact-mink\",\"cache_format\":\"auto\",\"seed\":1,"
            + "\"train_limit\":0,\"test_limit\":0,\"val_size\":5000,\"backend\":\"cpu\"}";

    static TrainConfig config(String dataset, boolean augment) {
        return new TrainConfig("vit-fmnist", dataset, 20, 32, "adamw", 1e-3, 1e-5, "1", 0.05, 0.9, 0.1, 0.7,
                Strategy.EXACT_MINK, CacheFormat.AUTO, 1, 0, 0, 5000, "cpu", augment);
    }

    @Test
    void aConfigWrittenBeforeTheAugmentSettingReadsAsAugmentOn() {
        TrainConfig old = TrainConfig.fromJson(MiniJson.parseObject(OLD_CONFIG));
        assertTrue(old.augment());
        // equal to what today's command line builds for the same options, so compare resumes such a run directory
        assertEquals(config("fashion-mnist", true), old);
    }

    @Test
    void augmentRoundTripsThroughJson() {
        for (boolean a : new boolean[] {true, false}) {
            Map<String, Object> json = config("fashion-mnist-mini", a).toJson();
            assertEquals(a, json.get("augment"));
            assertEquals(config("fashion-mnist-mini", a), TrainConfig.fromJson(MiniJson.parseObject(MiniJson.write(json))));
        }
    }

    @Test
    void aMalformedAugmentFieldIsRefusedNamingIt() {
        String bad = OLD_CONFIG.replace("}", ",\"augment\":\"off\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.fromJson(MiniJson.parseObject(bad)));
        assertTrue(e.getMessage().contains("'augment'"), e.getMessage());
    }

    @Test
    void augmentOffTrainsOnTheNormalizedImagesAsTheyAre() {
        ImageSet train = Datasets.load("fashion-mnist-mini", null).train();
        int per = train.imageBytes();
        for (boolean augment : new boolean[] {false, true}) {
            Loader loader = Trainer.trainingLoader(config("fashion-mnist-mini", augment), train);
            int differing = 0;
            for (int epoch = 0; epoch < 2; epoch++) {
                int[] order = loader.order(epoch);
                try (Loader.EpochIterator it = loader.epoch(epoch, 0)) {
                    for (int b = 0; b < 3; b++) {
                        Batch batch = it.next();
                        float[] got = batch.images().toFloatArray();
                        float[] want = new float[got.length];
                        for (int j = 0; j < 32; j++) {
                            int i = order[b * 32 + j];
                            // Fashion-MNIST's normalization, mean 0.2860 and std 0.3530, of the stored bytes
                            for (int p = 0; p < per; p++)
                                want[j * per + p] = ((train.pixels()[i * per + p] & 0xFF) / 255f - 0.2860f) / 0.3530f;
                        }
                        if (!augment) assertArrayEquals(want, got, "epoch " + epoch + " batch " + b);
                        else if (!Arrays.equals(want, got)) differing++;
                    }
                }
            }
            // the same check on augmented batches fails: random crops and flips change nearly every one of them
            if (augment) assertTrue(differing >= 5, "augmented batches equal to the raw images: " + (6 - differing) + " of 6");
        }
    }
}
