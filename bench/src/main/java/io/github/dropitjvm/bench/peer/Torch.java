package io.github.dropitjvm.bench.peer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * libtorch through DJL, the PyTorch peer: loading the engine offline and moving tensors across.
 *
 * <p>The native libraries come from the {@code pytorch-native-cpu} Maven jar; on first use DJL unpacks them
 * (~430 MB) under {@code $DJL_CACHE_DIR/pytorch/}. Unless the caller set it (environment variable or system
 * property), {@code DJL_CACHE_DIR} defaults here to {@link #DEFAULT_CACHE_DIR}, and {@code ai.djl.offline}
 * defaults to true, so nothing is ever downloaded at run time.
 */
public final class Torch {
    /** Where DJL unpacks libtorch unless DJL_CACHE_DIR is set: ~/.cache/dropit-jvm/djl. */
    public static final Path DEFAULT_CACHE_DIR = Path.of(System.getProperty("user.home"), ".cache", "dropit-jvm", "djl");

    private static Engine engine;
    private static Throwable failure;

    private Torch() {}

    /** Loads the PyTorch engine once; throws IllegalStateException naming the cause when it cannot. */
    public static synchronized Engine engine() {
        if (engine == null && failure == null) {
            if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
            String env = System.getenv("DJL_CACHE_DIR");
            if (System.getProperty("DJL_CACHE_DIR") == null && (env == null || env.isEmpty()))
                System.setProperty("DJL_CACHE_DIR", DEFAULT_CACHE_DIR.toString());
            try {
                engine = Engine.getEngine("PyTorch");
            } catch (Throwable t) {
                failure = t;
            }
        }
        if (engine == null)
            throw new IllegalStateException("PyTorch peer: libtorch (DJL pytorch-engine " + "with pytorch-native-cpu) could not be loaded: " + failure, failure);
        return engine;
    }

    /** Null when the engine loads, else why it does not. */
    public static String unavailableReason() {
        try {
            engine();
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** A new root manager on the PyTorch engine (CPU). */
    public static NDManager newManager() {
        return engine().newBaseManager();
    }

    public static Shape shape(int... dims) {
        return new Shape(Arrays.stream(dims).asLongStream().toArray());
    }

    /** Copies a FLOAT32 tensor (any strides) into a new float32 NDArray of manager m. */
    public static NDArray toNd(NDManager m, Tensor t) {
        if (t.dtype() == DType.INT32 || t.dtype() == DType.INT64) {
            long[] v = t.dtype() == DType.INT64 ? t.contiguous().toLongArray()
                    : Arrays.stream(t.contiguous().toIntArray()).asLongStream().toArray();
            return m.create(v, shape(t.shape()));
        }
        if (t.dtype() != DType.FLOAT32) throw new IllegalArgumentException("toNd: FLOAT32, INT32 or INT64 only, got " + t.dtype());
        return owned(m.create(t.contiguous().toFloatArray(), shape(t.shape())));
    }

    /** A copy in memory libtorch allocated itself (DJL's create() wraps a Java direct buffer). */
    private static NDArray owned(NDArray a) {
        NDArray c = a.duplicate();
        a.close();
        return c;
    }

    /** Copies a float32 NDArray into a new FLOAT32 tensor. */
    public static Tensor toTensor(NDArray a) {
        NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, true);
        int[] dims = Arrays.stream(f.getShape().getShape()).mapToInt(Math::toIntExact).toArray();
        return Tensor.fromArray(f.toFloatArray(), dims);
    }
}
