package io.github.dropitjvm.tensor;

/**
 * DropIT's tensor primitives, with these conventions on every backend (so a run's kept sets are the same on each):
 * <ul>
 *   <li>k = floor((1−γ)·n + 0.5), computed in double ({@link #keepCount});</li>
 *   <li>exact min-k keeps the k largest |x| of the whole tensor (row-major flat order, whatever the strides);
 *       among equal |x| the lower flat index wins (so +0 and −0 tie); a NaN is an error naming the layer;</li>
 *   <li>the random strategy keeps element i when a Philox-4x32-10 uniform keyed by the seed, with counter
 *       (i, layer, step), is >= γ — regenerable in backward from the seed alone;</li>
 *   <li>kept positions travel as a BIT mask (bit i = bit i%32 of word i/32) or as ascending INT32 indices;
 *       kept values as FLOAT32 or BF16 (round to nearest even).</li>
 * </ul>
 */
public final class DropItKernels {
    private DropItKernels() {}

    /** k = floor((1−γ)·n + 0.5) in double, for γ in [0, 1]. */
    public static long keepCount(long n, double gamma) {
        checkGamma(gamma);
        return (long) Math.floor((1.0 - gamma) * n + 0.5);
    }

    private static void checkGamma(double gamma) {
        if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException("DropIT: drop rate gamma must be in [0, 1], got " + gamma);
    }

    /**
     * The BIT mask (length numel(x)) of the k largest |x|, ties to the lower flat index.
     *
     * @param layer named in the error when x holds a NaN
     */
    public static Tensor selectTopAbs(Tensor x, long k, String layer) {
        Tensor.requireFloat("DropIT select", x);
        long n = x.numel();
        if (k < 0 || k > n) throw new IllegalArgumentException("DropIT select (" + layer + "): k = " + k + " outside [0, " + n + "]");
        Tensor mask = x.newZeros(DType.BIT, (int) Math.min(n, Integer.MAX_VALUE));
        long nans = x.backend().selectTopAbs(x, k, mask);
        if (nans > 0) throw nanError(x, layer, nans);
        return mask;
    }

    /**
     * A packed DropIT selection: the BIT mask of the kept positions (numel(x) bits) and the kept values (FLOAT32 or
     * BF16) in flat order; {@code values.numel()} is the kept count. A backend reports NaNs in x through
     * {@code nans} > 0, mask and values then null; the public methods here turn that into an error naming the layer.
     */
    public record Pack(Tensor mask, Tensor values, long nans) {
        /** Number of kept elements. */
        public long kept() {
            return values.numel();
        }
    }

    /**
     * Exact min-k packed: the mask {@link #selectTopAbs} selects and the values there, compacted ({@link #compact})
     * — the selection the {@code exact-mink} strategy caches.
     */
    public static Pack packTopAbs(Tensor x, long k, DType valueType, String layer) {
        requireValueType("DropIT pack", valueType);
        Tensor mask = selectTopAbs(x, k, layer);
        Tensor values = x.newZeros(valueType, (int) k);
        x.backend().compact(x, mask, values);
        return new Pack(mask, values, 0);
    }

    /** Elements sampled by {@link #selectApproxTopAbs} to estimate its threshold, unless told otherwise. */
    public static final int APPROX_SAMPLE = 4096;

    /**
     * Approximate min-k: the BIT mask of |x| >= t, where t is estimated from a seeded sample of s = min(sampleSize,
     * n) elements of |x| (drawn with replacement, positions from Philox keyed by the seed, counter (j, 1, layer, step)) as the sample's
     * ⌈(k/n)·s⌉-th largest value. See {@link #packApproxTopAbs}, which also returns the kept values.
     *
     * <p><b>Tolerance.</b> For inputs without ties at t the kept count k' is the number of population elements at or
     * above a sample order statistic, so k'/n has mean about p = k/n and standard deviation about
     * √((p(1−p) + 1/s)/s) (the 1/s term is the order statistic's own spread, which dominates when k/n is within a
     * few 1/s of 0 or 1); this method promises |k' − k| <= 4·√((p(1−p) + 1/s)/s)·n + n/s + 1, a 4-standard-deviation
     * bound (about ±19% of k at γ = 0.9, s = 4096; one standard deviation is ±4.7%). When the estimated t is 0
     * (more than n − k zeros, e.g. after ReLU) it keeps exactly the nonzero elements (k' <= k, and x̂ equals x).
     * k = 0 keeps nothing and k = n everything, exactly.
     */
    public static Tensor selectApproxTopAbs(Tensor x, long k, int sampleSize, long seed, int layerId, int step, String layer) {
        return packApproxTopAbs(x, k, sampleSize, seed, layerId, step, DType.FLOAT32, layer).mask();
    }

