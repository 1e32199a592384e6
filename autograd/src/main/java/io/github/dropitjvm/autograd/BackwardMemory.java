package io.github.dropitjvm.autograd;

import io.github.dropitjvm.tensor.Storage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures bytes held for backward, the project's one memory figure: the storages that saved tensors recorded on this
 * thread while the tracker was open keep alive, each storage counted once (a saved view counts its whole
 * storage; a tensor saved by two ops counts once, attributed to the first). Parameters are counted apart.
 * The figure comes from the storages themselves, so it reflects whatever pack hooks or DropIT caches hold.
 *
 * <pre>{@code
 * try (BackwardMemory m = BackwardMemory.track()) {
 *     Variable loss = model.forward(x);
 *     long held = m.report().activationBytes();
 * }
 * }</pre>
 */
public final class BackwardMemory implements GradMode.Scope {
    private static final ThreadLocal<Deque<BackwardMemory>> ACTIVE = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<SavedTensor> saved = new ArrayList<>();
    private int pruneAt = 64;

    private BackwardMemory() {}

    /** Starts recording what ops on this thread save, until close. Trackers nest; each sees everything inside it. */
    public static BackwardMemory track() {
        BackwardMemory m = new BackwardMemory();
        ACTIVE.get().push(m);
        return m;
    }

    static void record(SavedTensor s) {
        for (BackwardMemory m : ACTIVE.get()) m.add(s);
    }

    /** Adds a saved tensor; released ones are dropped now and then so a tracker open for a whole run stays small. */
    private void add(SavedTensor s) {
        if (saved.size() >= pruneAt) {
            saved.removeIf(SavedTensor::isReleased);
            pruneAt = Math.max(64, 2 * saved.size());
        }
        saved.add(s);
    }

    /** Breakdown of what is held now (released saved tensors count nothing). */
    public record Report(long activationBytes, long parameterBytes, Map<String, Long> byOp, Map<String, Long> byModule, int savedTensors) {
        @Override
        public String toString() {
            return "held for backward: " + activationBytes + " B in " + savedTensors + " saved tensors (parameters " + parameterBytes + " B); by op " + byOp;
        }
    }

    public Report report() {
        Map<Storage, Boolean> seen = new IdentityHashMap<>();
        Map<String, Long> byOp = new LinkedHashMap<>(), byModule = new LinkedHashMap<>();
        long act = 0, par = 0;
        int count = 0;
        for (SavedTensor s : saved) {
            List<Storage> storages = s.storages();
            if (storages.isEmpty()) continue;
            count++;
            for (Storage st : storages) {
                if (seen.put(st, Boolean.TRUE) != null) continue;
                if (s.isParameter()) {
                    par += st.bytes();
                    continue;
                }
                act += st.bytes();
                byOp.merge(s.op(), st.bytes(), Long::sum);
                byModule.merge(s.module(), st.bytes(), Long::sum);
            }
        }
        return new Report(act, par, Collections.unmodifiableMap(byOp), Collections.unmodifiableMap(byModule), count);
    }

    @Override
    public void close() {
        Deque<BackwardMemory> stack = ACTIVE.get();
        if (stack.peek() != this) throw new IllegalStateException("BackwardMemory trackers closed out of order");
        stack.pop();
    }
}
