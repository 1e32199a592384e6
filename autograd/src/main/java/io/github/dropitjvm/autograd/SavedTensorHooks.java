package io.github.dropitjvm.autograd;

import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Pack/unpack hooks for tensors an op saves for backward (PyTorch's saved_tensors_hooks): the seam for
 * memory tricks such as compression or offloading. {@link #pack} runs when an op saves an activation and may
 * return any object that reports the storages it holds ({@link Packed}) or a {@link Tensor}; {@link #unpack}
 * turns it back into a tensor of the original shape in backward. Hooks are per thread and nest;
 * parameters are never passed through them.
 */
public interface SavedTensorHooks {
    /** What a hook stores instead of the tensor; its storages are what the bytes-held figure counts. */
    interface Packed {
        List<Storage> storages();
    }

    /**
     * Optional for a {@link Packed} object holding a Linear layer's input x (M·…, in): computes the weight gradient
     * dW = gᵀ·x̂ straight from the packed form (e.g. DropIT's sparse cache) instead of unpacking a dense x̂. The
     * Linear backward asks first and falls back to unpack + matmul when it returns null.
     */
    interface LinearWeightGrad {
        /**
         * @param g the output gradient as (M, out), M = the product of x's leading dimensions
         * @return dW of shape (out, in), or null to decline (the caller then unpacks)
         */
        Tensor linearWeightGrad(Tensor g);
    }

    /**
     * @param op     name of the op saving the tensor
     * @param module name of the module running the op ("" outside any module)
     */
    Object pack(Tensor tensor, String op, String module);

    Tensor unpack(Object packed);

    /** Installs hooks for the current thread until the returned scope closes. */
    static GradMode.Scope install(SavedTensorHooks hooks) {
        Deque<SavedTensorHooks> stack = Stack.HOOKS.get();
        stack.push(hooks);
        return () -> {
            if (stack.peek() != hooks) throw new IllegalStateException("saved-tensor hooks closed out of order");
            stack.pop();
        };
    }

    /** The innermost hooks of the current thread, or null. */
    static SavedTensorHooks current() {
        return Stack.HOOKS.get().peek();
    }

    final class Stack {
        private static final ThreadLocal<Deque<SavedTensorHooks>> HOOKS = ThreadLocal.withInitial(ArrayDeque::new);

        private Stack() {}
    }
}
