package io.github.dropitjvm.autograd;

import io.github.dropitjvm.autograd.ops.Elementwise;
import io.github.dropitjvm.autograd.ops.Linalg;
import io.github.dropitjvm.autograd.ops.Norms;
import io.github.dropitjvm.autograd.ops.Reductions;
import io.github.dropitjvm.autograd.ops.Shapes;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

class SavedTensorHooksTest {

    /** A BF16 copy of a saved FLOAT32 activation; reports the BF16 storage as what it holds. */
    record Bf16Packed(Tensor bf16) implements SavedTensorHooks.Packed {
        @Override
        public List<Storage> storages() {
            return List.of(bf16.storage());
        }
    }

    /** Stores FLOAT32 activations as BF16 (others as they are) and records what it saw. */
    static final class Bf16Hooks implements SavedTensorHooks {
        final List<String> packed = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong unpacks = new AtomicLong();

        @Override
        public Object pack(Tensor t, String op, String module) {
            packed.add(module.isEmpty() ? op : module + ":" + op);
            return t.dtype() == DType.FLOAT32 ? new Bf16Packed(t.to(DType.BF16)) : t;
        }

        @Override
        public Tensor unpack(Object p) {
            unpacks.incrementAndGet();
            return p instanceof Bf16Packed b ? b.bf16().to(DType.FLOAT32) : (Tensor) p;
        }
    }

    /** Parameters and input of a small block whose saved tensors are all FLOAT32 (no ReLU/dropout masks). */
    private static final class Block {
        final Variable w1 = Variable.param(randn(1, 12, 10)), w2 = Variable.param(randn(2, 5, 12));
        final Variable lnW = Variable.param(randn(3, 5)), lnB = Variable.param(randn(4, 5));
        final Tensor input = randn(5, 6, 10);

        Variable forward() {
            Variable x = activation(input);
            Variable h;
            try (var s = ModuleScope.enter("mlp")) {
                h = Linalg.linear(Elementwise.gelu(Linalg.linear(x, w1, null)), w2, null);
            }
            Variable y = Norms.softmax(Norms.layerNorm(h, new int[]{5}, lnW, lnB, 1e-5), -1);
            return Reductions.sum(Elementwise.mul(y, Variable.constant(randn(6, 6, 5))));
        }

        void zeroGrad() {
            for (Variable v : new Variable[]{w1, w2, lnW, lnB}) v.zeroGrad();
        }

        float[][] grads() {
            return new float[][]{w1.grad().toFloatArray(), w2.grad().toFloatArray(), lnW.grad().toFloatArray(), lnB.grad().toFloatArray()};
        }
    }

    @Test
    void bf16PackHookHalvesBytesHeldAndKeepsGradientsWithinBf16Tolerance() {
        Block block = new Block();
        long full;
        try (BackwardMemory m = BackwardMemory.track()) {
            Variable loss = block.forward();
            full = m.report().activationBytes();
            loss.backward();
        }
        float[][] exact = block.grads();
        block.zeroGrad();

        Bf16Hooks hooks = new Bf16Hooks();
        long packedBytes, params;
        try (var h = SavedTensorHooks.install(hooks); BackwardMemory m = BackwardMemory.track()) {
            Variable loss = block.forward();
            packedBytes = m.report().activationBytes();
            params = m.report().parameterBytes();
            loss.backward();
            assertEquals(0, m.report().activationBytes(), "the packed copies are released after backward too");
        }
        assertTrue(full > 0);
        assertEquals(full / 2, packedBytes, "BF16 copies of FLOAT32 activations hold half the bytes");
        assertEquals(4L * (12 * 10 + 5 * 12 + 5), params, "parameters are not packed (linear weights, layer-norm weight)");
        // every activation went through the hook with its op and module; parameters never did
        assertEquals(List.of("mlp:linear", "mlp:gelu", "mlp:linear", "layerNorm", "layerNorm", "layerNorm", "softmax", "mul"), hooks.packed);
        assertEquals(hooks.packed.size(), hooks.unpacks.get(), "each packed tensor unpacked once in backward");

        float[][] approx = block.grads();
        boolean anyDifferent = false;
        for (int p = 0; p < exact.length; p++) {
            double max = 0;
            for (float v : exact[p]) max = Math.max(max, Math.abs(v));
            for (int i = 0; i < exact[p].length; i++) {
                // bf16 keeps 8 significant bits (relative rounding error <= 2^-9 per stored value); several rounded
                // values feed each gradient and layer norm's x − mean cancels separately rounded copies, so allow
                // 2^-6 of the gradient's scale (observed: up to ~2^-7.3)
                assertEquals(exact[p][i], approx[p][i], 0x1p-6 * max, "parameter " + p + " element " + i);
                anyDifferent |= exact[p][i] != approx[p][i];
            }
        }
        assertTrue(anyDifferent, "the gradients should show the bf16 rounding: the hook's copies were used");
    }

