package io.github.dropitjvm.tensor;

import java.util.Arrays;

/**
 * An n-dimensional view (rank 0 to {@value Shape#MAX_RANK}) onto a {@link Storage}: shape, strides in elements,
 * and an element offset. Views (reshape, permute, transpose, narrow, expand, squeeze, unsqueeze) share storage;
 * ops allocate a fresh contiguous result on the same backend. Every op validates its arguments and names itself
 * and the shapes involved when they are wrong; kernels run on the tensor's {@link Backend}.
 *
 * <p>Tensors are plain values with no gradient state: autograd wraps them. In-place writes bump the storage's
 * version counter so a saved tensor that was modified can be detected.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final long[] strides;
    private final long offset;

    /** A view; checks that it stays inside the storage. */
    public Tensor(Storage storage, int[] shape, long[] strides, long offset) {
        long n = Shape.numel("tensor", shape);
        if (strides.length != shape.length)
            throw new IllegalArgumentException("tensor: " + strides.length + " strides for shape " + Shape.str(shape));
        if (n > 0) {
            long lo = offset, hi = offset;
            for (int i = 0; i < shape.length; i++) {
                long span = (long) (shape[i] - 1) * strides[i];
                if (span < 0) lo += span; else hi += span;
            }
            if (lo < 0 || hi >= storage.length())
                throw new IllegalArgumentException("tensor: view " + Shape.str(shape) + " strides " + Arrays.toString(strides)
                        + " offset " + offset + " reaches outside its storage of " + storage.length() + " elements");
        }
        this.storage = storage;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
    }

    // ------------------------------------------------------------------ creation

    /** A new zero-filled contiguous tensor. */
    public static Tensor zeros(Backend backend, DType dtype, int... shape) {
        long n = Shape.numel("zeros", shape);
        if (n > backend.maxElements())
            throw new IllegalArgumentException("zeros: " + n + " elements of shape " + Shape.str(shape) + " exceed the "
                    + backend.name() + " backend's limit of " + backend.maxElements() + " elements per storage");
        return new Tensor(backend.allocate(dtype, n), shape, Shape.contiguousStrides(shape), 0);
    }

    public static Tensor zeros(int... shape) {
        return zeros(Backends.defaultBackend(), DType.FLOAT32, shape);
    }

    public static Tensor full(Backend backend, DType dtype, double value, int... shape) {
        Tensor t = zeros(backend, dtype, shape);
        // Compare bits, not values: -0.0 == 0 would otherwise leave a +0 where the caller asked for -0.
        if (Double.doubleToRawLongBits(value) != 0) backend.fill(t, value);
        return t;
    }

    public static Tensor full(double value, int... shape) {
        return full(Backends.defaultBackend(), DType.FLOAT32, value, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1.0, shape);
    }

    /** A rank-0 FLOAT32 tensor. */
    public static Tensor scalar(double value) {
        return full(value);
    }

    /** start, start+step, ... below end (above end for a negative step), as FLOAT32. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || Double.isNaN(step)) throw new IllegalArgumentException("arange: step must be non-zero, got " + step);
        long n = (long) Math.ceil((end - start) / step);
        if (n < 0) n = 0;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("arange: " + n + " elements is too many for one dimension");
        Tensor t = zeros((int) n);
        t.backend().arange(t, start, step);
        return t;
    }

    /** A tensor holding a copy of {@code data} in the given shape (FLOAT32 from float[], INT32 from int[], INT64 from long[]). */
    public static Tensor fromArray(float[] data, int... shape) {
        return fromHost(DType.FLOAT32, data, data.length, shape);
    }

    public static Tensor fromArray(int[] data, int... shape) {
        return fromHost(DType.INT32, data, data.length, shape);
    }

    public static Tensor fromArray(long[] data, int... shape) {
        return fromHost(DType.INT64, data, data.length, shape);
    }

    private static Tensor fromHost(DType dtype, Object data, int length, int[] shape) {
        long n = Shape.numel("fromArray", shape);
        if (n != length)
            throw new IllegalArgumentException("fromArray: " + length + " values do not fill shape " + Shape.str(shape) + " (" + n + " elements)");
        Tensor t = zeros(Backends.defaultBackend(), dtype, shape);
        t.backend().write(t.storage, 0, data, 0, length);
        return t;
    }

    /** Uniform [0, 1) FLOAT32 values from the generator's next stream. */
    public static Tensor rand(Generator g, int... shape) {
        return random(g, Backend.Distribution.UNIFORM, shape);
    }

    /** Standard normal FLOAT32 values from the generator's next stream. */
    public static Tensor randn(Generator g, int... shape) {
        return random(g, Backend.Distribution.NORMAL, shape);
    }

    private static Tensor random(Generator g, Backend.Distribution d, int[] shape) {
        Tensor t = zeros(shape);
        t.backend().random(t, g.seed(), g.nextStream(), d);
        return t;
    }

    /** A new zero-filled tensor on this tensor's backend. */
    public Tensor newZeros(DType dtype, int... shape) {
        return zeros(backend(), dtype, shape);
    }

    /**
     * A new contiguous result on this tensor's backend whose contents are unspecified ({@link
     * Backend#allocateUninitialized}): only for the output of a kernel that writes every element (elementwise, copy,
     * where, matmul with beta 0, softmax). BIT results are zeroed: their kernels set bits in place.
     */
    Tensor newResult(DType dtype, int... shape) {
        if (dtype == DType.BIT) return newZeros(dtype, shape);
        long n = Shape.numel("result", shape);
        if (n > backend().maxElements()) return newZeros(dtype, shape);   // zeros() names the op and the limit
        return new Tensor(backend().allocateUninitialized(dtype, n), shape, Shape.contiguousStrides(shape), 0);
    }

    // ------------------------------------------------------------------ properties

    public Storage storage() {
        return storage;
    }

    public Backend backend() {
        return storage.backend();
    }

    public DType dtype() {
        return storage.dtype();
    }

    public int rank() {
        return shape.length;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size(int dim) {
        return shape[Shape.dim("size", dim, shape)];
    }

    public long[] strides() {
        return strides.clone();
    }

    public long stride(int dim) {
        return strides[Shape.dim("stride", dim, shape)];
    }

    public long offset() {
        return offset;
    }

    public long numel() {
        return Shape.numel(shape);
    }

    /** Row-major contiguous (size-1 dimensions may have any stride; an empty tensor is always contiguous). */
    public boolean isContiguous() {
        if (numel() == 0) return true;
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** Storage version; changes when anything writes into the storage in place. */
    public int version() {
        return storage.version();
    }

    // ------------------------------------------------------------------ host access

    /** The elements in row-major order, as floats (converting from any dtype). */
    public float[] toFloatArray() {
        requireOpen("toFloatArray", this);
        Tensor c = to(DType.FLOAT32).contiguous();
        float[] out = new float[checkedHostLength("toFloatArray")];
        c.backend().read(c.storage, c.offset, out, 0, out.length);
        return out;
    }

    public int[] toIntArray() {
        requireOpen("toIntArray", this);
        Tensor c = to(DType.INT32).contiguous();
        int[] out = new int[checkedHostLength("toIntArray")];
        c.backend().read(c.storage, c.offset, out, 0, out.length);
        return out;
    }

    public long[] toLongArray() {
        requireOpen("toLongArray", this);
        Tensor c = to(DType.INT64).contiguous();
        long[] out = new long[checkedHostLength("toLongArray")];
        c.backend().read(c.storage, c.offset, out, 0, out.length);
        return out;
    }

    private int checkedHostLength(String op) {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException(op + ": " + n + " elements do not fit a Java array");
        return (int) n;
    }

    /** The single value of a one-element tensor. */
    public float item() {
        requireOpen("item", this);
        if (numel() != 1) throw new IllegalStateException("item: tensor of shape " + Shape.str(shape) + " has " + numel() + " elements, not 1");
        return toFloatArray()[0];
    }

    /** One element as a float, by full index. */
    public float get(int... index) {
        return element(index).item();
    }

    private Tensor element(int... index) {
        if (index.length != shape.length)
            throw new IllegalArgumentException("get: " + index.length + " indices for shape " + Shape.str(shape));
        long off = offset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i])
                throw new IndexOutOfBoundsException("get: index " + index[i] + " out of range for dimension " + i + " of size " + shape[i]);
            off += index[i] * strides[i];
        }
        return new Tensor(storage, new int[0], new long[0], off);
    }

    /** Moves (copies) this tensor to another backend; returns this when already there. */
    public Tensor to(Backend target) {
        requireOpen("to", this);
        if (target == backend()) return this;
        // A mask's bits are packed 32 to a word and a view may start mid-word: it moves as 0/1 int32 values.
        if (dtype() == DType.BIT) return to(DType.INT32).to(target).to(DType.BIT);
        Tensor c = contiguous();
        Tensor out = zeros(target, dtype(), shape);
        long n = numel();
        Object host = switch (dtype()) {
            case FLOAT32 -> new float[(int) n];
            case INT32 -> new int[(int) n];
            case INT64 -> new long[(int) n];
            case BF16 -> new short[(int) n];
            case BIT -> throw new AssertionError("moved above");
        };
        c.backend().read(c.storage, c.offset, host, 0, (int) n);
        target.write(out.storage, 0, host, 0, (int) n);
        return out;
    }

    /** Converts to another dtype (a copy), or returns this when the dtype already matches. */
    public Tensor to(DType dtype) {
        requireOpen("to", this);
        if (dtype == dtype()) return this;
        Tensor out = newResult(dtype, shape);
        backend().copy(this, out);
        return out;
    }

    // ------------------------------------------------------------------ views

    /** A view with a new shape (one entry may be -1); needs strides compatible with the shape, see {@link #reshape}. */
    public Tensor view(int... newShape) {
        int[] s = inferShape("view", newShape);
        long[] st = viewStrides(s);
        if (st == null)
            throw new IllegalArgumentException("view: shape " + Shape.str(shape) + " with strides " + Arrays.toString(strides)
                    + " cannot be viewed as " + Shape.str(s) + " without a copy; use reshape");
        return new Tensor(storage, s, st, offset);
    }

    /** Like {@link #view}, copying into a contiguous tensor when no view is possible. */
    public Tensor reshape(int... newShape) {
        int[] s = inferShape("reshape", newShape);
        long[] st = viewStrides(s);
        if (st != null) return new Tensor(storage, s, st, offset);
        return contiguous().view(s);
    }

    public Tensor flatten() {
        return reshape(-1);
    }

    private int[] inferShape(String op, int[] newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException(op + ": only one dimension may be -1 in " + Shape.str(newShape));
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException(op + ": negative size in " + Shape.str(newShape));
            } else known *= s[i];
        }
        long n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0)
                throw new IllegalArgumentException(op + ": cannot infer -1 in " + Shape.str(newShape) + " for " + n + " elements (shape " + Shape.str(shape) + ")");
            s[infer] = (int) (n / known);
        }
        if (Shape.numel(op, s) != n)
            throw new IllegalArgumentException(op + ": shape " + Shape.str(s) + " has " + Shape.numel(s) + " elements, tensor of shape " + Shape.str(shape) + " has " + n);
        return s;
    }

    /**
     * Strides that view this tensor as newShape, or null when the memory layout does not allow it. Old dimensions
     * are grouped into chunks that are contiguous among themselves; a chunk can be split into any new dimensions
     * whose sizes multiply to the chunk's size, with strides derived from the chunk's innermost stride.
     */
    private long[] viewStrides(int[] newShape) {
        if (isContiguous() || numel() == 0) return Shape.contiguousStrides(newShape);
        long[] out = new long[newShape.length];
        int viewD = newShape.length - 1;
        long chunkBase = strides[shape.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            boolean chunkEnds = d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase);
            if (!chunkEnds) continue;
            while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                out[viewD] = viewNumel * chunkBase;
                viewNumel *= newShape[viewD];
                viewD--;
            }
            if (viewNumel != tensorNumel) return null;
            if (d > 0) {
                chunkBase = strides[d - 1];
                tensorNumel = 1;
                viewNumel = 1;
            }
        }
        return viewD == -1 ? out : null;
    }

    /** Reorders dimensions: result dimension i is this tensor's dimension dims[i]. */
    public Tensor permute(int... dims) {
        if (dims.length != shape.length)
            throw new IllegalArgumentException("permute: " + dims.length + " dimensions given for shape " + Shape.str(shape));
        int[] s = new int[dims.length];
        long[] st = new long[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shape.dim("permute", dims[i], shape);
            if (seen[d]) throw new IllegalArgumentException("permute: dimension " + d + " repeated in " + Arrays.toString(dims));
            seen[d] = true;
            s[i] = shape[d];
            st[i] = strides[d];
        }
        return new Tensor(storage, s, st, offset);
    }

    public Tensor transpose(int dim0, int dim1) {
        int a = Shape.dim("transpose", dim0, shape), b = Shape.dim("transpose", dim1, shape);
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) p[i] = i;
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** The elements start, start+step, ... below end along dim (a view; negative start/end count from the end). */
    public Tensor slice(int dim, int start, int end, int step) {
        int d = Shape.dim("slice", dim, shape);
        if (step <= 0) throw new IllegalArgumentException("slice: step must be positive, got " + step);
        int n = shape[d];
        int s = start < 0 ? start + n : start, e = end < 0 ? end + n : end;
        s = Math.clamp(s, 0, n);
        e = Math.clamp(e, s, n);
        int[] ns = shape.clone();
        long[] nst = strides.clone();
        ns[d] = (e - s + step - 1) / step;
        nst[d] = strides[d] * step;
        return new Tensor(storage, ns, nst, offset + s * strides[d]);
    }

    /** length elements from start along dim (a view). */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shape.dim("narrow", dim, shape);
        if (start < 0 || length < 0 || (long) start + length > shape[d])
            throw new IndexOutOfBoundsException("narrow: [" + start + ", " + start + "+" + length + ") out of range for dimension " + d + " of size " + shape[d] + " in shape " + Shape.str(shape));
        int[] ns = shape.clone();
        ns[d] = length;
        return new Tensor(storage, ns, strides, offset + start * strides[d]);
    }

    /** Index i along dim, removing that dimension (a view). */
    public Tensor select(int dim, int index) {
        int d = Shape.dim("select", dim, shape);
        if (index < 0 || index >= shape[d])
            throw new IndexOutOfBoundsException("select: index " + index + " out of range for dimension " + d + " of size " + shape[d]);
        return narrow(d, index, 1).squeeze(d);
    }

    /** Broadcasts size-1 dimensions (and new leading ones) to the given shape with stride 0 (a view). */
    public Tensor expand(int... newShape) {
        if (newShape.length < shape.length)
            throw new IllegalArgumentException("expand: cannot expand shape " + Shape.str(shape) + " to fewer dimensions " + Shape.str(newShape));
        int lead = newShape.length - shape.length;
        long[] st = new long[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            if (i < lead) {
                if (newShape[i] < 0) throw new IllegalArgumentException("expand: negative size in " + Shape.str(newShape));
                st[i] = 0;
                continue;
            }
            int old = shape[i - lead];
            if (old == newShape[i]) st[i] = strides[i - lead];
            else if (old == 1) st[i] = 0;
            else throw new IllegalArgumentException("expand: shape " + Shape.str(shape) + " cannot be expanded to " + Shape.str(newShape) + " (dimension " + i + ": " + old + " vs " + newShape[i] + ")");
        }
        return new Tensor(storage, newShape, st, offset);
    }

    /** Removes all size-1 dimensions. */
    public Tensor squeeze() {
        int k = 0;
        for (int d : shape) if (d != 1) k++;
        int[] s = new int[k];
        long[] st = new long[k];
        for (int i = 0, j = 0; i < shape.length; i++) if (shape[i] != 1) { s[j] = shape[i]; st[j++] = strides[i]; }
        return new Tensor(storage, s, st, offset);
    }

    /** Removes dimension dim, which must have size 1. */
    public Tensor squeeze(int dim) {
        int d = Shape.dim("squeeze", dim, shape);
        if (shape[d] != 1) throw new IllegalArgumentException("squeeze: dimension " + d + " has size " + shape[d] + ", not 1, in shape " + Shape.str(shape));
        int[] s = new int[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) { s[j] = shape[i]; st[j++] = strides[i]; }
        return new Tensor(storage, s, st, offset);
    }

    /** Inserts a size-1 dimension at position dim (0..rank). */
    public Tensor unsqueeze(int dim) {
        int d = dim < 0 ? dim + shape.length + 1 : dim;
        if (d < 0 || d > shape.length)
            throw new IllegalArgumentException("unsqueeze: dimension " + dim + " out of range for shape " + Shape.str(shape) + " (positions 0.." + shape.length + ")");
        if (shape.length + 1 > Shape.MAX_RANK)
            throw new IllegalArgumentException("unsqueeze: shape " + Shape.str(shape) + " already has the maximum rank " + Shape.MAX_RANK);
        int[] s = new int[shape.length + 1];
        long[] st = new long[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == d) {
                s[i] = 1;
                st[i] = d < shape.length ? strides[d] * shape[d] : 1;
            } else {
                s[i] = shape[j];
                st[i] = strides[j++];
            }
        }
        return new Tensor(storage, s, st, offset);
    }

    /** This tensor when contiguous, else a contiguous copy. */
    public Tensor contiguous() {
        requireOpen("contiguous", this);
        if (isContiguous()) return this;
        return copy();
    }

    /** A fresh contiguous copy. */
    public Tensor copy() {
        requireOpen("copy", this);
        Tensor out = newResult(dtype(), shape);
        backend().copy(this, out);
        return out;
    }

    // ------------------------------------------------------------------ in-place writes (bump the version)

    public Tensor fillInPlace(double value) {
        requireOpen("fillInPlace", this);
        backend().fill(this, value);
        storage.bumpVersion();
        return this;
    }

    /** Copies src (broadcast to this shape, converting dtype) into this view. */
    public Tensor copyFrom(Tensor src) {
        sameBackend("copyFrom", this, src);
        backend().copy(src.expandTo("copyFrom", shape), this);
        storage.bumpVersion();
        return this;
    }

    /** this += other (broadcast to this shape). */
    public Tensor addInPlace(Tensor other) {
        return inPlace(BinaryOp.ADD, other);
    }

    /** this *= scalar. */
    public Tensor mulInPlace(double value) {
        return inPlace(BinaryOp.MUL, scalarLike(value));
    }

    private Tensor inPlace(BinaryOp op, Tensor other) {
        requireFloat(op.name().toLowerCase() + "InPlace", this);
        requireFloat(op.name().toLowerCase() + "InPlace", other);
        sameBackend(op.name().toLowerCase() + "InPlace", this, other);
        backend().binary(op, this, other.expandTo(op.name().toLowerCase() + "InPlace", shape), this);
        storage.bumpVersion();
        return this;
    }

    // ------------------------------------------------------------------ elementwise

    public Tensor add(Tensor o) { return binary(BinaryOp.ADD, o); }
    public Tensor sub(Tensor o) { return binary(BinaryOp.SUB, o); }
    public Tensor mul(Tensor o) { return binary(BinaryOp.MUL, o); }
    public Tensor div(Tensor o) { return binary(BinaryOp.DIV, o); }
    public Tensor pow(Tensor o) { return binary(BinaryOp.POW, o); }
    public Tensor maximum(Tensor o) { return binary(BinaryOp.MAXIMUM, o); }
    public Tensor minimum(Tensor o) { return binary(BinaryOp.MINIMUM, o); }
    public Tensor eq(Tensor o) { return binary(BinaryOp.EQ, o); }
    public Tensor ne(Tensor o) { return binary(BinaryOp.NE, o); }
    public Tensor lt(Tensor o) { return binary(BinaryOp.LT, o); }
    public Tensor le(Tensor o) { return binary(BinaryOp.LE, o); }
    public Tensor gt(Tensor o) { return binary(BinaryOp.GT, o); }
    public Tensor ge(Tensor o) { return binary(BinaryOp.GE, o); }

    public Tensor add(double v) { return binary(BinaryOp.ADD, scalarLike(v)); }
    public Tensor sub(double v) { return binary(BinaryOp.SUB, scalarLike(v)); }
    public Tensor mul(double v) { return binary(BinaryOp.MUL, scalarLike(v)); }
    public Tensor div(double v) { return binary(BinaryOp.DIV, scalarLike(v)); }
    public Tensor gt(double v) { return binary(BinaryOp.GT, scalarLike(v)); }
    public Tensor lt(double v) { return binary(BinaryOp.LT, scalarLike(v)); }

    public Tensor neg() { return unary(UnaryOp.NEG, 0, 0); }
    public Tensor abs() { return unary(UnaryOp.ABS, 0, 0); }
    public Tensor exp() { return unary(UnaryOp.EXP, 0, 0); }
    public Tensor log() { return unary(UnaryOp.LOG, 0, 0); }
    public Tensor sqrt() { return unary(UnaryOp.SQRT, 0, 0); }
    public Tensor rsqrt() { return unary(UnaryOp.RSQRT, 0, 0); }
    public Tensor tanh() { return unary(UnaryOp.TANH, 0, 0); }
    public Tensor erf() { return unary(UnaryOp.ERF, 0, 0); }
    public Tensor sigmoid() { return unary(UnaryOp.SIGMOID, 0, 0); }
    public Tensor relu() { return unary(UnaryOp.RELU, 0, 0); }
    /** GELU, exact (erf) form. */
    public Tensor gelu() { return unary(UnaryOp.GELU, 0, 0); }
    /** GELU, tanh approximation. */
    public Tensor geluTanh() { return unary(UnaryOp.GELU_TANH, 0, 0); }
    /** GELU's derivative (exact form) Φ(x) + x·φ(x), what GELU's backward multiplies the gradient by. */
    public Tensor geluGrad() { return unary(UnaryOp.GELU_GRAD, 0, 0); }

    /**
     * GELU's backward: g · GELU'(this), exact form, with g of this shape. The same values as {@code
     * g.mul(geluGrad())}, in one pass on the CPU (no GELU' tensor written and read back).
     */
    public Tensor geluBackward(Tensor g) {
        requireFloat("geluBackward", this);
        requireFloat("geluBackward", g);
        sameBackend("geluBackward", this, g);
        if (!Arrays.equals(shape, g.shape))
            throw new IllegalArgumentException("geluBackward: gradient of shape " + Shape.str(g.shape) + " for an input of shape " + Shape.str(shape));
        Tensor out = newResult(DType.FLOAT32, shape);
        backend().geluBackward(this, g, out);
        return out;
    }
    public Tensor pow(double exponent) { return unary(UnaryOp.POW, exponent, 0); }

    /** Clamps into [min, max]; NaN bounds are refused, NaN inputs stay NaN. */
    public Tensor clamp(double min, double max) {
        if (Double.isNaN(min) || Double.isNaN(max) || min > max)
            throw new IllegalArgumentException("clamp: invalid bounds [" + min + ", " + max + "]");
        return unary(UnaryOp.CLAMP, min, max);
    }

    /** cond ? a : b with broadcasting; cond is a BIT tensor (e.g. from a comparison). */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        if (cond.dtype() != DType.BIT) throw new IllegalArgumentException("where: condition must be BIT (a comparison result), got " + cond.dtype());
        requireFloat("where", a);
        requireFloat("where", b);
        sameBackend("where", cond, a);
        sameBackend("where", a, b);
        int[] s = Shape.broadcast("where", Shape.broadcast("where", cond.shape, a.shape), b.shape);
        Tensor out = a.newResult(DType.FLOAT32, s);
        a.backend().where(cond.expandTo("where", s), a.expandTo("where", s), b.expandTo("where", s), out);
        return out;
    }

    private Tensor unary(UnaryOp op, double p0, double p1) {
        requireFloat(op.name().toLowerCase(), this);
        Tensor out = newResult(DType.FLOAT32, shape);
        backend().unary(op, this, out, p0, p1);
        return out;
    }

    private Tensor binary(BinaryOp op, Tensor o) {
        String name = op.name().toLowerCase();
        requireFloat(name, this);
        requireFloat(name, o);
        sameBackend(name, this, o);
        int[] s = Shape.broadcast(name, shape, o.shape);
        Tensor out = newResult(op.isComparison() ? DType.BIT : DType.FLOAT32, s);
        backend().binary(op, expandTo(name, s), o.expandTo(name, s), out);
        return out;
    }

    private Tensor scalarLike(double v) {
        return full(backend(), DType.FLOAT32, v);
    }

    /** Broadcast view to shape s (after Shape.broadcast has approved it). */
    Tensor expandTo(String op, int[] s) {
        if (Arrays.equals(shape, s)) return this;
        // The two shapes broadcasting together is not enough: the result must be s itself, not something larger.
        if (!Arrays.equals(Shape.broadcast(op, shape, s), s))
            throw new IllegalArgumentException(op + ": shape " + Shape.str(shape) + " cannot be broadcast to " + Shape.str(s));
        return expand(s);
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements (rank 0). */
    public Tensor sum() { return reduce(ReduceOp.SUM, allDims(), false, 0); }
    public Tensor mean() { return reduce(ReduceOp.MEAN, allDims(), false, 0); }
    public Tensor max() { return reduce(ReduceOp.MAX, allDims(), false, 0); }
    public Tensor min() { return reduce(ReduceOp.MIN, allDims(), false, 0); }

    public Tensor sum(int[] dims, boolean keepdim) { return reduce(ReduceOp.SUM, dims, keepdim, 0); }
    public Tensor mean(int[] dims, boolean keepdim) { return reduce(ReduceOp.MEAN, dims, keepdim, 0); }
    public Tensor max(int dim, boolean keepdim) { return reduce(ReduceOp.MAX, new int[]{dim}, keepdim, 0); }
    public Tensor min(int dim, boolean keepdim) { return reduce(ReduceOp.MIN, new int[]{dim}, keepdim, 0); }
    public Tensor sum(int dim, boolean keepdim) { return reduce(ReduceOp.SUM, new int[]{dim}, keepdim, 0); }
    public Tensor mean(int dim, boolean keepdim) { return reduce(ReduceOp.MEAN, new int[]{dim}, keepdim, 0); }
    /** INT64 index of the first maximum along dim (NaN counts as the maximum). */
    public Tensor argmax(int dim, boolean keepdim) { return reduce(ReduceOp.ARGMAX, new int[]{dim}, keepdim, 0); }
    public Tensor argmin(int dim, boolean keepdim) { return reduce(ReduceOp.ARGMIN, new int[]{dim}, keepdim, 0); }

    /** Variance over dims with the given correction (1 = unbiased, Bessel; 0 = population). */
    public Tensor var(int[] dims, double correction, boolean keepdim) { return reduce(ReduceOp.VAR, dims, keepdim, correction); }

    private int[] allDims() {
        int[] d = new int[shape.length];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return d;
    }

    private Tensor reduce(ReduceOp op, int[] dims, boolean keepdim, double correction) {
        String name = op.name().toLowerCase();
        requireFloat(name, this);
        boolean[] reduced = new boolean[shape.length];
        for (int d : dims) {
            int nd = Shape.dim(name, d, shape);
            if (reduced[nd]) throw new IllegalArgumentException(name + ": dimension " + nd + " listed twice in " + Arrays.toString(dims));
            reduced[nd] = true;
        }
        boolean extreme = op == ReduceOp.MAX || op == ReduceOp.MIN || op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        int[] kept = shape.clone();
        for (int i = 0; i < shape.length; i++) {
            if (!reduced[i]) continue;
            if (extreme && shape[i] == 0)
                throw new IllegalArgumentException(name + ": cannot reduce over empty dimension " + i + " of shape " + Shape.str(shape));
            kept[i] = 1;
        }
        DType outType = (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) ? DType.INT64 : DType.FLOAT32;
        Tensor out = newZeros(outType, kept);
        backend().reduce(op, this, reduced, out, correction);
        if (keepdim) return out;
        int k = 0;
        for (boolean r : reduced) if (!r) k++;
        int[] s = new int[k];
        for (int i = 0, j = 0; i < shape.length; i++) if (!reduced[i]) s[j++] = shape[i];
        return out.view(s);
    }

    // ------------------------------------------------------------------ matmul and softmax

    /**
     * Matrix product over the last two dimensions, batch dimensions broadcast (NumPy matmul rules). A 1-D operand
     * is promoted to a matrix and the added dimension removed afterwards. Transposed views need no copy.
     */
    public Tensor matmul(Tensor o) {
        requireFloat("matmul", this);
        requireFloat("matmul", o);
        sameBackend("matmul", this, o);
        if (rank() == 0 || o.rank() == 0)
            throw new IllegalArgumentException("matmul: both operands need rank >= 1, got " + Shape.str(shape) + " and " + Shape.str(o.shape));
        Tensor a = rank() == 1 ? unsqueeze(0) : this;
        Tensor b = o.rank() == 1 ? o.unsqueeze(1) : o;
        int m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1];
        int k2 = b.shape[b.rank() - 2], n = b.shape[b.rank() - 1];
        if (k != k2)
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shape.str(shape) + " @ " + Shape.str(o.shape) + " (" + k + " vs " + k2 + ")");
        int[] batch;
        try {
            batch = Shape.broadcast("matmul", Arrays.copyOf(a.shape, a.rank() - 2), Arrays.copyOf(b.shape, b.rank() - 2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch dimensions of " + Shape.str(shape) + " @ " + Shape.str(o.shape) + " cannot be broadcast", e);
        }
        int r = batch.length + 2;
        if (r > Shape.MAX_RANK) throw new IllegalArgumentException("matmul: result rank exceeds " + Shape.MAX_RANK);
        int[] as = Arrays.copyOf(batch, r), bs = Arrays.copyOf(batch, r), os = Arrays.copyOf(batch, r);
        as[r - 2] = m; as[r - 1] = k;
        bs[r - 2] = k; bs[r - 1] = n;
        os[r - 2] = m; os[r - 1] = n;
        Tensor out = newResult(DType.FLOAT32, os);
        backend().matmul(a.expand(as), b.expand(bs), out, 0f);
        if (rank() == 1) out = out.squeeze(r - 2);
        if (o.rank() == 1) out = out.squeeze(out.rank() - 1);
        return out;
    }

    public Tensor softmax(int dim) {
        return softmax(dim, false);
    }

    public Tensor logSoftmax(int dim) {
        return softmax(dim, true);
    }

    private Tensor softmax(int dim, boolean log) {
        String name = log ? "logSoftmax" : "softmax";
        requireFloat(name, this);
        int d = Shape.dim(name, dim, shape);
        Tensor out = newResult(DType.FLOAT32, shape);
        backend().softmax(this, d, log, out);
        return out;
    }

    // ------------------------------------------------------------------ checks shared by the op families

    /** A tensor whose storage was closed cannot be read or written; say so naming the op, not deep in a kernel. */
    static void requireOpen(String op, Tensor t) {
        if (t.storage.isClosed())
            throw new IllegalStateException(op + ": tensor of shape " + Shape.str(t.shape) + " (" + t.dtype() + " on " + t.backend().name()
                    + ") uses a storage that was already closed");
    }

    static void requireFloat(String op, Tensor t) {
        requireOpen(op, t);
        if (t.dtype() != DType.FLOAT32)
            throw new IllegalArgumentException(op + ": expected a FLOAT32 tensor, got " + t.dtype() + " of shape " + Shape.str(t.shape) + " (convert with to(DType.FLOAT32))");
    }

    static void requireDType(String op, String what, Tensor t, DType... allowed) {
        requireOpen(op, t);
        for (DType d : allowed) if (t.dtype() == d) return;
        throw new IllegalArgumentException(op + ": " + what + " must be " + Arrays.toString(allowed) + ", got " + t.dtype() + " of shape " + Shape.str(t.shape));
    }

    static void sameBackend(String op, Tensor a, Tensor b) {
        requireOpen(op, a);
        requireOpen(op, b);
        if (a.backend() != b.backend())
            throw new IllegalArgumentException(op + ": tensors on different backends: " + a.backend().name() + " " + Shape.str(a.shape)
                    + " and " + b.backend().name() + " " + Shape.str(b.shape) + "; move one with to(backend)");
    }

    static void requireShape(String op, String what, Tensor t, int... expected) {
        if (!Arrays.equals(t.shape, expected))
            throw new IllegalArgumentException(op + ": " + what + " must have shape " + Shape.str(expected) + ", got " + Shape.str(t.shape));
    }

    // ------------------------------------------------------------------ printing

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(dtype().shortName()).append(Shape.str(shape)).append(", ").append(backend().name());
        long n = numel();
        if (n <= 16 && dtype() != DType.BIT) sb.append(", ").append(Arrays.toString(toFloatArray()));
        return sb.append(')').toString();
    }
}
