package io.github.dropitjvm.tensor.device;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.BinaryOp;
import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.ReduceOp;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.UnaryOp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What the GPU backends share: every op is one or a few launches of a kernel of the one dialect both compile
 * ({@code kernels/*.cl} with {@code prelude.h}: OpenCL C for {@code OpenClBackend}, CUDA C / PTX for
 * {@code CudaBackend}), so the op → kernel-and-arguments code lives here once. A subclass supplies the driver:
 * storage allocation, zero fill, host↔device copies, buffer arguments and the launch itself.
 *
 * <p>Kernel arguments are Java values mapped to the dialect's C types: Integer/Boolean → int, Long → i64,
 * Float → float, Double → double, {@link View} → the 128-byte {@code View} struct of {@code prelude.h} (see
 * {@link #packValue}), and whatever {@link #buf(Storage)} returns → a device buffer.
 */
public abstract class DeviceBackend implements Backend {
    /** Bytes of the kernels' View struct: MAX_RANK shapes, MAX_RANK strides, offset, rank, numel (all i64). */
    public static final int VIEW_BYTES = 128;
    /** Tile edge of the dialect's {@code matmul_k} (its work-group is TS×TS). */
    private static final int TS = 16;

    private final String name;

    protected DeviceBackend(String name) {
        this.name = name;
    }

    @Override public final String name() { return name; }

    /** The device in words (for messages). */
    public abstract String description();

    // ------------------------------------------------------------------ what a subclass supplies

    /** A new storage of {@code length} elements from the backend's allocator, contents unspecified. */
    protected abstract Storage newStorage(DType dtype, long length);

    /** Queues a zero fill of the first {@code bytes} (a multiple of 4) of {@code s}; called holding this backend's lock. */
    protected abstract void zeroFill(Storage s, long bytes);

    /** Copies {@code bytes} from host memory into {@code dst} at {@code byteOffset}; returns when host may be freed. Holding the lock. */
    protected abstract void copyToDevice(Storage dst, long byteOffset, MemorySegment host, long bytes);

    /** Copies {@code bytes} of {@code src} from {@code byteOffset} into host memory; returns when they are there. Holding the lock. */
    protected abstract void copyToHost(Storage src, long byteOffset, MemorySegment host, long bytes);

    /** The kernel argument for the device buffer of {@code s} (kernels add element offsets themselves). */
    protected abstract Object buf(Storage s);

    /**
     * Runs kernel {@code name} with OpenCL-style sizes: {@code global} work items per dimension (a multiple of
     * {@code local}), in work-groups of {@code local} ({@code null}: the backend chooses).
     */
    protected abstract void launch(String name, long[] global, long[] local, Object... args);

    /**
     * out = beta·out + a·b through a vendor library where the layouts allow it; false (nothing done) sends the
     * product to the dialect's tiled {@code matmul_k}.
     */
    protected boolean vendorMatmul(Tensor a, Tensor b, Tensor out, float beta, int m, int n, int k, int[] batch, long nb) {
        return false;
    }

    // ------------------------------------------------------------------ storage and copies

    @Override
    public Storage allocate(DType dtype, long length) {
        if (length > maxElements())
            throw new IllegalArgumentException(name + ": a storage of " + length + " " + dtype + " elements exceeds the limit of " + maxElements()
                    + " elements on " + description());
        Storage s = newStorage(dtype, length);
        long bytes = (dtype.bytesFor(length) + 3) & ~3L;
        if (bytes > 0) {
            synchronized (this) {
                zeroFill(s, bytes);
            }
        }
        return s;
    }

    private static long elementBytes(DType d) {
        return d == DType.BIT ? 4 : d.bits() / 8;
    }

    @Override
    public void write(Storage dst, long dstOffset, Object hostArray, int srcOffset, int count) {
        if (count == 0) return;
        long es = elementBytes(dst.dtype());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(count * es, 8);
            MemorySegment.copy(heap(hostArray), srcOffset * es, host, 0, count * es);
            synchronized (this) {
                copyToDevice(dst, dstOffset * es, host, count * es);
            }
        }
    }

    @Override
    public void read(Storage src, long srcOffset, Object hostArray, int dstOffset, int count) {
        if (count == 0) return;
        long es = elementBytes(src.dtype());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(count * es, 8);
            synchronized (this) {
                copyToHost(src, srcOffset * es, host, count * es);
            }
            MemorySegment.copy(host, 0, heap(hostArray), dstOffset * es, count * es);
        }
    }

    private MemorySegment heap(Object array) {
        return switch (array) {
            case float[] f -> MemorySegment.ofArray(f);
            case int[] i -> MemorySegment.ofArray(i);
            case long[] l -> MemorySegment.ofArray(l);
            case short[] s -> MemorySegment.ofArray(s);
            default -> throw new IllegalArgumentException(name + ": unsupported host array " + array.getClass().getSimpleName());
        };
    }

    // ------------------------------------------------------------------ launching

    /** A strided view argument: packed into the kernels' View struct. */
    public record View(int[] shape, long[] strides, long offset) {
        public static View of(Tensor t) {
            return new View(t.shape(), t.strides(), t.offset());
        }
    }

    protected final Object buf(Tensor t) {
        return buf(t.storage());
    }

    /** Runs kernel {@code name} over {@code n} work items (1-D, rounded up to 64; kernels check their bound). */
    protected final void launch(String name, long n, Object... args) {
        if (n <= 0) return;
        launch(name, new long[]{(n + 63) / 64 * 64}, null, args);
    }

    /**
     * One scalar or View argument's value in native memory, allocated in {@code a}; null for any other type (the
     * backend packs its buffer arguments itself).
     */
    public static MemorySegment packValue(Arena a, Object v) {
        MemorySegment seg;
        switch (v) {
            case Integer x -> { seg = a.allocate(JAVA_INT); seg.set(JAVA_INT, 0, x); }
            case Long x -> { seg = a.allocate(JAVA_LONG); seg.set(JAVA_LONG, 0, x); }
            case Float x -> { seg = a.allocate(JAVA_FLOAT); seg.set(JAVA_FLOAT, 0, x); }
            case Double x -> { seg = a.allocate(JAVA_DOUBLE); seg.set(JAVA_DOUBLE, 0, x); }
            case Boolean x -> { seg = a.allocate(JAVA_INT); seg.set(JAVA_INT, 0, x ? 1 : 0); }
            case View vw -> seg = packView(a, vw);
            case null, default -> seg = null;
        }
        return seg;
    }

    private static MemorySegment packView(Arena a, View v) {
        int r = v.shape().length;
        if (r > Shape.MAX_RANK) throw new IllegalArgumentException("rank " + r + " exceeds " + Shape.MAX_RANK);
        MemorySegment s = a.allocate(VIEW_BYTES, 8);
        long numel = 1;
        for (int d = 0; d < r; d++) {
            s.setAtIndex(JAVA_LONG, d, v.shape()[d]);
            s.setAtIndex(JAVA_LONG, Shape.MAX_RANK + d, v.strides()[d]);
            numel *= v.shape()[d];
        }
        s.setAtIndex(JAVA_LONG, 2 * Shape.MAX_RANK, v.offset());
        s.setAtIndex(JAVA_LONG, 2 * Shape.MAX_RANK + 1, r);
        s.setAtIndex(JAVA_LONG, 2 * Shape.MAX_RANK + 2, numel);
        return s;
    }

    /** The error for an argument neither {@link #packValue} nor the subclass knows. */
    protected final IllegalArgumentException unsupportedArgument(Object v) {
        return new IllegalArgumentException(name + ": unsupported kernel argument " + (v == null ? "null" : v.getClass()));
    }

    private Tensor temp(DType d, long n) {
        return Tensor.zeros(this, d, (int) n);
    }

    private static void close(Tensor... ts) {
        for (Tensor t : ts) if (t != null) t.storage().close();
    }

    /** Closes c when it is a contiguous copy made here (not the caller's tensor). */
    private static void closeCopy(Tensor c, Tensor original) {
        if (c != null && c != original) c.storage().close();
    }

    private int[] readInts(Tensor t, int n) {
        int[] out = new int[n];
        read(t.storage(), t.offset(), out, 0, n);
        return out;
    }

    // ------------------------------------------------------------------ element movement and elementwise

    @Override
    public void fill(Tensor dst, double value) {
        launch("fill_k", dst.numel(), View.of(dst), buf(dst), dst.dtype().ordinal(), value, dst.numel());
    }

    @Override
    public void arange(Tensor dst, double start, double step) {
        launch("arange_k", dst.numel(), buf(dst), dst.dtype().ordinal(), dst.offset(), start, step, dst.numel());
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        launch("copy_k", dst.numel(), View.of(src), buf(src), src.dtype().ordinal(), View.of(dst), buf(dst), dst.dtype().ordinal(), dst.numel());
    }

    @Override
    public void random(Tensor dst, long seed, long stream, Distribution distribution) {
        launch("random_k", dst.numel(), buf(dst), dst.offset(), seed, stream, distribution == Distribution.NORMAL ? 1 : 0, dst.numel());
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out, double p0, double p1) {
        launch("unary_k", out.numel(), op.ordinal(), View.of(x), buf(x), View.of(out), buf(out), p0, p1, out.numel());
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        if (!op.isComparison()) {
            launch("binary_k", n, op.ordinal(), View.of(a), buf(a), View.of(b), buf(b), View.of(out), buf(out), n);
        } else if (out.isContiguous() && out.offset() == 0) {
            launch("compare_k", (n + 31) / 32, op.ordinal(), View.of(a), buf(a), View.of(b), buf(b), buf(out), n);
        } else {
            launch("compare_strided_k", n, op.ordinal(), View.of(a), buf(a), View.of(b), buf(b), View.of(out), buf(out), n);
        }
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        launch("where_k", out.numel(), View.of(cond), buf(cond), View.of(a), buf(a), View.of(b), buf(b), View.of(out), buf(out), out.numel());
    }

    // ------------------------------------------------------------------ reductions and norms

    @Override
    public void reduce(ReduceOp op, Tensor x, boolean[] reduced, Tensor out, double correction) {
        int[] xs = x.shape();
        int[] outer = xs.clone(), inner = xs.clone();
        long count = 1;
        int nReduced = 0;
        for (int i = 0; i < xs.length; i++) {
            if (reduced[i]) { outer[i] = 1; count *= xs[i]; nReduced++; }
            else inner[i] = 1;
        }
        if ((op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) && nReduced != 1)
            throw new IllegalArgumentException(op.name().toLowerCase() + ": exactly one dimension, got " + nReduced);
        long outN = out.numel();
        launch("reduce_k", outN, op.ordinal(), new View(outer, x.strides(), x.offset()), new View(inner, x.strides(), 0), buf(x), buf(out), buf(out),
                outN, count, correction);
    }

    @Override
    public void softmax(Tensor x, int dim, boolean log, Tensor out) {
        int len = x.size(dim);
        if (len == 0) return;
        int[] outer = x.shape();
        outer[dim] = 1;
        long rows = x.numel() / len;
        launch("softmax_k", rows, new View(outer, x.strides(), x.offset()), buf(x), new View(outer, out.strides(), out.offset()), buf(out),
                rows, (long) len, x.stride(dim), out.stride(dim), log ? 1 : 0);
    }

    @Override
    public void layerNorm(Tensor x, int normDims, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd) {
        int[] s = x.shape();
        long d = 1;
        for (int i = s.length - normDims; i < s.length; i++) d *= s[i];
        long groups = d == 0 ? 0 : x.numel() / d;
        if (groups == 0) return;
        Tensor xc = x.contiguous();
        Tensor wc = weight == null ? null : weight.contiguous(), bc = bias == null ? null : bias.contiguous();
        launch("layernorm_k", groups, buf(xc), xc.offset(), wc == null ? buf(xc) : buf(wc), wc == null ? 0L : wc.offset(), wc != null,
                bc == null ? buf(xc) : buf(bc), bc == null ? 0L : bc.offset(), bc != null, eps, buf(out), buf(mean), buf(rstd), groups, d);
        closeCopy(xc, x);
        closeCopy(wc, weight);
        closeCopy(bc, bias);
    }

    @Override
    public void batchNorm(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, boolean useRunning,
                          double eps, Tensor out, Tensor mean, Tensor rstd) {
        int n = x.size(0), c = x.size(1);
        if (c == 0) return;
        long spatial = n == 0 ? 0 : x.numel() / ((long) n * c);
        Tensor xc = x.contiguous();
        Object dummy = buf(xc);
        launch("batchnorm_k", c, buf(xc), xc.offset(), (long) n, (long) c, spatial,
                weight == null ? dummy : buf(weight), weight == null ? 0L : weight.offset(), weight == null ? 0L : weight.stride(0), weight != null,
                bias == null ? dummy : buf(bias), bias == null ? 0L : bias.offset(), bias == null ? 0L : bias.stride(0), bias != null,
                runningMean == null ? dummy : buf(runningMean), runningMean == null ? 0L : runningMean.offset(), runningMean == null ? 0L : runningMean.stride(0),
                runningVar == null ? dummy : buf(runningVar), runningVar == null ? 0L : runningVar.offset(), runningVar == null ? 0L : runningVar.stride(0),
                useRunning, eps, buf(out), mean == null ? dummy : buf(mean), rstd == null ? dummy : buf(rstd));
        closeCopy(xc, x);
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out, float beta) {
        int r = out.rank();
        int m = out.size(r - 2), n = out.size(r - 1), k = a.size(r - 1);
        int[] batch = Arrays.copyOf(out.shape(), r - 2);
        long nb = 1;
        for (int s : batch) nb *= s;
        if (m == 0 || n == 0 || nb == 0) return;
        long[] as = a.strides(), bs = b.strides(), cs = out.strides();
        if (vendorMatmul(a, b, out, beta, m, n, k, batch, nb)) return;
        launch("matmul_k", new long[]{(n + TS - 1) / TS * TS, (m + TS - 1) / TS * TS, nb}, new long[]{TS, TS, 1},
                new View(batch, Arrays.copyOf(as, r - 2), a.offset()), buf(a),
                new View(batch, Arrays.copyOf(bs, r - 2), b.offset()), buf(b),
                new View(batch, Arrays.copyOf(cs, r - 2), out.offset()), buf(out),
                m, n, k, as[r - 2], as[r - 1], bs[r - 2], bs[r - 1], cs[r - 2], cs[r - 1], beta);
    }

    // ------------------------------------------------------------------ convolution and pooling

    private static Object[] geometry(Conv2dGeometry g) {
        return new Object[]{g.n(), g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.outH(), g.outW()};
    }

    private static Object[] concat(Object[]... parts) {
        List<Object> all = new ArrayList<>();
        for (Object[] p : parts) all.addAll(Arrays.asList(p));
        return all.toArray();
    }

    private static Object[] hw(Conv2dGeometry g) {
        return new Object[]{g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.outH(), g.outW()};
    }

    @Override
    public void im2col(Tensor x, Conv2dGeometry g, Tensor cols) {
        Tensor xc = x.contiguous();
        long total = cols.numel();
        launch("im2col_k", total, concat(new Object[]{buf(xc), xc.offset(), buf(cols)}, geometry(g), new Object[]{total}));
        closeCopy(xc, x);
    }

    @Override
    public void col2im(Tensor cols, Conv2dGeometry g, Tensor x) {
        Tensor cc = cols.contiguous();
        long total = (long) g.n() * g.c() * g.h() * g.w();
        launch("col2im_k", total, concat(new Object[]{buf(cc), cc.offset(), buf(x), x.offset()}, geometry(g), new Object[]{total}));
        closeCopy(cc, cols);
    }

    @Override
    public void maxPool2d(Tensor x, Conv2dGeometry g, Tensor out, Tensor indices) {
        Tensor xc = x.contiguous();
        long total = out.numel();
        launch("maxpool_k", total, concat(new Object[]{buf(xc), xc.offset(), buf(out), buf(indices)}, hw(g), new Object[]{total}));
        closeCopy(xc, x);
    }

    @Override
    public void maxPool2dBackward(Tensor gradOut, Tensor indices, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous(), ic = indices.contiguous();
        long plane = (long) g.h() * g.w(), outPlane = (long) g.outH() * g.outW(), planes = (long) g.n() * g.c();
        Tensor flag = temp(DType.INT32, 4);
        launch("maxpool_bwd_k", planes, buf(gc), gc.offset(), buf(ic), ic.offset(), buf(gradIn), gradIn.offset(), plane, outPlane, planes, buf(flag));
        int[] f = readInts(flag, 2);
        close(flag);
        closeCopy(gc, gradOut);
        closeCopy(ic, indices);
        if (f[0] != 0)
            throw new IndexOutOfBoundsException("maxPool2dBackward: index " + f[1] + " outside the input plane of " + plane + " elements");
    }

    @Override
    public void avgPool2d(Tensor x, Conv2dGeometry g, Tensor out) {
        Tensor xc = x.contiguous();
        long total = out.numel();
        launch("avgpool_k", total, concat(new Object[]{buf(xc), xc.offset(), buf(out)}, hw(g), new Object[]{total}));
        closeCopy(xc, x);
    }

    @Override
    public void avgPool2dBackward(Tensor gradOut, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous();
        long total = (long) g.n() * g.c() * g.h() * g.w();
        launch("avgpool_bwd_k", total, concat(new Object[]{buf(gc), gc.offset(), buf(gradIn), gradIn.offset()}, hw(g), new Object[]{total}));
        closeCopy(gc, gradOut);
    }

    // ------------------------------------------------------------------ indexing

    private static long[] zeroAt(long[] strides, int dim) {
        long[] s = strides.clone();
        s[dim] = 0;
        return s;
    }

    /** Reads the flag buffer; throws the CPU backend's message when a kernel found an index out of range. */
    private void checkIndexFlag(Tensor flag, String op, int dim, int size, String data, Tensor x, Tensor index) {
        int[] f = readInts(flag, 3);
        close(flag);
        if (f[0] != 0) {
            long v = (f[1] & 0xFFFFFFFFL) | ((long) f[2] << 32);
            throw new IndexOutOfBoundsException(op + ": index " + v + " out of range for dimension " + dim + " of size " + size
                    + " (" + data + " " + Shape.str(x.shape()) + ", index " + Shape.str(index.shape()) + ")");
        }
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        long n = index.numel();
        if (n == 0) return;
        Tensor flag = temp(DType.INT32, 4);
        int[] is = index.shape();
        launch("gather_k", n, View.of(index), buf(index), index.dtype() == DType.INT64 ? 1 : 0,
                new View(is, zeroAt(x.strides(), dim), x.offset()), buf(x), new View(is, out.strides(), out.offset()), buf(out),
                (long) x.size(dim), x.stride(dim), n, buf(flag));
        checkIndexFlag(flag, "gather", dim, x.size(dim), "input", x, index);
    }

    @Override
    public void scatter(Tensor dst, int dim, Tensor index, Tensor src, boolean accumulate) {
        long n = index.numel();
        if (n == 0) return;
        Tensor flag = temp(DType.INT32, 4);
        int[] is = index.shape();
        launch("scatter_k", 1, View.of(index), buf(index), index.dtype() == DType.INT64 ? 1 : 0,
                new View(is, zeroAt(dst.strides(), dim), dst.offset()), buf(dst), new View(is, src.strides(), src.offset()), buf(src),
                (long) dst.size(dim), dst.stride(dim), n, accumulate ? 1 : 0, buf(flag));
        checkIndexFlag(flag, "scatter", dim, dst.size(dim), "destination", dst, index);
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        long n = out.numel();
        if (n == 0) return;
        Tensor flag = temp(DType.INT32, 4);
        int[] os = out.shape();
        long[] idxStrides = new long[out.rank()];
        idxStrides[dim] = index.stride(0);
        launch("gather_k", n, new View(os, idxStrides, index.offset()), buf(index), index.dtype() == DType.INT64 ? 1 : 0,
                new View(os, zeroAt(x.strides(), dim), x.offset()), buf(x), View.of(out), buf(out),
                (long) x.size(dim), x.stride(dim), n, buf(flag));
        checkIndexFlag(flag, "indexSelect", dim, x.size(dim), "input", x, index);
    }

    // ------------------------------------------------------------------ DropIT

    /** Exclusive prefix sum of nw per-word counts (INT32); the caller closes the result. */
    private Tensor scan(Tensor cnt, long nw) {
        long nc = (nw + 255) / 256;
        Tensor part = temp(DType.INT32, nc + 1), offs = temp(DType.INT32, nw);
        launch("scan_partial_k", nc, buf(cnt), nw, buf(part));
        launch("scan_parts_k", 1, buf(part), nc);
        launch("scan_final_k", nc, buf(cnt), nw, buf(part), buf(offs));
        close(part);
        return offs;
    }

    /** Offsets (exclusive prefix sum) of the set bits of each mask word among the first n bits. */
    private Tensor wordOffsets(Tensor mask, long n) {
        long nw = (n + 31) / 32;
        Tensor cnt = temp(DType.INT32, nw);
        launch("popcount_k", nw, buf(mask), n, buf(cnt));
        Tensor offs = scan(cnt, nw);
        close(cnt);
        return offs;
    }

    @Override
    public long selectTopAbs(Tensor x, long k, Tensor mask) {
        Tensor xc = x.contiguous();
        long n = xc.numel(), nw = (n + 31) / 32;
        Tensor hist = temp(DType.INT32, 2049), state = temp(DType.INT64, 8);
        try {
            launch("topabs_hist_k", n, 0, buf(xc), xc.offset(), n, buf(hist), buf(state));
            long nans = n == 0 ? 0 : readInts(hist.narrow(0, 2048, 1), 1)[0];
            if (nans > 0 || k == 0) return nans;
            if (k == n) {
                launch("set_all_k", nw, buf(mask), n);
                return 0;
            }
            launch("topabs_pick_k", 1, 0, k, buf(hist), buf(state));
            launch("topabs_hist_k", n, 1, buf(xc), xc.offset(), n, buf(hist), buf(state));
            launch("topabs_pick_k", 1, 1, k, buf(hist), buf(state));
            launch("topabs_hist_k", n, 2, buf(xc), xc.offset(), n, buf(hist), buf(state));
            launch("topabs_pick_k", 1, 2, k, buf(hist), buf(state));
            Tensor cnt = temp(DType.INT32, nw);
            launch("topabs_eqcount_k", nw, buf(xc), xc.offset(), n, buf(state), buf(cnt));
            Tensor offs = scan(cnt, nw);
            launch("topabs_mark_k", nw, buf(xc), xc.offset(), n, buf(state), buf(offs), buf(mask));
            close(cnt, offs);
            return 0;
        } finally {
            close(hist, state);
            closeCopy(xc, x);
        }
    }

    @Override
    public long randomKeepMask(long seed, int layer, int step, double gamma, Tensor mask) {
        long n = mask.numel();
        if (n == 0) return 0;
        Tensor counter = temp(DType.INT32, 1);
        launch("keep_mask_k", (n + 31) / 32, seed, layer, step, gamma, buf(mask), n, buf(counter));
        long kept = readInts(counter, 1)[0] & 0xFFFFFFFFL;
        close(counter);
        return kept;
    }

    @Override
    public long countMask(Tensor mask, long n) {
        if (n == 0) return 0;
        Tensor counter = temp(DType.INT32, 1);
        launch("count_k", (n + 31) / 32, buf(mask), n, buf(counter));
        long c = readInts(counter, 1)[0] & 0xFFFFFFFFL;
        close(counter);
        return c;
    }

    @Override
    public void compact(Tensor x, Tensor mask, Tensor values) {
        Tensor xc = x.contiguous();
        long n = xc.numel();
        if (n == 0 || values.numel() == 0) { closeCopy(xc, x); return; }
        Tensor offs = wordOffsets(mask, n);
        launch("compact_k", (n + 31) / 32, buf(xc), xc.offset(), buf(mask), n, buf(offs), buf(values), values.offset(),
                values.dtype() == DType.BF16 ? 1 : 0);
        close(offs);
        closeCopy(xc, x);
    }

    @Override
    public void maskToIndex(Tensor mask, Tensor index) {
        long n = mask.numel();
        if (n == 0 || index.numel() == 0) return;
        Tensor offs = wordOffsets(mask, n);
        launch("mask_to_index_k", (n + 31) / 32, buf(mask), n, buf(offs), buf(index), index.offset());
        close(offs);
    }

    @Override
    public void scatterMasked(Tensor values, Tensor mask, Tensor out) {
        long n = mask.numel();
        if (n == 0 || values.numel() == 0) return;
        Tensor offs = wordOffsets(mask, n);
        launch("scatter_masked_k", (n + 31) / 32, buf(values), values.offset(), values.dtype() == DType.BF16 ? 1 : 0, buf(mask), n,
                buf(offs), buf(out), out.offset());
        close(offs);
    }

    @Override
    public void scatterIndexed(Tensor values, Tensor index, Tensor out) {
        long k = index.numel(), n = out.numel();
        if (k == 0) return;
        Tensor flag = temp(DType.INT32, 4);
        launch("scatter_indexed_k", k, buf(values), values.offset(), values.dtype() == DType.BF16 ? 1 : 0, buf(index), index.offset(), k,
                buf(out), out.offset(), n, buf(flag));
        int[] f = readInts(flag, 2);
        close(flag);
        if (f[0] != 0)
            throw new IndexOutOfBoundsException("DropIT scatter: position " + f[1] + " outside the " + n + "-element output");
    }

    /**
     * Correct but not sparse on the GPU backends yet: rebuilds x̂ on the device and runs one GEMM. The DropIT path
     * picks the sparse route only where it measured it cheaper, so this costs what the dense route costs.
     */
    @Override
    public void sparseWeightGrad(Tensor g, Tensor values, Tensor mask, Tensor dwT) {
        int rows = g.size(0), in = dwT.size(0);
        Tensor xhat = Tensor.zeros(this, DType.FLOAT32, rows, in);
        scatterMasked(values, mask, xhat);
        matmul(xhat.transpose(0, 1), g, dwT, 0f);
        xhat.storage().close();
    }
}
