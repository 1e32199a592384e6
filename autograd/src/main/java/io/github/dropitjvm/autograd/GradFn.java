package io.github.dropitjvm.autograd;

import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A recorded op in the graph: its backward function, what it saved, and edges to the nodes that produced its
 * inputs. Edges point at nodes, never at tensors, so the graph keeps alive only what ops explicitly save.
 *
 * <p>How an op is written (forward and backward side by side):
 * <pre>{@code
 * public static Variable mul(Variable a, Variable b) {
 *     GradFn f = GradFn.of("mul", a, b);
 *     SavedTensor sa = f.needs(1) ? f.save(a) : null, sb = f.needs(0) ? f.save(b) : null;
 *     int[] as = a.shape(), bs = b.shape();
 *     return f.output(a.data().mul(b.data()), g -> new Tensor[]{
 *             f.needs(0) ? Grads.sumTo(g.mul(sb.get()), as) : null,
 *             f.needs(1) ? Grads.sumTo(g.mul(sa.get()), bs) : null});
 * }
 * }</pre>
 * The backward closure must capture only saved-tensor handles, shapes and scalars — never a Variable or a
 * Tensor — or it would keep memory alive that {@link BackwardMemory} does not see.
 */
public class GradFn {
    /** Computes the input gradients from the output gradient (null where an input needs none). */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    private final String op;
    private final String module;
    final GradFn[] next;
    private final int[][] inputShapes;
    private final boolean recording;
    private final List<SavedTensor> saved = new ArrayList<>();
    private Backward backward;
    private boolean released;
    /** For an op whose output is a slice of its only input ({@link #sliceOfInput}): the slice's dim and start, else -1. */
    private int sliceDim = -1, sliceStart;

    GradFn(String op, GradFn[] next, int[][] inputShapes, boolean recording) {
        this.op = op;
        this.module = ModuleScope.current();
        this.next = next;
        this.inputShapes = inputShapes;
        this.recording = recording;
    }