    @Test
    void hooksArePerThread() throws Exception {
        Bf16Hooks hooks = new Bf16Hooks();
        try (var h = SavedTensorHooks.install(hooks)) {
            AtomicLong otherBytes = new AtomicLong(-1);
            AtomicReference<SavedTensorHooks> otherCurrent = new AtomicReference<>(hooks);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try (BackwardMemory m = BackwardMemory.track()) {
                    otherCurrent.set(SavedTensorHooks.current());
                    Variable y = Elementwise.gelu(activation(randn(10, 4, 8)));
                    otherBytes.set(m.report().activationBytes());
                    Reductions.sum(y).backward();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            t.start();
            t.join();
            assertNull(failure.get());
            assertNull(otherCurrent.get(), "another thread sees no hooks");
            assertEquals(4L * 32, otherBytes.get(), "another thread's gelu keeps its full FLOAT32 input");
            assertTrue(hooks.packed.isEmpty(), "the hook never ran for the other thread's ops");
            try (BackwardMemory m = BackwardMemory.track()) {
                Elementwise.gelu(activation(randn(11, 4, 8)));
                assertEquals(2L * 32, m.report().activationBytes(), "this thread's ops are packed");
            }
        }
        // and hooks installed on another thread do not reach this one
        CountDownLatch installed = new CountDownLatch(1), done = new CountDownLatch(1);
        Bf16Hooks foreign = new Bf16Hooks();
        Thread t = new Thread(() -> {
            try (var h = SavedTensorHooks.install(foreign)) {
                installed.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        installed.await();
        try (BackwardMemory m = BackwardMemory.track()) {
            Elementwise.gelu(activation(randn(12, 4, 8)));
            assertEquals(4L * 32, m.report().activationBytes());
        } finally {
            done.countDown();
            t.join();
        }
        assertTrue(foreign.packed.isEmpty());
        assertNull(SavedTensorHooks.current());
    }

    @Test
    void aHookReturningAForeignObjectIsRefusedClearly() {
        SavedTensorHooks bad = new SavedTensorHooks() {
            @Override
            public Object pack(Tensor t, String op, String module) {
                return t.toFloatArray(); // a float[]: no way to count its memory
            }

            @Override
            public Tensor unpack(Object p) {
                throw new AssertionError("never reached");
            }
        };
        Variable x = activation(randn(20, 3, 4));
        try (var h = SavedTensorHooks.install(bad)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Elementwise.gelu(x));
            assertTrue(e.getMessage().contains("gelu") && e.getMessage().contains("[F") && e.getMessage().contains("SavedTensorHooks.Packed"), e.getMessage());
        }
        SavedTensorHooks nullHook = new SavedTensorHooks() {
            @Override
            public Object pack(Tensor t, String op, String module) {
                return null;
            }

            @Override
            public Tensor unpack(Object p) {
                return null;
            }
        };
        try (var h = SavedTensorHooks.install(nullHook)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Norms.softmax(x, 1));
            assertTrue(e.getMessage().contains("softmax") && e.getMessage().contains("null"), e.getMessage());
        }
    }

    @Test
    void anUnpackReturningTheWrongShapeIsRefusedNamingTheOp() {
        SavedTensorHooks reshaping = new SavedTensorHooks() {
            @Override
            public Object pack(Tensor t, String op, String module) {
                return t;
            }

            @Override
            public Tensor unpack(Object p) {
                return ((Tensor) p).reshape(-1);
            }
        };
        Variable y;
        try (var h = SavedTensorHooks.install(reshaping)) {
            y = Reductions.sum(Elementwise.gelu(activation(randn(21, 3, 4))));
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("gelu") && e.getMessage().contains("[12]") && e.getMessage().contains("[3, 4]"), e.getMessage());
    }

    @Test
    void nestedHooksUseTheInnermostAndMustCloseInOrder() {
        Bf16Hooks outer = new Bf16Hooks(), inner = new Bf16Hooks();
        Variable x = activation(randn(22, 3, 4));
        assertNull(SavedTensorHooks.current());
        var so = SavedTensorHooks.install(outer);
        var si = SavedTensorHooks.install(inner);
        assertSame(inner, SavedTensorHooks.current());
        Elementwise.gelu(x);
        assertEquals(List.of("gelu"), inner.packed);
        assertTrue(outer.packed.isEmpty(), "only the innermost hooks run");

        IllegalStateException e = assertThrows(IllegalStateException.class, so::close);
        assertTrue(e.getMessage().contains("out of order"), e.getMessage());
        assertSame(inner, SavedTensorHooks.current(), "a refused close changes nothing");

        si.close();
        assertSame(outer, SavedTensorHooks.current());
        Norms.softmax(x, 1);
        assertEquals(List.of("softmax"), outer.packed);
        so.close();
        assertNull(SavedTensorHooks.current());
        Elementwise.gelu(x);
        assertEquals(1, inner.packed.size());
        assertEquals(1, outer.packed.size());
    }

    @Test
    void hooksAreNotCalledInNoGradNorForParameters() {
        Bf16Hooks hooks = new Bf16Hooks();
        Variable w = Variable.param(randn(23, 4, 3));
        Variable c = Variable.constant(randn(24, 2, 3));
        try (var h = SavedTensorHooks.install(hooks)) {
            try (var ng = GradMode.noGrad()) {
                Elementwise.gelu(Linalg.linear(c, w, null));
            }
            assertTrue(hooks.packed.isEmpty(), "no-grad saves nothing, so nothing is packed");
            Linalg.linear(c, w, null);
            assertEquals(List.of("linear"), hooks.packed, "the input is packed, the weight (a parameter) is not");
        }
    }

    @Test
    void aHookReturningATensorIsCountedByThatTensorsStorage() {
        // an offloading-style hook that returns a different (here: contiguous copy) tensor: its storage is counted
        SavedTensorHooks copying = new SavedTensorHooks() {
            @Override
            public Object pack(Tensor t, String op, String module) {
                return t.copy();
            }

            @Override
            public Tensor unpack(Object p) {
                return (Tensor) p;
            }
        };
        Variable x = activation(randn(25, 8, 16));
        try (var h = SavedTensorHooks.install(copying); BackwardMemory m = BackwardMemory.track()) {
            // gelu of an (8, 4) view: without the hook the whole (8, 16) storage would be held; the copy holds (8, 4)
            Variable y = Elementwise.gelu(Shapes.narrow(x, 1, 0, 4));
            assertEquals(4L * 8 * 4, m.report().activationBytes());
            Reductions.sum(y).backward();
        }
    }
}
