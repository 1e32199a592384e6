package io.github.dropitjvm.autograd;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.MemoryTracker;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;

import static org.junit.jupiter.api.Assertions.*;

/**
 * backward(gradient, retain) checks the gradient it is given against the output up front, naming backward and
 * what was expected, instead of letting the first op's backward fail on it deep in the graph.
 */
class BackwardGradientTest {

    @Test
    void anIntegerGradientIsRefusedNamingBackwardAndTheExpectedDtype() {
        Variable x = Variable.param(OpCheck.randn(1, 64, 8)), w = Variable.param(OpCheck.randn(2, 8, 4));
        Variable y = x.matmul(w);
        Tensor g = Tensor.zeros(y.data().backend(), DType.INT32, 64, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.backward(g, false));
        String m = e.getMessage();
        assertTrue(m.startsWith("backward: "), m);
        assertTrue(m.contains("FLOAT32") && m.contains("INT32") && m.contains("[64, 4]"), m);
        assertTrue(m.contains("to(DType.FLOAT32)"), m);
        assertNull(x.grad(), "nothing ran");
        // refused before anything was freed: the right gradient still goes through the same graph
        y.backward(Tensor.ones(64, 4), false);
        assertArrayEquals(new int[]{8, 4}, w.grad().shape());
    }

    @Test
    void aGradientOnAnotherBackendIsRefusedNamingBoth() {
        MemoryTracker tracker = new MemoryTracker("other");
        Backend other = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (p, m, a) -> switch (m.getName()) {
            case "name" -> "other";
            case "memory" -> tracker;
            case "maxElements" -> Long.MAX_VALUE;
            case "allocate" -> new Storage((Backend) p, (DType) a[0], (Long) a[1], null) {};
            case "hashCode" -> System.identityHashCode(p);
            case "equals" -> p == a[0];
            default -> throw new UnsupportedOperationException(m.getName());
        });
        Variable x = Variable.param(OpCheck.randn(3, 2, 3));
        Variable y = x.mul(2.0);
        Tensor g = Tensor.zeros(other, DType.FLOAT32, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.backward(g, false));
        String m = e.getMessage();
        assertTrue(m.startsWith("backward: "), m);
        assertTrue(m.contains("'other'") && m.contains("'" + y.data().backend().name() + "'"), m);
        assertTrue(m.contains("to(backend)"), m);
        g.storage().close();
    }

    @Test
    void aNullGradientIsRefusedSayingWhatToPass() {
        Variable y = Variable.param(OpCheck.randn(4, 2, 3)).mul(2.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.backward(null, false));
        assertTrue(e.getMessage().startsWith("backward: gradient is null") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
