package io.github.dropitjvm.train.run;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a run stands, saved beside each checkpoint ({@code trainer.json}): enough, with the model and optimizer
 * files, to continue bit for bit. The loader's position is (seed, epoch, batch): its shuffle is a pure function of
 * seed and epoch, and it can start at any batch. DropIT's random strategy draws from (seed, layer, step) with a
 * per-layer step counter that advances once per training forward; those counters are saved here and restored.
 *
 * @param epoch          the epoch in progress (0-based)
 * @param batch          the next batch of that epoch to train on (equal to batches per epoch: only the epoch's
 *                       evaluation is left)
 * @param globalStep     optimizer steps taken so far (the learning-rate schedule's position)
 * @param epochLossSum   sum of this epoch's step losses so far (so the epoch's mean is exact across a resume)
 * @param epochSeconds   training time of this epoch so far
 * @param totalSeconds   training time of the run so far
 * @param dropitSteps    per converted layer, its DropIT step counter (empty without DropIT)
 */
public record TrainerState(int epoch, int batch, long globalStep, double bestValAcc, int bestEpoch, double bestTestAcc,
                           double epochLossSum, long epochLossCount, double epochSeconds, double totalSeconds,
                           long loaderSeed, Map<String, Long> dropitSteps) {

    public static TrainerState fresh(long seed) {
        return new TrainerState(0, 0, 0, -1, -1, -1, 0, 0, 0, 0, seed, Map.of());
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", epoch);
        m.put("batch", batch);
        m.put("global_step", globalStep);
        m.put("best_val_acc", bestValAcc);
        m.put("best_epoch", bestEpoch);
        m.put("best_test_acc", bestTestAcc);
        m.put("epoch_loss_sum", epochLossSum);
        m.put("epoch_loss_count", epochLossCount);
        m.put("epoch_seconds", epochSeconds);
        m.put("total_seconds", totalSeconds);
        Map<String, Object> loader = new LinkedHashMap<>();
        loader.put("seed", loaderSeed);
        loader.put("epoch", epoch);
        loader.put("next_batch", batch);
        m.put("loader", loader);
        m.put("dropit_layer_steps", new LinkedHashMap<>(dropitSteps));
        return m;
    }

    @SuppressWarnings("unchecked")
    public static TrainerState fromJson(Map<String, Object> m) {
        Map<String, Long> steps = new LinkedHashMap<>();
        ((Map<String, Object>) m.get("dropit_layer_steps")).forEach((k, v) -> steps.put(k, ((Number) v).longValue()));
        Map<String, Object> loader = (Map<String, Object>) m.get("loader");
        return new TrainerState((int) MiniJson.lng(m, "epoch"), (int) MiniJson.lng(m, "batch"), MiniJson.lng(m, "global_step"),
                MiniJson.num(m, "best_val_acc"), (int) MiniJson.lng(m, "best_epoch"), MiniJson.num(m, "best_test_acc"),
                MiniJson.num(m, "epoch_loss_sum"), MiniJson.lng(m, "epoch_loss_count"), MiniJson.num(m, "epoch_seconds"),
                MiniJson.num(m, "total_seconds"), MiniJson.lng(loader, "seed"), steps);
    }
}
