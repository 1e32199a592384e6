package io.github.dropitjvm.autograd;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The name of the module whose forward is running on this thread (e.g. {@code blocks.0.attn.qkv}), so saved
 * tensors can be attributed per module. Layers enter a scope around their forward; scopes nest.
 */
public final class ModuleScope {
    private static final ThreadLocal<Deque<String>> NAMES = ThreadLocal.withInitial(ArrayDeque::new);

    private ModuleScope() {}

    public static GradMode.Scope enter(String name) {
        Deque<String> names = NAMES.get();
        names.push(name);
        return () -> {
            if (names.peek() != name) throw new IllegalStateException("module scope '" + name + "' closed out of order");
            names.pop();
        };
    }

    /** Innermost module name, or "" outside any module. */
    public static String current() {
        String n = NAMES.get().peek();
        return n == null ? "" : n;
    }
}
