package io.github.dropitjvm.tensor;

/**
 * The one interface every compute kernel goes through. Implemented by the CPU backend now and by the OpenCL
 * and CUDA backends later, so it speaks only in {@link Tensor}s (storage + shape + strides + offset) and plain
 * parameters, never in Java arrays.
 *
 * <p>Contract: the {@link Tensor} front end validates shapes, dtypes and backends and allocates outputs before
 * calling a kernel, so a kernel may assume its arguments are consistent: inputs are already broadcast (expanded
 * with stride 0) to the output shape where the op broadcasts, outputs are freshly allocated and contiguous
 * unless stated otherwise. Kernels may run asynchronously; {@link #synchronize()} waits for all of them and
 * host reads through {@link #read} synchronize implicitly.
 */
public interface Backend {
    /** Short stable name: "cpu", "opencl", "cuda". */
    String name();

    /** Accounting of this backend's storages. */
    MemoryTracker memory();

    /** Largest number of elements one storage may hold on this backend. */
    long maxElements();

    /** A new zero-filled storage. */
    Storage allocate(DType dtype, long length);

    /**
     * A new storage whose contents are unspecified, for an output the kernel called next overwrites entirely
     * (elementwise, copy, matmul with beta 0, softmax): it saves the zero fill, a whole write pass over the output.
     * Never for an output a kernel accumulates into or writes partly, nor for BIT outputs (written by
     * read-modify-write of their words). Accounted exactly as {@link #allocate}. Default: {@link #allocate}.
     */
    default Storage allocateUninitialized(DType dtype, long length) {
        return allocate(dtype, length);
    }

    /** Waits until every kernel queued so far has finished. */
    void synchronize();

    // ---- host transfer (the only place Java arrays appear) ----

    /**
     * Copies {@code count} elements from a host array into {@code dst} starting at element {@code dstOffset}.
     * The array type follows the dtype: float[] FLOAT32, int[] INT32, long[] INT64, short[] BF16, and int[] of
     * 32-bit words for BIT (then offset and count are in words).
     */
    void write(Storage dst, long dstOffset, Object hostArray, int srcOffset, int count);

    /** Copies {@code count} elements (words for BIT) from {@code src} into a host array; see {@link #write}. */
    void read(Storage src, long srcOffset, Object hostArray, int dstOffset, int count);

    // ---- element movement ----

    /** dst[i] = value for every element of the (possibly strided) view dst. */
    void fill(Tensor dst, double value);

    /** dst[i] = start + i·step over the contiguous dst. */
    void arange(Tensor dst, double start, double step);

    /** Strided copy with dtype conversion (same shapes): float↔bf16 rounds to nearest even, float→int truncates. */
    void copy(Tensor src, Tensor dst);

    /**
     * Seeded random fill of the contiguous FLOAT32 dst: element i depends only on (seed, stream, i) through
     * Philox-4x32-10, so results agree on every backend and every thread count.
     */
    void random(Tensor dst, long seed, long stream, Distribution distribution);

    /** Random distributions of {@link #random}. */
    enum Distribution { UNIFORM, NORMAL }

    // ---- elementwise ----

    void unary(UnaryOp op, Tensor x, Tensor out, double p0, double p1);

    /** a and b are broadcast to out's shape; out is BIT for comparisons, FLOAT32 otherwise. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /**
     * GELU's backward, out = g · GELU'(x) (exact form), all three of one shape; out may alias x but not g. The
     * default is the two ops it fuses, unary GELU_GRAD into out and then out = g · out; a backend may do it in one
     * pass with the same values.
     */
    default void geluBackward(Tensor x, Tensor g, Tensor out) {
        unary(UnaryOp.GELU_GRAD, x, out, 0, 0);
        binary(BinaryOp.MUL, g, out, out);
    }

    /** out = cond ? a : b, all broadcast to out's shape; cond is BIT. */
    void where(Tensor cond, Tensor a, Tensor b, Tensor out);

    // ---- reductions ----

    /**
     * Reduces x over the dimensions marked in {@code reduced}; out has x's rank with reduced dimensions of size 1
     * (the front end drops them afterwards when keepdim is false). {@code correction} is for VAR.
     */
    void reduce(ReduceOp op, Tensor x, boolean[] reduced, Tensor out, double correction);

    // ---- linear algebra ----

