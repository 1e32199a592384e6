package io.github.dropitjvm.autograd;

import io.github.dropitjvm.autograd.ops.Elementwise;
import io.github.dropitjvm.autograd.ops.Linalg;
import io.github.dropitjvm.autograd.ops.Reductions;
import io.github.dropitjvm.autograd.ops.Shapes;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A tensor in the autograd graph: its data, whether it requires a gradient, the node that produced it (null for
 * leaves) and, for leaves that require grad, the accumulated gradient after {@link #backward()}.
 */
public final class Variable {
    private final Tensor data;
    private final boolean requiresGrad;
    private final GradFn gradFn;
    private GradFn accumulator;
    private Tensor grad;

    private Variable(Tensor data, boolean requiresGrad, GradFn gradFn) {
        this.data = data;
        this.requiresGrad = requiresGrad;
        this.gradFn = gradFn;
    }

    /** A leaf that requires grad (a parameter or an input to differentiate with respect to). */
    public static Variable param(Tensor data) {
        return new Variable(data, true, null);
    }

    /** A leaf that needs no gradient. */
    public static Variable constant(Tensor data) {
        return new Variable(data, false, null);
    }

    static Variable fromOp(Tensor data, GradFn fn) {
        return new Variable(data, true, fn);
    }

    public Tensor data() {
        return data;
    }

    public int[] shape() {
        return data.shape();
    }

    public int size(int dim) {
        return data.size(dim);
    }

    public int rank() {
        return data.rank();
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The node that produced this variable, or null for a leaf. */
    public GradFn gradFn() {
        return gradFn;
    }

    /** The accumulated gradient of a leaf, or null before any backward reached it. */
    public Tensor grad() {
        return grad;
    }

    public void zeroGrad() {
        grad = null;
    }

    /** Replaces the gradient (e.g. after clipping); shape must match. */
    public void setGrad(Tensor g) {
        if (g != null && !java.util.Arrays.equals(g.shape(), data.shape()))
            throw new IllegalArgumentException("setGrad: gradient " + Shape.str(g.shape()) + " for a variable of shape " + Shape.str(data.shape()));
        grad = g;
    }

    /** The same data, cut from the graph. */
    public Variable detach() {
        return constant(data);
    }

    public float item() {
        return data.item();
    }

    GradFn gradEdge() {
        if (!requiresGrad) return null;
        if (gradFn != null) return gradFn;
        if (accumulator == null) accumulator = new GradFn.AccumulateGrad(this);
        return accumulator;
    }

    void accumulateGrad(Tensor g) {
        if (grad == null) grad = g.copy(); // own copy: the same gradient tensor may reach several leaves
        else grad.addInPlace(g);
    }

    // ------------------------------------------------------------------ backward engine

    /** Backward from a one-element variable, freeing the graph. */
    public void backward() {
        backward(false);
    }

    public void backward(boolean retainGraph) {
        if (data.numel() != 1)
            throw new IllegalArgumentException("backward: implicit gradient needs a one-element output, got shape " + Shape.str(data.shape()) + "; pass a gradient");
        backward(Tensor.full(data.backend(), data.dtype(), 1.0, data.shape()), retainGraph);
    }

    /**
     * Backward with a given output gradient, which must have the output's shape, dtype (FLOAT32) and backend.
     * Nodes run in reverse topological order; each node's gradient is the sum over its uses, so a variable used
     * several times gets the sum of its contributions.
     */
    public void backward(Tensor gradient, boolean retainGraph) {
        if (!requiresGrad) throw new IllegalStateException("backward: this variable does not require grad (no input of its graph does)");
        if (gradient == null)
            throw new IllegalArgumentException("backward: gradient is null; pass a tensor of the output's shape " + Shape.str(data.shape())
                    + ", or call backward() on a one-element output");
        if (!java.util.Arrays.equals(gradient.shape(), data.shape()))
            throw new IllegalArgumentException("backward: gradient " + Shape.str(gradient.shape()) + " for output " + Shape.str(data.shape()));
        // Checked here, not left to the ops: the first node's backward would refuse a wrong dtype or backend in its
        // own words ("matmul: expected a FLOAT32 tensor"), naming an op the caller never called with that tensor.
        if (gradient.dtype() != data.dtype())
            throw new IllegalArgumentException("backward: gradient must be " + data.dtype() + " like the output, got " + gradient.dtype()
                    + " of shape " + Shape.str(gradient.shape()) + " (convert with to(DType." + data.dtype() + "))");
        if (gradient.backend() != data.backend())
            throw new IllegalArgumentException("backward: gradient is on backend '" + gradient.backend().name() + "' but the output on '"
                    + data.backend().name() + "'; move it with to(backend)");
        GradFn root = gradEdge();
        // dependency counts: how many edges point into each node from nodes reachable from the root
        Map<GradFn, Integer> deps = new IdentityHashMap<>();
        Deque<GradFn> stack = new ArrayDeque<>();
        stack.push(root);
        deps.put(root, 0);
        while (!stack.isEmpty()) {
            GradFn n = stack.pop();
            for (GradFn m : n.next) {
                if (m == null) continue;
                Integer c = deps.get(m);
                deps.put(m, c == null ? 1 : c + 1);
                if (c == null) stack.push(m);
            }
        }
        Map<GradFn, Tensor> pending = new HashMap<>();
        Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        pending.put(root, gradient);
        Deque<GradFn> ready = new ArrayDeque<>();
        ready.add(root);
        while (!ready.isEmpty()) {
            GradFn n = ready.poll();
            Tensor g = pending.remove(n);
            owned.remove(g); // handed to n's backward, which may pass it on: no longer the engine's alone
            // a node no gradient reached (every path to it gave null) still releases and unblocks its inputs
            Tensor[] grads = g == null ? null : n.apply(g, retainGraph);
            if (g == null && !retainGraph) n.release();
            for (int i = 0; i < n.next.length; i++) {
                GradFn m = n.next[i];
                if (m == null) continue;
                if (grads != null && grads[i] != null) n.accumulateInto(i, grads[i], pending, owned);
                if (deps.merge(m, -1, Integer::sum) == 0) ready.add(m);
            }
        }
    }

    // ------------------------------------------------------------------ op shorthands (see the ops package)

    public Variable add(Variable o) { return Elementwise.add(this, o); }
    public Variable sub(Variable o) { return Elementwise.sub(this, o); }
    public Variable mul(Variable o) { return Elementwise.mul(this, o); }
    public Variable div(Variable o) { return Elementwise.div(this, o); }
    public Variable add(double v) { return Elementwise.add(this, v); }
    public Variable mul(double v) { return Elementwise.mul(this, v); }
    public Variable neg() { return Elementwise.neg(this); }
    public Variable exp() { return Elementwise.exp(this); }
    public Variable log() { return Elementwise.log(this); }
    public Variable tanh() { return Elementwise.tanh(this); }
    public Variable relu() { return Elementwise.relu(this); }
    public Variable gelu() { return Elementwise.gelu(this); }
    public Variable matmul(Variable o) { return Linalg.matmul(this, o); }
    public Variable sum() { return Reductions.sum(this); }
    public Variable mean() { return Reductions.mean(this); }
    public Variable reshape(int... shape) { return Shapes.reshape(this, shape); }
    public Variable transpose(int d0, int d1) { return Shapes.transpose(this, d0, d1); }
    public Variable permute(int... dims) { return Shapes.permute(this, dims); }

    @Override
    public String toString() {
        return "Variable(" + data + (gradFn != null ? ", grad_fn=" + gradFn : requiresGrad ? ", requires_grad" : "") + ")";
    }
}