    /**
     * Approximate min-k packed ({@link #selectApproxTopAbs}'s rule and tolerance): the threshold comes from the sample,
     * then {@link Backend#packAbsAbove} keeps |x| >= t — on the CPU in one fused vectorised pass over x that checks
     * for NaNs and writes the mask words and the compacted values together, never reading x again to compact.
     */
    public static Pack packApproxTopAbs(Tensor x, long k, int sampleSize, long seed, int layerId, int step, DType valueType, String layer) {
        Tensor.requireFloat("DropIT approximate select", x);
        requireValueType("DropIT approximate select", valueType);
        long n = x.numel();
        if (k < 0 || k > n) throw new IllegalArgumentException("DropIT approximate select (" + layer + "): k = " + k + " outside [0, " + n + "]");
        if (sampleSize < 1) throw new IllegalArgumentException("DropIT approximate select (" + layer + "): sample size must be >= 1, got " + sampleSize);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("DropIT approximate select (" + layer + "): " + n + " elements exceed one dimension");
        // k = 0 (or n = 0): nothing is above +inf, but the pass still looks for NaNs; k = n: everything is above −inf
        float above = k == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        if (k > 0 && k < n) {
            float t = approxThreshold(x, k, sampleSize, seed, layerId, step);
            above = t > 0 ? Math.nextDown(t) : 0f; // |x| >= t for t > 0; the nonzeros for t = 0
        }
        Pack p = x.backend().packAbsAbove(x, above, valueType, k);
        if (p.nans() > 0) throw nanError(x, layer, p.nans());
        return p;
    }

