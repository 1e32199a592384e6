package io.github.dropitjvm.train.run;

import io.github.dropitjvm.dropit.CacheFormat;
import io.github.dropitjvm.dropit.Strategy;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Everything that determines a training run's numbers. Written to {@code config.json} in the run directory; a
 * resumed run reads it back, so it continues with exactly the settings it started with. (Thread count, data
 * directory and test hooks do not change the numbers and are not part of it.)
 *
 * @param warmup        {@code "<n>"} epochs (may be fractional, e.g. {@code 0.5}) or {@code "<n>steps"} optimizer
 *                      steps of linear learning-rate warm-up; see {@link #warmupSteps}
 * @param trainLimit    use only the first N training images (0: all), before the validation split is taken
 * @param testLimit     evaluate on only the first N test images (0: all)
 * @param valSize       validation images split off the training set (seeded), at most a tenth of it; 0: none
 * @param augment       apply the dataset's training augmentation ({@code Datasets.augmentationFor}); false trains
 *                      on the images as they are (still normalized). A config.json written before this setting
 *                      existed has no such field and means true, the only behaviour there was then.
 */
public record TrainConfig(String model, String dataset, int epochs, int batchSize, String optimizer, double lr,
                          double minLr, String warmup, double weightDecay, double momentum, double labelSmoothing,
                          double gamma, Strategy strategy, CacheFormat cacheFormat, long seed, int trainLimit,
                          int testLimit, int valSize, String backend, boolean augment) {

    public TrainConfig {
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        if (!optimizer.equals("adamw") && !optimizer.equals("sgd"))
            throw new IllegalArgumentException("--optimizer must be adamw or sgd, got '" + optimizer + "'");
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr must be finite and > 0, got " + lr);
        if (!(minLr >= 0) || minLr > lr) throw new IllegalArgumentException("--min-lr must be in [0, --lr], got " + minLr);
        parseWarmup(warmup);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay))
            throw new IllegalArgumentException("--weight-decay must be finite and >= 0, got " + weightDecay);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("--momentum must be in [0, 1), got " + momentum);
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            throw new IllegalArgumentException("--label-smoothing must be in [0, 1), got " + labelSmoothing);
        if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException("--dropit-gamma must be in [0, 1], got " + gamma);
        if (trainLimit < 0) throw new IllegalArgumentException("--train-limit must be >= 0, got " + trainLimit);
        if (testLimit < 0) throw new IllegalArgumentException("--test-limit must be >= 0, got " + testLimit);
        if (valSize < 0) throw new IllegalArgumentException("--val-size must be >= 0, got " + valSize);
        if (!backend.equals("cpu") && !backend.equals("opencl") && !backend.equals("cuda"))
            throw new IllegalArgumentException("--backend '" + backend + "' is not supported; backends: cpu, opencl, cuda");
    }

    /** Warm-up length in optimizer steps, for an epoch of {@code stepsPerEpoch} steps. */
    public long warmupSteps(long stepsPerEpoch) {
        double[] w = parseWarmup(warmup);
        return w[1] == 1 ? (long) w[0] : Math.round(w[0] * stepsPerEpoch);
    }

    /** {value, 1 if steps else 0}. */
    private static double[] parseWarmup(String w) {
        String t = w.trim().toLowerCase(Locale.ROOT);
        boolean steps = t.endsWith("steps") || t.endsWith("s");
        String num = t.endsWith("steps") ? t.substring(0, t.length() - 5) : t.endsWith("s") ? t.substring(0, t.length() - 1) : t;
        double v;
        try {
            v = Double.parseDouble(num);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--warmup must be a number of epochs (e.g. 1 or 0.5) or of steps (e.g. 500steps), got '" + w + "'");
        }
        if (!(v >= 0) || Double.isInfinite(v) || (steps && v != Math.rint(v)))
            throw new IllegalArgumentException("--warmup must be >= 0 epochs or a whole number of steps, got '" + w + "'");
        return new double[]{v, steps ? 1 : 0};
    }

    public boolean dropit() {
        return gamma > 0;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("dataset", dataset);
        m.put("epochs", epochs);
        m.put("batch_size", batchSize);
        m.put("optimizer", optimizer);
        m.put("lr", lr);
        m.put("min_lr", minLr);
        m.put("warmup", warmup);
        m.put("weight_decay", weightDecay);
        m.put("momentum", momentum);
        m.put("label_smoothing", labelSmoothing);
        m.put("dropit_gamma", gamma);
        m.put("strategy", strategy.id());
        m.put("cache_format", cacheFormat.id());
        m.put("seed", seed);
        m.put("train_limit", trainLimit);
        m.put("test_limit", testLimit);
        m.put("val_size", valSize);
        m.put("backend", backend);
        m.put("augment", augment);
        return m;
    }

    public static TrainConfig fromJson(Map<String, Object> m) {
        return new TrainConfig(MiniJson.str(m, "model"), MiniJson.str(m, "dataset"), (int) MiniJson.lng(m, "epochs"),
                (int) MiniJson.lng(m, "batch_size"), MiniJson.str(m, "optimizer"), MiniJson.num(m, "lr"),
                MiniJson.num(m, "min_lr"), MiniJson.str(m, "warmup"), MiniJson.num(m, "weight_decay"),
                MiniJson.num(m, "momentum"), MiniJson.num(m, "label_smoothing"), MiniJson.num(m, "dropit_gamma"),
                Strategy.parse(MiniJson.str(m, "strategy")), CacheFormat.parse(MiniJson.str(m, "cache_format")),
                MiniJson.lng(m, "seed"), (int) MiniJson.lng(m, "train_limit"), (int) MiniJson.lng(m, "test_limit"),
                (int) MiniJson.lng(m, "val_size"), MiniJson.str(m, "backend"), augment(m));
    }

    /** The "augment" field; absent in run directories written before it existed, whose runs all augmented. */
    private static boolean augment(Map<String, Object> m) {
        if (!m.containsKey("augment")) return true;
        if (!(m.get("augment") instanceof Boolean b))
            throw new IllegalArgumentException("JSON: 'augment' must be true or false, got " + MiniJson.write(m.get("augment")));
        return b;
    }

    public TrainConfig withGammaAndSeed(double g, long s) {
        return new TrainConfig(model, dataset, epochs, batchSize, optimizer, lr, minLr, warmup, weightDecay, momentum,
                labelSmoothing, g, strategy, cacheFormat, s, trainLimit, testLimit, valSize, backend, augment);
    }
}