    /**
     * out[..., m, n] = beta·out + Σ_k a[..., m, k]·b[..., k, n]. a, b and out have equal rank >= 2 with batch
     * dimensions already broadcast; a and b may be arbitrary strided views (transposes need no copy).
     */
    void matmul(Tensor a, Tensor b, Tensor out, float beta);

    // ---- normalization and softmax ----

    /** Softmax (or log-softmax) of x along dim into out (same shape, contiguous). */
    void softmax(Tensor x, int dim, boolean log, Tensor out);

    /**
     * Layer norm over the last {@code normDims} dimensions: out = (x − mean)·rstd·weight + bias; mean and rstd
     * (one per normalized group, contiguous) are written for backward. weight and bias may be null.
     */
    void layerNorm(Tensor x, int normDims, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd);

    /**
     * Fused layer-norm backward, if this backend has one: from the upstream gradient g, the saved input x and its
     * per-group mean and rstd, with x̂ = (x − mean)·rstd and ĝ = g·weight, writes gx = rstd·(ĝ − mean(ĝ) −
     * x̂·mean(ĝ·x̂)) (means over the group), gw = Σ g·x̂ and gb = Σ g (sums over the groups); any of gx, gw, gb
     * may be null (not wanted), weight may be null. Outputs are fresh and contiguous; their contents on entry are
     * unspecified. Returns false (writing nothing) when the backend has no fused kernel: the caller then composes
     * the same formula from tensor ops ({@link NnKernels#layerNormBackward}).
     */
    default boolean layerNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor weight, int normDims,
                                      Tensor gx, Tensor gw, Tensor gb) {
        return false;
    }

    /**
     * Batch norm of x (N, C, ...) per channel. Training: statistics of the batch, written to mean and rstd
     * (biased variance, as PyTorch normalizes). Inference (useRunning): normalizes with runningMean/runningVar
     * and leaves mean/rstd untouched. weight and bias may be null.
     */
    void batchNorm(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, boolean useRunning,
                   double eps, Tensor out, Tensor mean, Tensor rstd);

    /**
     * Fused batch-norm backward, if this backend has one (see {@link NnKernels#batchNormBackward} for the formula):
     * mean, rstd and weight are [C] (weight may be null); gx (x's shape), gw and gb ([C]) are fresh, contiguous,
     * any may be null. Returns false (writing nothing) when the backend has no fused kernel.
     */
    default boolean batchNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor weight, boolean training,
                                      Tensor gx, Tensor gw, Tensor gb) {
        return false;
    }

    // ---- convolution and pooling ----

    /** im2col of x (N, C, H, W) into cols (N, C·kh·kw, OH·OW), zero padding. */
    void im2col(Tensor x, Conv2dGeometry g, Tensor cols);

    /** col2im: sums cols (N, C·kh·kw, OH·OW) back into x (N, C, H, W), which is overwritten. */
    void col2im(Tensor cols, Conv2dGeometry g, Tensor x);

    /**
     * Fused convolution, if this backend has it: out (N, O, OH·OW) = weight (O, C·kh·kw) · im2col(x), image by
     * image, with the same sums as that product. Returns false (writing nothing) otherwise, and the caller composes
     * {@link #im2col} and {@link #matmul}. The same holds for the two gradients below. Outputs are fresh and
     * contiguous, their contents unspecified: the kernel writes every element.
     */
    default boolean conv2d(Tensor x, Tensor weight, Conv2dGeometry g, Tensor out) {
        return false;
    }

    /**
     * Fused input gradient: gradIn (N, C, H, W) = col2im(weightᵀ · gradOut) for gradOut (N, O, OH·OW) (asked for
     * strided convolutions only: with stride 1 the front end computes it as a {@link #conv2d}).
     */
    default boolean conv2dInputGrad(Tensor weight, Tensor gradOut, Conv2dGeometry g, Tensor gradIn) {
        return false;
    }

    /**
     * Fused weight gradient: out (C·kh·kw, O) = Σₙ im2col(x)[n] · gradOut[n]ᵀ, with the same bits as this backend's
     * {@code sum(0)} of the per-image products {@code im2col(x).matmul(gradOutᵀ)} (the composed path), so that the
     * two paths agree. Fusing the sum keeps the N per-image products out of memory.
     */
    default boolean conv2dWeightGrad(Tensor x, Tensor gradOut, Conv2dGeometry g, Tensor out) {
        return false;
    }

    /** Max pooling with -inf padding; indices (INT32) are flat positions within each (n, c) input plane. */
    void maxPool2d(Tensor x, Conv2dGeometry g, Tensor out, Tensor indices);

    /** gradIn (N, C, H, W), overwritten: each gradOut element added at its recorded index. */
    void maxPool2dBackward(Tensor gradOut, Tensor indices, Conv2dGeometry g, Tensor gradIn);

    /** Average pooling; padded positions count in the divisor (PyTorch's count_include_pad = true). */
    void avgPool2d(Tensor x, Conv2dGeometry g, Tensor out);

    /** gradIn (N, C, H, W), overwritten. */
    void avgPool2dBackward(Tensor gradOut, Conv2dGeometry g, Tensor gradIn);

    // ---- indexing ----

    /** out[..i.., j, ..k..] = x[..i.., index[..i.., j, ..k..], ..k..] along dim (index INT32 or INT64). */
    void gather(Tensor x, int dim, Tensor index, Tensor out);

    /** dst[.., index[.., j, ..], ..] (+)= src[.., j, ..] along dim, in place; accumulate adds, else assigns. */
    void scatter(Tensor dst, int dim, Tensor index, Tensor src, boolean accumulate);

    /** out = x with dim restricted to the 1-D index (INT32 or INT64). */
    void indexSelect(Tensor x, int dim, Tensor index, Tensor out);

    // ---- DropIT primitives (DropItKernels' conventions, identical on every backend) ----

    /**
     * Marks in the BIT mask (numel(x) bits, zeroed by the caller) the k largest |x| of the whole tensor, flat
     * index order, ties broken towards the lower flat index, by a radix/histogram select on the float bits.
     * Returns the number of NaNs found (the caller refuses a non-zero count); the mask is then unspecified.
     */
    long selectTopAbs(Tensor x, long k, Tensor mask);

    /**
     * Random keep mask: element i is kept when the first Philox-4x32-10 output word for key (seed) and counter
     * (i, layer, step), as a uniform u = (word >>> 8)·2⁻²⁴, satisfies u >= gamma. Returns the kept count.
     */
    long randomKeepMask(long seed, int layer, int step, double gamma, Tensor mask);

    /**
     * DropIT's threshold pack: keeps element i of x (flat order) iff |x_i| > above (above >= 0, or −∞ to keep
     * every element), returning the BIT mask (numel(x)
     * bits) and the kept values (FLOAT32 or BF16, flat order), or only a NaN count when x holds NaNs. A backend
     * may fuse the comparison and the compaction into one pass (the CPU does); this default builds the mask with
     * elementwise ops and then compacts it, as before the fused kernel existed.
     *
     * @param expectedKept about how many elements will be kept: a sizing hint for scratch buffers, not a limit
     */
    default DropItKernels.Pack packAbsAbove(Tensor x, float above, DType valueType, long expectedKept) {
        Tensor a = x.reshape((int) x.numel()).abs();
        if (Double.isNaN(a.sum().item())) return new DropItKernels.Pack(null, null, countMask(a.ne(a), x.numel()));
        Tensor mask = a.gt(Tensor.full(this, DType.FLOAT32, above));
        Tensor values = x.newZeros(valueType, (int) countMask(mask, x.numel()));
        compact(x, mask, values);
        return new DropItKernels.Pack(mask, values, 0);
    }

    /** Number of set bits among the first n bits of mask. */
    long countMask(Tensor mask, long n);

    /** values (FLOAT32 or BF16, length = set bits) = the elements of x at set mask bits, in flat order. */
    void compact(Tensor x, Tensor mask, Tensor values);

    /** index (INT32) = flat positions of the set mask bits, ascending. */
    void maskToIndex(Tensor mask, Tensor index);

    /** out (FLOAT32, contiguous, zeroed by the caller) receives values at the set mask bits, in flat order. */
    void scatterMasked(Tensor values, Tensor mask, Tensor out);

    /** out (FLOAT32, contiguous, zeroed by the caller) receives values[j] at flat position index[j]. */
    void scatterIndexed(Tensor values, Tensor index, Tensor out);

    /**
     * DropIT's sparse weight gradient: dwT (in, out; FLOAT32, contiguous, zeroed by the caller) receives x̂ᵀ·g, where
     * x̂ (M, in) is the dense tensor the mask (M·in bits) and the compact values (FLOAT32 or BF16) describe and g
     * (M, out) is FLOAT32 contiguous. See {@link DropItKernels#sparseWeightGrad}.
     */
    void sparseWeightGrad(Tensor g, Tensor values, Tensor mask, Tensor dwT);
}
