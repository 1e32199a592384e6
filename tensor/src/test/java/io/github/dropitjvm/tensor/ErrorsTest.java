package io.github.dropitjvm.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.reflect.Proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every refusal is a clear exception whose message names the op and the shapes (or dtypes, or index) involved:
 * IllegalArgumentException for bad arguments, IndexOutOfBoundsException (never the JDK's
 * ArrayIndexOutOfBoundsException from inside a kernel) for bad indices, IllegalStateException for closed storage.
 */
class ErrorsTest {

    /** Asserts the exact exception class and that its message contains every fragment. */
    private static <T extends Throwable> T refuses(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        assertEquals(type, e.getClass(), "exception type; message: " + e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage() != null && e.getMessage().contains(f), "message lacks '" + f + "': " + e.getMessage());
        return e;
    }

    @Test
    void shapesThatDoNotBroadcast() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4);
        refuses(IllegalArgumentException.class, () -> a.add(b), "add", "[2, 3]", "[4]");
        refuses(IllegalArgumentException.class, () -> a.mul(b), "mul", "[2, 3]", "[4]");
        refuses(IllegalArgumentException.class, () -> b.sub(a), "sub", "[4]", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> a.ge(Tensor.zeros(3, 3)), "ge", "[2, 3]", "[3, 3]");
        refuses(IllegalArgumentException.class, () -> a.maximum(Tensor.zeros(5, 2, 2)), "maximum", "[2, 3]", "[5, 2, 2]");
        refuses(IllegalArgumentException.class, () -> Tensor.where(a.gt(a), a, b), "where", "[2, 3]", "[4]");
        refuses(IllegalArgumentException.class, () -> a.addInPlace(b), "addInPlace", "[4]", "[2, 3]");
    }

    @Test
    void matmulShapes() {
        refuses(IllegalArgumentException.class, () -> Tensor.zeros(3, 4).matmul(Tensor.zeros(5, 6)), "matmul", "[3, 4]", "[5, 6]");
        refuses(IllegalArgumentException.class, () -> Tensor.zeros(4).matmul(Tensor.zeros(5)), "matmul", "[4]", "[5]");
        refuses(IllegalArgumentException.class, () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 4, 5)), "matmul", "[2, 3, 4]", "[3, 4, 5]");
        refuses(IllegalArgumentException.class, () -> Tensor.scalar(1).matmul(Tensor.zeros(3)), "matmul", "[]", "[3]");
    }

    @Test
    void badDimensionsNameTheOpAndTheShape() {
        Tensor t = Tensor.zeros(2, 3);
        refuses(IllegalArgumentException.class, () -> t.sum(2, false), "sum", "2", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.mean(-3, true), "mean", "-3", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.argmax(5, false), "argmax", "5", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.softmax(2), "softmax", "2", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.logSoftmax(-3), "logSoftmax", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.transpose(0, 2), "transpose", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.permute(0, 2), "permute", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.narrow(2, 0, 1), "narrow", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.slice(-3, 0, 1, 1), "slice", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.select(2, 0), "select", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.squeeze(2), "squeeze", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.unsqueeze(3), "unsqueeze", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> t.size(2), "size", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> Indexing.cat(2, t, t), "cat", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> Indexing.split(t, 2, 1, 1), "split", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> Indexing.gather(t, 2, Tensor.zeros(Backends.defaultBackend(), DType.INT32, 2, 3)), "gather", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> Indexing.indexSelect(t, -3, Tensor.zeros(Backends.defaultBackend(), DType.INT32, 1)), "indexSelect", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> Indexing.split(t, 1, 1, 1), "split", "[1, 1]", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> Indexing.cat(0, t, Tensor.zeros(2, 4)), "cat", "[2, 3]", "[2, 4]");
        refuses(IllegalArgumentException.class, () -> Indexing.stack(0, t, Tensor.zeros(3, 2)), "stack", "[2, 3]", "[3, 2]");
    }

    @Test
    void negativeAndOversizedShapes() {
        refuses(IllegalArgumentException.class, () -> Tensor.zeros(2, -1), "zeros", "negative", "[2, -1]");
        refuses(IllegalArgumentException.class, () -> Tensor.full(1, -3), "negative", "[-3]");
        refuses(IllegalArgumentException.class, () -> Tensor.zeros(3).expand(-1, 3), "expand", "negative");
        refuses(IndexOutOfBoundsException.class, () -> Tensor.zeros(3).narrow(0, 1, -1), "narrow", "[3]");
        refuses(IllegalArgumentException.class, () -> Tensor.zeros(Integer.MAX_VALUE, 2), "zeros", "[2147483647, 2]", "limit");
        refuses(IllegalArgumentException.class, () -> Tensor.zeros(65536, 65536, 65536, 65536, 65536), "zeros", "[65536, 65536, 65536, 65536, 65536]");
        refuses(IllegalArgumentException.class, () -> Indexing.split(Tensor.zeros(3), 0, 4, -1), "split", "negative");
        refuses(IllegalArgumentException.class, () -> Indexing.chunks(Tensor.zeros(3), 0, 0), "split", "chunk");
        refuses(IllegalArgumentException.class, () -> new Tensor(Tensor.zeros(6).storage(), new int[]{2, 3}, new long[]{3, 2}, 0), "tensor", "outside", "[2, 3]");
        refuses(IllegalArgumentException.class, () -> new Tensor(Tensor.zeros(6).storage(), new int[]{2, 3}, new long[]{3, 1}, 1), "tensor", "outside", "offset 1");
        refuses(IllegalArgumentException.class, () -> NnKernels.maxPool2d(Tensor.zeros(1, 1, 2, 2), 3, 1, 0), "maxPool2d", "[1, 1, 2, 2]", "3x3");
        refuses(IllegalArgumentException.class, () -> NnKernels.avgPool2d(Tensor.zeros(1, 2, 2), 2, 1, 0), "avgPool2d", "[1, 2, 2]");
        refuses(IllegalArgumentException.class, () -> NnKernels.geometry("conv2d", Tensor.zeros(1, 1, 4, 4), 3, 3, 0, 0), "conv2d", "stride");
        Conv2dGeometry g = NnKernels.geometry("im2col", Tensor.zeros(1, 2, 5, 5), 3, 3, 1, 1);
        refuses(IllegalArgumentException.class, () -> NnKernels.im2col(Tensor.zeros(1, 3, 5, 5), g), "im2col", "[1, 2, 5, 5]", "[1, 3, 5, 5]");
        refuses(IllegalArgumentException.class, () -> NnKernels.col2im(Tensor.zeros(1, 18, 24), g), "col2im", "[1, 18, 25]", "[1, 18, 24]");
    }

    @Test
    void outOfRangeIndicesAreIndexOutOfBoundsNamingTheOp() {
        Tensor x = Tensor.zeros(3, 4);
        refuses(IndexOutOfBoundsException.class, () -> Indexing.gather(x, 1, Tensor.fromArray(new int[]{0, 4, 1, 2, 3, 0}, 3, 2)), "gather", "4", "[3, 4]");
        refuses(IndexOutOfBoundsException.class, () -> Indexing.gather(x, 0, Tensor.fromArray(new long[]{-1}, 1, 1)), "gather", "-1", "[3, 4]");
        refuses(IndexOutOfBoundsException.class, () -> Indexing.scatter(x, 0, Tensor.fromArray(new int[]{3}, 1, 1), Tensor.ones(1, 1), false), "scatter", "3", "[3, 4]");
        refuses(IndexOutOfBoundsException.class, () -> Indexing.scatter(x, 1, Tensor.fromArray(new long[]{1L << 33}, 1, 1), Tensor.ones(1, 1), true), "scatter", String.valueOf(1L << 33));
        refuses(IndexOutOfBoundsException.class, () -> Indexing.indexSelect(x, 0, Tensor.fromArray(new int[]{0, 2, 3}, 3)), "indexSelect", "3", "[3, 4]");
        refuses(IndexOutOfBoundsException.class, () -> Indexing.indexSelect(x, 1, Tensor.fromArray(new long[]{-5}, 1)), "indexSelect", "-5", "[3, 4]");
        refuses(IndexOutOfBoundsException.class, () -> x.get(1, 4), "get", "4");
        refuses(IndexOutOfBoundsException.class, () -> x.narrow(1, 3, 2), "narrow", "[3, 4]");
        refuses(IndexOutOfBoundsException.class, () -> x.select(0, 3), "select", "3");
        Conv2dGeometry g = NnKernels.geometry("maxPool2d", Tensor.zeros(1, 1, 4, 4), 2, 2, 2, 0);
        refuses(IndexOutOfBoundsException.class, () -> NnKernels.maxPool2dBackward(Tensor.ones(1, 1, 2, 2), Tensor.fromArray(new int[]{0, 1, 2, 16}, 1, 1, 2, 2), g), "maxPool2dBackward", "16");
        refuses(IndexOutOfBoundsException.class, () -> DropItKernels.scatterIndexed(Tensor.ones(1), Tensor.fromArray(new int[]{12}, 1), 3, 4), "DropIT scatter", "12");
    }

    @Test
    void aFailedScatterInPlaceLeavesItsDestinationUnchanged() {
        Tensor dst = Tensor.fromArray(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        int v = dst.version();
        refuses(IndexOutOfBoundsException.class, () -> Indexing.scatterInPlace(dst, 1, Tensor.fromArray(new int[]{0, 1, 2, 0, 1, 7}, 2, 3), Tensor.full(9, 2, 3), false), "scatter", "7");
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, dst.toFloatArray(), "no partial writes before the bad index was found");
        assertEquals(v, dst.version());
    }

    @Test
    void wrongDtypesNameTheOpTheDtypeAndTheShape() {
        Tensor i = Tensor.fromArray(new int[]{1, 2, 3}, 3), f = Tensor.ones(3);
        refuses(IllegalArgumentException.class, () -> i.add(f), "add", "INT32", "[3]");
        refuses(IllegalArgumentException.class, () -> f.mul(i), "mul", "INT32", "[3]");
        refuses(IllegalArgumentException.class, () -> i.exp(), "exp", "INT32", "[3]");
        refuses(IllegalArgumentException.class, () -> i.sum(), "sum", "INT32", "[3]");
        refuses(IllegalArgumentException.class, () -> i.matmul(i), "matmul", "INT32", "[3]");
        refuses(IllegalArgumentException.class, () -> f.gt(f).softmax(0), "softmax", "BIT", "[3]");
        refuses(IllegalArgumentException.class, () -> f.to(DType.BF16).relu(), "relu", "BF16", "[3]");
        refuses(IllegalArgumentException.class, () -> Indexing.gather(f, 0, f), "gather", "index", "FLOAT32", "[3]");
        refuses(IllegalArgumentException.class, () -> Indexing.indexSelect(f, 0, f.gt(f)), "indexSelect", "index", "BIT", "[3]");
        refuses(IllegalArgumentException.class, () -> Indexing.cat(0, f, i), "cat", "FLOAT32", "INT32");
        refuses(IllegalArgumentException.class, () -> DropItKernels.selectTopAbs(i, 1, "fc"), "DropIT select", "INT32", "[3]");
        refuses(IllegalArgumentException.class, () -> DropItKernels.scatterIndexed(f, Tensor.fromArray(new long[]{0, 1, 2}, 3), 3), "DropIT scatter", "index", "INT64");
        refuses(IllegalArgumentException.class, () -> DropItKernels.maskToIndex(f), "DropIT index", "mask", "FLOAT32", "[3]");
        Conv2dGeometry g = NnKernels.geometry("maxPool2d", Tensor.zeros(1, 1, 4, 4), 2, 2, 2, 0);
        refuses(IllegalArgumentException.class, () -> NnKernels.maxPool2dBackward(Tensor.ones(1, 1, 2, 2), Tensor.zeros(1, 1, 2, 2), g), "maxPool2dBackward", "indices", "FLOAT32");
        refuses(IllegalArgumentException.class, () -> Tensor.where(f, f, f), "where", "BIT");
    }

    @Test
    void tensorsOfTwoBackendsAreRefusedNamingBoth() {
        MemoryTracker tracker = new MemoryTracker("other");
        Backend other = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (p, m, a) -> switch (m.getName()) {
            case "name" -> "other";
            case "memory" -> tracker;
            case "hashCode" -> System.identityHashCode(p);
            case "equals" -> p == a[0];
            default -> throw new UnsupportedOperationException(m.getName());
        });
        Storage s = new Storage(other, DType.FLOAT32, 3, null) {};
        Tensor foreign = new Tensor(s, new int[]{3}, new long[]{1}, 0), local = Tensor.ones(3);
        refuses(IllegalArgumentException.class, () -> local.add(foreign), "add", local.backend().name(), "other", "[3]");
        refuses(IllegalArgumentException.class, () -> local.matmul(foreign), "matmul", local.backend().name(), "other");
        refuses(IllegalArgumentException.class, () -> Indexing.cat(0, local, foreign), "cat", local.backend().name(), "other");
        refuses(IllegalArgumentException.class, () -> local.copyFrom(foreign), "copyFrom", local.backend().name(), "other");
        s.close();
    }

    @Test
    void aClosedStorageUsedAgainIsAnIllegalStateNamingTheOp() {
        Tensor t = Tensor.ones(2, 3), u = Tensor.ones(2, 3);
        t.storage().close();
        refuses(IllegalStateException.class, () -> t.add(u), "add", "[2, 3]", "closed");
        refuses(IllegalStateException.class, () -> u.add(t), "add", "[2, 3]", "closed");
        refuses(IllegalStateException.class, t::sum, "sum", "[2, 3]", "closed");
        refuses(IllegalStateException.class, t::toFloatArray, "toFloatArray", "[2, 3]", "closed");
        refuses(IllegalStateException.class, () -> t.matmul(u.transpose(0, 1)), "matmul", "closed");
        refuses(IllegalStateException.class, () -> t.transpose(0, 1).contiguous(), "contiguous", "closed");
        refuses(IllegalStateException.class, () -> t.fillInPlace(1), "fillInPlace", "closed");
        refuses(IllegalStateException.class, () -> u.copyFrom(t), "copyFrom", "closed");
        refuses(IllegalStateException.class, () -> t.softmax(1), "softmax", "closed");
        refuses(IllegalStateException.class, () -> NnKernels.layerNorm(t, new int[]{3}, null, null, 1e-5), "layerNorm", "closed");
        refuses(IllegalStateException.class, () -> DropItKernels.selectTopAbs(t, 2, "fc1"), "DropIT select", "closed");
        refuses(IllegalStateException.class, () -> Indexing.gather(u, 0, Tensor.zeros(Backends.defaultBackend(), DType.INT32, 1, 3).to(DType.INT32)).add(t), "add", "closed");
        refuses(IllegalStateException.class, () -> t.to(DType.BF16), "closed");
        t.storage().close(); // closing twice is harmless
        assertTrue(t.storage().isClosed());
    }
}
