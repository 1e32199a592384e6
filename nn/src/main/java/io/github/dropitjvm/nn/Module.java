package io.github.dropitjvm.nn;

import io.github.dropitjvm.autograd.GradMode;
import io.github.dropitjvm.autograd.ModuleScope;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A node of the module tree. Parameters, buffers and children are registered under local names; full names
 * join the path with dots exactly as PyTorch/timm do ({@code blocks.0.attn.qkv.weight}), so checkpoints map
 * one to one. {@link #forward} runs {@link #compute} inside a {@link ModuleScope} named after the module, so
 * bytes held for backward can be broken down per module.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private Module parent;
    private String localName = "";
    private boolean training = true;

    /** The layer's computation; call {@link #forward} instead. */
    protected abstract Variable compute(Variable x);

    public final Variable forward(Variable x) {
        try (GradMode.Scope s = ModuleScope.enter(name())) {
            return compute(x);
        }
    }

    protected final Parameter parameter(String name, Tensor init) {
        return register(name, new Parameter(init));
    }

    /** Registers a parameter created elsewhere (e.g. by a superclass constructor). */
    protected final Parameter register(String name, Parameter p) {
        checkName(name);
        parameters.put(name, p);
        return p;
    }

    protected final Tensor buffer(String name, Tensor init) {
        checkName(name);
        buffers.put(name, init);
        return init;
    }

    protected final <M extends Module> M child(String name, M module) {
        checkName(name);
        Module m = module;
        if (m.parent != null) throw new IllegalArgumentException("module " + m.name() + " already belongs to a parent");
        m.parent = this;
        m.localName = name;
        children.put(name, m);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("module: invalid name '" + name + "'");
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name))
            throw new IllegalArgumentException("module: name '" + name + "' registered twice");
    }

    /** Dotted path from the root ("" for the root). */
    public final String name() {
        if (parent == null) return "";
        String p = parent.name();
        return p.isEmpty() ? localName : p + "." + localName;
    }

    public final Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** All parameters of the subtree by full name, in registration order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out, null);
        return out;
    }

    /** All buffers (e.g. batch-norm running statistics) of the subtree by full name. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", null, out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> ps, Map<String, Tensor> bs) {
        if (ps != null) parameters.forEach((k, v) -> ps.put(prefix + k, v));
        if (bs != null) buffers.forEach((k, v) -> bs.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", ps, bs));
    }

    /** Parameters and buffers by full name: what a checkpoint holds. */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((k, p) -> out.put(k, p.data()));
        out.putAll(namedBuffers());
        return out;
    }

    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public final long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) n += p.numel();
        return n;
    }

    /** Visits this module and all descendants, parents first. */
    public final void visit(Consumer<Module> visitor) {
        visitor.accept(this);
        for (Module m : children.values()) m.visit(visitor);
    }

    public final void train() {
        visit(m -> m.training = true);
    }

    public final void eval() {
        visit(m -> m.training = false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Freezes (or unfreezes) every parameter of the subtree. */
    public final void setTrainable(boolean on) {
        for (Parameter p : namedParameters().values()) p.setTrainable(on);
    }

    public final void zeroGrad() {
        for (Parameter p : namedParameters().values()) p.zeroGrad();
    }

    /** One line per module: name, type, its own parameters' shapes and counts; then the total. */
    public final String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-36s %-24s %12s%n", "module", "type", "params"));
        visit(m -> {
            long own = 0;
            StringBuilder shapes = new StringBuilder();
            for (Map.Entry<String, Parameter> e : m.parameters.entrySet()) {
                own += e.getValue().numel();
                shapes.append(' ').append(e.getKey()).append(Shape.str(e.getValue().shape()));
            }
            String n = m.name().isEmpty() ? "(root)" : m.name();
            sb.append(String.format("%-36s %-24s %12d%s%n", n, m.getClass().getSimpleName(), own, shapes));
        });
        sb.append(String.format("total parameters: %d (trainable %d)%n", parameterCount(),
                namedParameters().values().stream().filter(Parameter::trainable).mapToLong(Parameter::numel).sum()));
        return sb.toString();
    }
}