    /** Starts an op over the given inputs; it records only in grad mode and when some input requires grad. */
    public static GradFn of(String op, Variable... inputs) {
        boolean any = false;
        if (GradMode.isEnabled()) for (Variable v : inputs) any |= v != null && v.requiresGrad();
        GradFn[] next = new GradFn[inputs.length];
        int[][] shapes = new int[inputs.length][];
        if (any) {
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i] == null) continue;
                next[i] = inputs[i].gradEdge();
                shapes[i] = inputs[i].shape();
            }
        }
        return new GradFn(op, next, shapes, any);
    }

    public String op() {
        return op;
    }

    /** Whether this op is being recorded at all. */
    public boolean recording() {
        return recording;
    }

    /** Whether input i needs a gradient. */
    public boolean needs(int i) {
        return recording && next[i] != null;
    }

    /**
     * Saves a variable's tensor for backward: a parameter (a leaf that requires grad) is kept as is and reported
     * apart; anything else is an activation and goes through the thread's pack hooks. Returns null when not
     * recording.
     */
    public SavedTensor save(Variable v) {
        if (!recording) return null;
        SavedTensor s = v.isLeaf() && v.requiresGrad() ? SavedTensor.parameter(op, v.data()) : SavedTensor.activation(op, v.data());
        saved.add(s);
        return s;
    }

    /**
     * Saves an activation through specific pack/unpack hooks instead of the thread's: how DropIT's layers
     * cache a compact form of their input while the rest of the graph is untouched.
     */
    public SavedTensor save(Variable v, SavedTensorHooks hooks) {
        if (!recording) return null;
        SavedTensor s = SavedTensor.activation(op, v.data(), hooks);
        saved.add(s);
        return s;
    }

    /** Saves an intermediate tensor the op computed (statistics, a mask, its output). */
    public SavedTensor save(Tensor t) {
        if (!recording) return null;
        SavedTensor s = SavedTensor.activation(op, t);
        saved.add(s);
        return s;
    }

    /**
     * Declares that this op's output is {@code input.narrow(dim, start, length)} of its only input and that its
     * backward returns the output gradient itself: the backward engine adds it into that slice of the input's
     * gradient, which it allocates once for all such slices (q, k and v cut from one qkv projection), instead of
     * each op allocating a zero-filled input-sized gradient and the engine adding those up.
     */
    public GradFn sliceOfInput(int dim, int start) {
        if (next.length != 1) throw new IllegalStateException("sliceOfInput: op " + op + " has " + next.length + " inputs, not one");
        sliceDim = dim;
        sliceStart = start;
        return this;
    }

    /**
     * Adds contribution g, which this node's backward returned for input i, into {@code pending}'s gradient for that
     * input's node. {@code owned} holds the gradients the engine itself allocated and has not handed out yet: only
     * those are added into in place (anything else may be shared, e.g. an add's backward returns its output
     * gradient for both inputs). Sums run in arrival order either way, so the values are those of adding fresh
     * tensors; a slice is added into its part only (the rest of the input's gradient is untouched where the
     * zero-filled gradients used to add +0, which differs only in the sign of a zero).
     */
    void accumulateInto(int i, Tensor g, Map<GradFn, Tensor> pending, Set<Tensor> owned) {
        GradFn into = next[i];
        Tensor had = pending.get(into);
        if (sliceDim >= 0) {
            if (had == null) {
                had = g.newZeros(g.dtype(), inputShapes[i]);
                had.narrow(sliceDim, sliceStart, g.size(sliceDim)).copyFrom(g);
            } else {
                if (!owned.contains(had)) had = had.copy();
                had.narrow(sliceDim, sliceStart, g.size(sliceDim)).addInPlace(g);
            }
            owned.add(had);
            pending.put(into, had);
        } else if (had == null) {
            pending.put(into, g);
        } else if (owned.contains(had)) {
            had.addInPlace(g);
        } else {
            Tensor sum = had.add(g);
            owned.add(sum);
            pending.put(into, sum);
        }
    }

    /** Wraps the forward result; attaches this node when recording. */
    public Variable output(Tensor result, Backward backward) {
        if (!recording) return Variable.constant(result);
        this.backward = backward;
        return Variable.fromOp(result, this);
    }

    /** Runs backward for this node; frees saved tensors unless the graph is retained. */
    Tensor[] apply(Tensor gradOutput, boolean retain) {
        if (released)
            throw new IllegalStateException("backward through op " + op + (module.isEmpty() ? "" : " in module " + module)
                    + " a second time: the first backward freed the graph; pass retainGraph = true to it");
        Tensor[] grads = backward.apply(gradOutput);
        if (grads.length != next.length)
            throw new IllegalStateException("backward of op " + op + " returned " + grads.length + " gradients for " + next.length + " inputs");
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] == null || next[i] == null) continue;
            int[] expected = inputShapes[i];
            if (sliceDim >= 0) {
                expected = expected.clone();
                int len = grads[i].rank() == expected.length ? grads[i].size(sliceDim) : -1;
                expected[sliceDim] = len >= 0 && sliceStart + len <= expected[sliceDim] ? len : -1;
            }
            if (!java.util.Arrays.equals(grads[i].shape(), expected))
                throw new IllegalStateException("backward of op " + op + " produced gradient " + Shape.str(grads[i].shape())
                        + " for input " + i + " of shape " + Shape.str(inputShapes[i]) + (sliceDim >= 0 ? " (a slice along dim " + sliceDim + ")" : ""));
        }
        if (!retain) release();
        return grads;
    }

    void release() {
        released = true;
        backward = null;
        for (SavedTensor s : saved) s.release();
    }

    @Override
    public String toString() {
        return op + (module.isEmpty() ? "" : " (" + module + ")");
    }

    /** The node of a leaf that requires grad: accumulates into the leaf's {@code grad}. */
    static final class AccumulateGrad extends GradFn {
        private final Variable leaf;

        AccumulateGrad(Variable leaf) {
            super("accumulate-grad", new GradFn[0], new int[0][], true);
            this.leaf = leaf;
        }

        @Override
        Tensor[] apply(Tensor gradOutput, boolean retain) {
            leaf.accumulateGrad(gradOutput);
            return new Tensor[0];
        }
    }
}
