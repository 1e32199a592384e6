package io.github.dropitjvm.autograd;

import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.VersionCounter;

import java.util.List;

/**
 * One tensor an op keeps for backward: the single path through which ops save anything, so pack/unpack hooks
 * apply and {@link BackwardMemory} can count exactly what is held. Keeps the storage's version counter (not the
 * storage) to refuse a tensor modified in place after it was saved; released after backward unless the graph
 * is retained.
 */
public final class SavedTensor {
    private final String op;
    private final String module;
    private final boolean parameter;
    private final int[] shape;
    private final VersionCounter versionCounter;
    private final int savedVersion;
    private final SavedTensorHooks hooks;
    private Object packed;
    private boolean released;

    private SavedTensor(String op, String module, boolean parameter, Tensor tensor, SavedTensorHooks hooks, Object packed) {
        this.op = op;
        this.module = module;
        this.parameter = parameter;
        this.shape = tensor.shape();
        this.versionCounter = tensor.storage().versionCounter();
        this.savedVersion = versionCounter.get();
        this.hooks = hooks;
        this.packed = packed;
    }

    /** Saves an activation through the current thread's hooks (if any). */
    static SavedTensor activation(String op, Tensor t) {
        return activation(op, t, SavedTensorHooks.current());
    }

    /** Saves an activation through the given hooks (null: kept as is). */
    static SavedTensor activation(String op, Tensor t, SavedTensorHooks hooks) {
        String module = ModuleScope.current();
        Object packed = t;
        if (hooks != null) {
            packed = hooks.pack(t, op, module);
            if (!(packed instanceof Tensor) && !(packed instanceof SavedTensorHooks.Packed))
                throw new IllegalStateException("saved-tensor hook for op " + op + " returned " + (packed == null ? "null" : packed.getClass().getName())
                        + "; it must return a Tensor or a SavedTensorHooks.Packed so its memory can be counted");
        }
        SavedTensor s = new SavedTensor(op, module, false, t, hooks, packed);
        BackwardMemory.record(s);
        return s;
    }

    /** Saves a parameter: kept as is (no hooks), reported apart from activations. */
    static SavedTensor parameter(String op, Tensor t) {
        SavedTensor s = new SavedTensor(op, ModuleScope.current(), true, t, null, t);
        BackwardMemory.record(s);
        return s;
    }

    /** The saved tensor; fails clearly after release or after an in-place modification. */
    public Tensor get() {
        checkUsable();
        Tensor t = hooks == null ? (Tensor) packed : hooks.unpack(packed);
        if (!java.util.Arrays.equals(t.shape(), shape))
            throw new IllegalStateException("unpack hook for op " + op + " returned shape " + Shape.str(t.shape()) + ", expected " + Shape.str(shape));
        return t;
    }

    /**
     * For a saved Linear input: dW = gᵀ·x̂ computed by the packed object itself when it implements
     * {@link SavedTensorHooks.LinearWeightGrad} (and accepts), else null. Same checks as {@link #get()}.
     */
    public Tensor linearWeightGrad(Tensor g) {
        checkUsable();
        return packed instanceof SavedTensorHooks.LinearWeightGrad lw ? lw.linearWeightGrad(g) : null;
    }

    private void checkUsable() {
        if (released)
            throw new IllegalStateException("backward through op " + op + (module.isEmpty() ? "" : " in module " + module)
                    + " a second time: its saved tensors were freed by the first backward; pass retainGraph = true to the first call");
        if (versionCounter.get() != savedVersion)
            throw new IllegalStateException("a tensor of shape " + Shape.str(shape) + " saved by op " + op + (module.isEmpty() ? "" : " in module " + module)
                    + " for backward was modified in place (version " + savedVersion + " -> " + versionCounter.get() + ")");
    }

    /** Drops the saved data (idempotent). */
    void release() {
        released = true;
        packed = null;
    }

    public boolean isReleased() {
        return released;
    }

    public boolean isParameter() {
        return parameter;
    }

    public String op() {
        return op;
    }

    public String module() {
        return module;
    }

    /** The storages this saved tensor keeps alive (empty once released). */
    public List<Storage> storages() {
        Object p = packed;
        if (p == null) return List.of();
        if (p instanceof Tensor t) return List.of(t.storage());
        return ((SavedTensorHooks.Packed) p).storages();
    }
}
