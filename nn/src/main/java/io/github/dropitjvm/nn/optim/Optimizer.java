package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters in place from their gradients. Parameters come in {@link ParamGroup}s by full name; a
 * parameter whose gradient is null (frozen, or unused by this step's graph) is skipped and its state left as it
 * is, as PyTorch does.
 *
 * <p><b>State.</b> {@link #state()} exports everything needed to resume bit for bit as a flat map that a
 * safetensors file can hold: {@code "step"} (INT64 scalar: the number of {@link #step()} calls), and per parameter
 * {@code "<kind>.<param name>"}, e.g. {@code exp_avg.blocks.0.attn.qkv.weight} (FLOAT32, the parameter's shape) or
 * {@code step.head.bias} (INT64 scalar, for optimizers that count steps per parameter). A parameter that never had
 * a gradient has no entries. {@link #loadState} takes such a map back, validating all of it before changing
 * anything. Hyperparameters (learning rate, betas, decay) are not state: they come from the run's configuration.
 */
public abstract class Optimizer {
    /** Key of the global step counter in {@link #state()}. */
    public static final String STEP_KEY = "step";

    private final List<ParamGroup> groups;
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private double lr;
    private long steps;
    /** Per-parameter buffers by state key "kind.name"; created lazily at a parameter's first update. */
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    /** Per-parameter update counts, for optimizers that keep them ({@link #perParameterSteps()}). */
    private final Map<String, Long> paramSteps = new LinkedHashMap<>();

    protected Optimizer(List<ParamGroup> groups, double lr) {
        this.groups = List.copyOf(groups);
        Map<Parameter, String> seen = new IdentityHashMap<>();
        for (ParamGroup g : this.groups) {
            g.params().forEach((name, p) -> {
                if (name.isEmpty()) throw new IllegalArgumentException(kind() + ": empty parameter name");
                if (params.putIfAbsent(name, p) != null)
                    throw new IllegalArgumentException(kind() + ": parameter name '" + name + "' appears in two groups");
                String other = seen.put(p, name);
                if (other != null)
                    throw new IllegalArgumentException(kind() + ": the same parameter is registered as '" + other + "' and '" + name + "'");
                if (!p.data().dtype().isFloating())
                    throw new IllegalArgumentException(kind() + ": parameter '" + name + "' has non-floating dtype " + p.data().dtype());
            });
        }
        // as PyTorch: an optimizer of nothing is a mistake (a model whose parameters() came out empty), not a no-op
        if (params.isEmpty()) throw new IllegalArgumentException(kind() + ": no parameters to optimize (the parameter list is empty)");
        setLr(lr);
    }

    /** Short name of the algorithm ("sgd", "adamw"); checkpoints record it. */
    public abstract String kind();

    /** The buffer kinds this optimizer keeps per parameter, in export order (e.g. "exp_avg", "exp_avg_sq"). */
    protected abstract List<String> bufferKinds();

    /** Whether a per-parameter step count is kept (exported as {@code step.<name>}). */
    protected boolean perParameterSteps() {
        return false;
    }

    /**
     * Updates one parameter in place. {@code step} is the parameter's own update count including this one (1 on
     * its first update) when {@link #perParameterSteps()}, else the global count.
     */
    protected abstract void update(String name, Tensor param, Tensor grad, ParamGroup group, long step);

    /** One optimization step over every parameter that has a gradient. */
    public final void step() {
        steps++;
        for (ParamGroup g : groups) {
            for (Map.Entry<String, Parameter> e : g.params().entrySet()) {
                Tensor grad = e.getValue().grad();
                if (grad == null) continue;
                String name = e.getKey();
                Tensor data = e.getValue().data();
                if (!Arrays.equals(grad.shape(), data.shape()))
                    throw new IllegalStateException(kind() + ": gradient " + Shape.str(grad.shape()) + " of parameter '" + name
                            + "' does not match its shape " + Shape.str(data.shape()));
                long s = steps;
                if (perParameterSteps()) {
                    s = paramSteps.merge(name, 1L, Long::sum);
                }
                update(name, data, grad, g, s);
            }
        }
    }

    /** Clears every parameter's gradient. */
    public final void zeroGrad() {
        for (Parameter p : params.values()) p.zeroGrad();
    }

    public final double lr() {
        return lr;
    }

    /** Sets the learning rate of every group (a schedule calls this before each step). */
    public final void setLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr))
            throw new IllegalArgumentException(kind() + ": learning rate must be finite and >= 0, got " + lr);
        this.lr = lr;
    }

    /** Number of {@link #step()} calls so far (restored by {@link #loadState}). */
    public final long steps() {
        return steps;
    }

    public final List<ParamGroup> groups() {
        return groups;
    }

    /** Every parameter by name, across groups. */
    public final Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** The buffer of one kind for one parameter, or null before its first update. */
    protected final Tensor buffer(String kind, String name) {
        return buffers.get(kind + "." + name);
    }

    /** Registers a freshly created buffer (at a parameter's first update). */
    protected final void putBuffer(String kind, String name, Tensor t) {
        buffers.put(kind + "." + name, t);
    }

    /**
     * The state as described in the class comment. Buffer tensors are the live ones, not copies (a checkpoint
     * writer reads them at once; copying would double the optimizer's memory): copy any you keep past the next
     * {@link #step()}.
     */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(STEP_KEY, Tensor.fromArray(new long[]{steps}));
        for (String name : params.keySet()) {
            for (String kind : bufferKinds()) {
                Tensor b = buffer(kind, name);
                if (b != null) out.put(kind + "." + name, b);
            }
            Long s = paramSteps.get(name);
            if (perParameterSteps() && s != null) out.put(STEP_KEY + "." + name, Tensor.fromArray(new long[]{s}));
        }
        return out;
    }

    /**
     * Replaces the whole state with {@code state} (as exported by {@link #state()}; parameters absent from it get
     * fresh state). Everything is checked first, so on any error nothing changes: the global step must be there;
     * every other key must be {@code <kind>.<name>} of a known kind and parameter; buffers must be floating with
     * the parameter's shape; step counts integer scalars; and a parameter has either all of its entries or none.
     * Buffers are copied (as FLOAT32, onto the parameter's backend), so the map may be discarded afterwards.
     */
    public final void loadState(Map<String, Tensor> state) {
        List<String> problems = new ArrayList<>();
        Tensor stepT = state.get(STEP_KEY);
        long globalSteps = 0;
        if (stepT == null) problems.add("missing '" + STEP_KEY + "'");
        else {
            Long v = integerScalar(stepT, STEP_KEY, 0, problems);
            if (v != null) globalSteps = v;
        }
        List<String> kinds = new ArrayList<>(bufferKinds());
        if (perParameterSteps()) kinds.add(STEP_KEY);
        Map<String, Long> newSteps = new LinkedHashMap<>();
        Map<String, List<String>> present = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            if (key.equals(STEP_KEY)) continue;
            int dot = key.indexOf('.');
            String kind = dot < 0 ? key : key.substring(0, dot), name = dot < 0 ? "" : key.substring(dot + 1);
            if (dot < 0 || !kinds.contains(kind)) {
                problems.add("unexpected entry '" + key + "' (" + kind() + " keeps " + kinds + " per parameter)");
                continue;
            }
            Parameter p = params.get(name);
            if (p == null) {
                problems.add("entry '" + key + "' names no parameter of this optimizer");
                continue;
            }
            present.computeIfAbsent(name, k -> new ArrayList<>()).add(kind);
            Tensor t = e.getValue();
            if (kind.equals(STEP_KEY)) {
                Long v = integerScalar(t, key, 1, problems);
                if (v != null) newSteps.put(name, v);
            } else if (!t.dtype().isFloating()) {
                problems.add("entry '" + key + "' has dtype " + t.dtype() + ", expected a floating type");
            } else if (!Arrays.equals(t.shape(), p.shape())) {
                problems.add("entry '" + key + "' has shape " + Shape.str(t.shape()) + " but parameter '" + name
                        + "' has shape " + Shape.str(p.shape()));
            }
        }
        present.forEach((name, has) -> {
            if (has.size() != kinds.size()) {
                List<String> missing = new ArrayList<>(kinds);
                missing.removeAll(has);
                problems.add("incomplete state for parameter '" + name + "': has " + has + " but not " + missing);
            }
        });
        if (!problems.isEmpty())
            throw new IllegalArgumentException(kind() + ": refusing optimizer state: " + String.join("; ", problems));

        Map<String, Tensor> newBuffers = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            if (dot < 0 || key.startsWith(STEP_KEY + ".")) continue;
            Tensor data = params.get(key.substring(dot + 1)).data();
            Tensor src = e.getValue().to(data.backend());
            newBuffers.put(key, data.newZeros(DType.FLOAT32, data.shape()).copyFrom(src));
        }
        buffers.clear();
        buffers.putAll(newBuffers);
        paramSteps.clear();
        paramSteps.putAll(newSteps);
        steps = globalSteps;
    }

    private static Long integerScalar(Tensor t, String key, long min, List<String> problems) {
        if (t.numel() != 1 || t.rank() > 1 || (t.dtype() != DType.INT64 && t.dtype() != DType.INT32)) {
            problems.add("entry '" + key + "' must be an integer scalar, got " + t.dtype() + " " + Shape.str(t.shape()));
            return null;
        }
        long v = t.toLongArray()[0];
        if (v < min) {
            problems.add("entry '" + key + "' is " + v + ", expected >= " + min);
            return null;
        }
        return v;
    }
}