    /** t: the ⌈(k/n)·s⌉-th largest |x| of the seeded sample (NaN if the sample met one; the pack then reports it). */
    private static float approxThreshold(Tensor x, long k, int sampleSize, long seed, int layerId, int step) {
        long n = x.numel();
        int s = (int) Math.min(sampleSize, n);
        int[] pos = new int[s], words = new int[4];
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int j = 0; j < s; j++) {
            Philox.block(j, 1, layerId, step, k0, k1, words);
            long r = ((long) words[0] << 32) | (words[1] & 0xffffffffL);
            pos[j] = (int) Long.remainderUnsigned(r, n);
        }
        float[] sample = Indexing.indexSelect(x.reshape((int) n), 0, Tensor.fromArray(pos, s).to(x.backend())).toFloatArray();
        int[] bits = new int[s]; // sign-cleared bits order like |x| (a NaN sorts above every number)
        for (int j = 0; j < s; j++) bits[j] = Float.floatToRawIntBits(sample[j]) & 0x7FFFFFFF;
        java.util.Arrays.sort(bits);
        int keepInSample = (int) Math.max(1, Math.min(s, Math.ceil((double) k / n * s)));
        return Float.intBitsToFloat(bits[s - keepInSample]);
    }

    static IllegalArgumentException nanError(Tensor x, String layer, long nans) {
        return new IllegalArgumentException("DropIT select: input of layer '" + layer + "' (shape " + Shape.str(x.shape()) + ") contains " + nans + " NaN value(s)");
    }

    private static void requireValueType(String op, DType valueType) {
        if (valueType != DType.FLOAT32 && valueType != DType.BF16)
            throw new IllegalArgumentException(op + ": values must be FLOAT32 or BF16, got " + valueType);
    }

    /** The tolerance {@link #selectApproxTopAbs} states for the kept count: 4·√((p(1−p) + 1/s)/s)·n + n/s + 1. */
    public static double approxKeepTolerance(long n, long k, int sampleSize) {
        double p = n == 0 ? 0 : (double) k / n;
        int s = (int) Math.max(1, Math.min(sampleSize, n));
        return 4 * Math.sqrt((p * (1 - p) + 1.0 / s) / s) * n + (double) n / s + 1;
    }

    /** The random-strategy keep mask over n elements (see class comment). */
    public static Tensor randomKeepMask(Backend backend, long n, long seed, int layer, int step, double gamma) {
        checkGamma(gamma);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("DropIT random mask: " + n + " elements exceed one dimension");
        Tensor mask = Tensor.zeros(backend, DType.BIT, (int) n);
        backend.randomKeepMask(seed, layer, step, gamma, mask);
        return mask;
    }

    /** Number of set bits of a BIT mask. */
    public static long countKept(Tensor mask) {
        requireMask("countKept", mask);
        return mask.backend().countMask(mask, mask.numel());
    }

    /** The kept values of x (FLOAT32 or BF16), in flat order. */
    public static Tensor compact(Tensor x, Tensor mask, DType valueType) {
        Tensor.requireFloat("DropIT compact", x);
        requireMask("DropIT compact", mask);
        Tensor.sameBackend("DropIT compact", x, mask);
        requireValueType("DropIT compact", valueType);
        if (mask.numel() != x.numel())
            throw new IllegalArgumentException("DropIT compact: mask of " + mask.numel() + " bits for input " + Shape.str(x.shape()) + " of " + x.numel() + " elements");
        long k = countKept(mask);
        Tensor values = x.newZeros(valueType, (int) k);
        x.backend().compact(x, mask, values);
        return values;
    }

    /** Ascending INT32 flat positions of the set bits; refuses tensors whose positions do not fit 31 bits. */
    public static Tensor maskToIndex(Tensor mask) {
        requireMask("DropIT index", mask);
        if (mask.numel() > Integer.MAX_VALUE)
            throw new IllegalArgumentException("DropIT index: " + mask.numel() + " positions overflow int32 indices; use a bitmask cache format");
        Tensor index = mask.newZeros(DType.INT32, (int) countKept(mask));
        mask.backend().maskToIndex(mask, index);
        return index;
    }

    /** Dense FLOAT32 tensor of the given shape with values at the set mask bits and zeros elsewhere. */
    public static Tensor scatterMasked(Tensor values, Tensor mask, int... shape) {
        Tensor.requireDType("DropIT scatter", "values", values, DType.FLOAT32, DType.BF16);
        requireMask("DropIT scatter", mask);
        Tensor.sameBackend("DropIT scatter", values, mask);
        if (mask.numel() != Shape.numel("DropIT scatter", shape))
            throw new IllegalArgumentException("DropIT scatter: mask of " + mask.numel() + " bits for shape " + Shape.str(shape));
        long k = countKept(mask);
        if (values.numel() != k)
            throw new IllegalArgumentException("DropIT scatter: " + values.numel() + " values for " + k + " kept positions");
        Tensor out = values.newZeros(DType.FLOAT32, shape);
        values.backend().scatterMasked(values.contiguous(), mask, out);
        return out;
    }

    /** Dense FLOAT32 tensor with values[j] at flat position index[j], zeros elsewhere. */
    public static Tensor scatterIndexed(Tensor values, Tensor index, int... shape) {
        Tensor.requireDType("DropIT scatter", "values", values, DType.FLOAT32, DType.BF16);
        Tensor.requireDType("DropIT scatter", "index", index, DType.INT32);
        Tensor.sameBackend("DropIT scatter", values, index);
        if (values.rank() != 1 || index.rank() != 1 || values.numel() != index.numel())
            throw new IllegalArgumentException("DropIT scatter: values " + Shape.str(values.shape()) + " and index " + Shape.str(index.shape()) + " must be 1-D of equal length");
        Tensor out = values.newZeros(DType.FLOAT32, shape);
        values.backend().scatterIndexed(values.contiguous(), index.contiguous(), out);
        return out;
    }

    /**
     * The weight gradient of a Linear layer straight from a DropIT cache: dW = gᵀ·x̂ (out, in) for g (M, out) and
     * x̂ (M, in) given by a BIT mask of M·in bits and the kept values in flat order — without building x̂. Costs
     * k·out multiply-adds (k kept) instead of the dense M·in·out plus the scatter.
     */
    public static Tensor sparseWeightGrad(Tensor g, Tensor values, Tensor mask, int in) {
        Tensor.requireDType("DropIT sparse weight grad", "g", g, DType.FLOAT32);
        Tensor.requireDType("DropIT sparse weight grad", "values", values, DType.FLOAT32, DType.BF16);
        requireMask("DropIT sparse weight grad", mask);
        Tensor.sameBackend("DropIT sparse weight grad", g, values);
        Tensor.sameBackend("DropIT sparse weight grad", g, mask);
        if (g.rank() != 2 || in < 1 || mask.numel() != (long) g.size(0) * in)
            throw new IllegalArgumentException("DropIT sparse weight grad: g " + Shape.str(g.shape()) + " and a mask of " + mask.numel()
                    + " bits do not describe an input of " + in + " features");
        long k = countKept(mask);
        if (values.numel() != k)
            throw new IllegalArgumentException("DropIT sparse weight grad: " + values.numel() + " values for " + k + " kept positions");
        Tensor dwT = g.newZeros(DType.FLOAT32, in, g.size(1));
        g.backend().sparseWeightGrad(g.contiguous(), values.contiguous(), mask, dwT);
        return dwT.transpose(0, 1).contiguous();
    }

    private static void requireMask(String op, Tensor mask) {
        Tensor.requireDType(op, "mask", mask, DType.BIT);
        if (mask.rank() != 1 || !mask.isContiguous() || mask.offset() != 0)
            throw new IllegalArgumentException(op + ": mask must be a whole 1-D BIT tensor, got shape " + Shape.str(mask.shape()));
    }
}
