package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.BFloat16;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Philox;
import io.github.dropitjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * DropIT's primitives on the CPU. Selection is a radix select on the bits of |x|: for non-NaN floats the
 * sign-cleared bit pattern orders like the magnitude. See {@link #selectTopAbs} for the passes.
 */
final class CpuDropIt {
    private CpuDropIt() {}

    private static final int NAN_BITS = 0x7F800000;
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    /** From this many elements on, pass 1 uses 16 top bits (65 536 bins); below, 11 (2 048 bins). */
    static final int WIDE_HISTOGRAM = 1 << 18;
    /** Parts of at least this many elements go to separate pool tasks. */
    private static final int PART = 1 << 20;

    /**
     * Exact selection of the k largest |x| (ties to the lower flat index) in at most three passes over x:
     * <ol>
     * <li>histogram of the top bits of |x| (parallel over contiguous parts, one histogram per part; NaNs detected
     *     from its top bins);
     *     a scan from the top finds the bucket b1 holding the k-th largest and the count above it;
     * <li>usual case, bucket b1 small: one vectorised pass writes the mask words of everything above b1 and gathers
     *     the (bits, position) of b1's members, in flat order, into a buffer sized from the part histograms; the
     *     threshold T and the ties to take are then found on that buffer (sorting a copy of its bits) and its
     *     selected members are marked. Two passes in all.
     * <li>bucket b1 huge (mass ties, e.g. ReLU zeros in an almost-all-kept tensor): a second histogram over the low
     *     15 bits of b1's members gives T exactly, and a third pass marks everything above T plus the first
     *     (k − above) equal to T in flat order.
     * </ol>
     * Integer counts make the result independent of the part split, so it is the same for every thread count.
     */
    static long selectTopAbs(Tensor x, long k, Tensor mask) {
        Tensor xc = x.contiguous();
        float[] a = CpuBackend.cpu(xc).floats();
        int off = (int) xc.offset(), n = (int) xc.numel();
        int[] words = CpuBackend.cpu(mask).ints();
        int shift = n >= WIDE_HISTOGRAM ? 15 : 20;
        int bins = 1 << (31 - shift);
        WorkerPool pool = WorkerPool.shared();
        int parts = n >= 2 * PART ? Math.min(pool.threads(), n / PART) : 1;
        int[] bounds = new int[parts + 1];
        for (int p = 1; p < parts; p++) bounds[p] = (int) ((long) n * p / parts) & ~31;
        bounds[parts] = n;
        // pass 1: histograms of the top bits, per part. No running maximum for NaN detection here: its dependency
        // chain made this loop twice as slow; the histogram's top bins tell instead (below).
        int[][] hists = new int[parts][];
        pool.parallelFor(parts, p -> {
            int[] h = new int[bins];
            for (int i = off + bounds[p], end = off + bounds[p + 1]; i < end; i++)
                h[(Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF) >>> shift]++;
            hists[p] = h;
        });
        // The part histograms are never merged whole: only the bins the scan below visits are summed.
        // NaNs and +∞ share the bins from +∞'s on; only when those are not empty is x scanned for NaNs
        long special = 0;
        for (int[] h : hists) for (int b = NAN_BITS >>> shift; b < bins; b++) special += h[b];
        if (special > 0) {
            long nans = 0;
            for (int i = off; i < off + n; i++) if ((Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF) > NAN_BITS) nans++;
            if (nans > 0) return nans;
        }
        if (k == 0) return 0;
        if (k == n) {
            for (int i = 0; i < n; i++) words[i >>> 5] |= 1 << (i & 31);
            return 0;
        }
        // The scan for b1 starts at the highest non-empty bin (with NaNs ruled out, +∞'s bin is the last that can
        // hold anything), found a vector of bins at a time: a plain scan would step through most of the 65 536 bins
        // for data near 1.
        int top = NAN_BITS >>> shift, lanes = IS.length();
        while (top >= lanes) {
            IntVector any = IntVector.zero(IS);
            for (int[] h : hists) any = any.or(IntVector.fromArray(IS, h, top - lanes + 1));
            if (any.compare(VectorOperators.NE, 0).anyTrue()) break;
            top -= lanes;
        }
        long above = 0;
        int b1 = top, bucket;
        while (true) {
            bucket = 0;
            for (int[] h : hists) bucket += h[b1];
            if (above + bucket >= k) break;
            above += bucket;
            b1--;
        }
        int need = (int) (k - above);
        if (shift == 20 || bucket <= Math.max(1 << 16, n >>> 5)) {
            // pass 2: mark everything above bucket b1, gather b1's members in flat order
            int[] candBits = new int[bucket], candPos = new int[bucket], start = new int[parts + 1];
            for (int p = 0; p < parts; p++) start[p + 1] = start[p] + hists[p][b1];
            final int bucket1 = b1;
            pool.parallelFor(parts, p -> markAboveAndGather(a, off, bounds[p], bounds[p + 1], shift, bucket1, words,
                    candBits, candPos, start[p]));
            int[] sorted = candBits.clone();
            Arrays.sort(sorted);
            int threshold = sorted[bucket - need];
            int greater = 0;
            for (int c = bucket - 1; c >= 0 && sorted[c] > threshold; c--) greater++;
            int equalsToTake = need - greater;
            for (int c = 0; c < bucket; c++) {
                int b = candBits[c];
                if (b > threshold || (b == threshold && equalsToTake-- > 0)) {
                    int i = candPos[c];
                    words[i >>> 5] |= 1 << (i & 31);
                }
            }
            return 0;
        }
        // pass 2 (mass ties): histogram of the low 15 bits of b1's members
        final int bucket1 = b1;
        int[][] lows = new int[parts][];
        pool.parallelFor(parts, p -> lows[p] = lowHistogram(a, off + bounds[p], off + bounds[p + 1], bucket1));
        int[] low = lows[0];
        for (int p = 1; p < parts; p++) for (int b = 0; b < low.length; b++) low[b] += lows[p][b];
        int b2 = low.length - 1;
        while (above + low[b2] < k) above += low[b2--];
        int threshold = (b1 << 15) | b2;
        // pass 3: everything above the threshold, then the first (k − above) equal to it in flat order
        markAboveThreshold(a, off, n, threshold, (int) (k - above), words);
        return 0;
    }

    /**
     * Histogram over 2¹⁵ bins of the low 15 bits of |a[i]|, i in [from, to), for the i whose bits from 15 up equal
     * bucket. Membership is tested a vector at a time, and when the bucket is 0 its exact zeros are counted from the
     * vector compare: after a ReLU about half of x are zeros, and the scalar loop this replaces (a data-dependent
     * branch per element, then increments of one bin each waiting for the previous one) took 7.5 ms for 1.6M such
     * elements, this 0.12 ms.
     */
    private static int[] lowHistogram(float[] a, int from, int to, int bucket) {
        int[] h = new int[1 << 15];
        int zeros = 0, i = from;
        for (; i + L <= to; i += L) {
            IntVector bits = FloatVector.fromArray(FS, a, i).reinterpretAsInts().and(0x7FFFFFFF);
            long members = bits.lanewise(VectorOperators.LSHR, 15).compare(VectorOperators.EQ, bucket).toLong();
            if (members == 0) continue;
            if (bucket == 0) {
                long z = bits.compare(VectorOperators.EQ, 0).toLong();
                zeros += Long.bitCount(z);
                members &= ~z;
            }
            for (; members != 0; members &= members - 1)
                h[Float.floatToRawIntBits(a[i + Long.numberOfTrailingZeros(members)]) & 0x7FFF]++;
        }
        for (; i < to; i++) {
            int b = Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF;
            if (b >>> 15 == bucket) h[b & 0x7FFF]++;
        }
        h[0] += zeros;
        return h;
    }

    /** Mask words of [lo, hi) (lo a multiple of 32): elements whose top bits exceed bucket; members gathered. */
    private static void markAboveAndGather(float[] a, int off, int lo, int hi, int shift, int bucket, int[] words,
                                           int[] candBits, int[] candPos, int c) {
        int i = lo;
        for (; i + 32 <= hi; i += 32) {
            int word = 0;
            for (int v = 0; v < 32; v += L) {
                IntVector bits = FloatVector.fromArray(FS, a, off + i + v).reinterpretAsInts().and(0x7FFFFFFF);
                IntVector top = bits.lanewise(VectorOperators.LSHR, shift);
                word |= (int) top.compare(VectorOperators.GT, bucket).toLong() << v;
                VectorMask<Integer> eq = top.compare(VectorOperators.EQ, bucket);
                if (eq.anyTrue()) {
                    long m = eq.toLong();
                    while (m != 0) {
                        int at = i + v + Long.numberOfTrailingZeros(m);
                        m &= m - 1;
                        candBits[c] = Float.floatToRawIntBits(a[off + at]) & 0x7FFFFFFF;
                        candPos[c++] = at;
                    }
                }
            }
            words[i >>> 5] = word;
        }
        for (; i < hi; i++) {
            int b = Float.floatToRawIntBits(a[off + i]) & 0x7FFFFFFF;
            if (b >>> shift > bucket) words[i >>> 5] |= 1 << (i & 31);
            else if (b >>> shift == bucket) {
                candBits[c] = b;
                candPos[c++] = i;
            }
        }
    }

    /** Marks every |x| above threshold and the first equalsToTake equal to it, flat order. */
    private static void markAboveThreshold(float[] a, int off, int n, int threshold, int equalsToTake, int[] words) {
        int i = 0;
        for (; i + 32 <= n; i += 32) {
            int word = 0;
            for (int v = 0; v < 32; v += L) {
                IntVector bits = FloatVector.fromArray(FS, a, off + i + v).reinterpretAsInts().and(0x7FFFFFFF);
                word |= (int) bits.compare(VectorOperators.GT, threshold).toLong() << v;
                if (equalsToTake > 0) {
                    VectorMask<Integer> eq = bits.compare(VectorOperators.EQ, threshold);
                    long m = eq.toLong();
                    while (m != 0 && equalsToTake > 0) {
                        word |= 1 << (v + Long.numberOfTrailingZeros(m));
                        m &= m - 1;
                        equalsToTake--;
                    }
                }
            }
            words[i >>> 5] = word;
        }
        for (; i < n; i++) {
            int b = Float.floatToRawIntBits(a[off + i]) & 0x7FFFFFFF;
            if (b > threshold || (b == threshold && equalsToTake-- > 0)) words[i >>> 5] |= 1 << (i & 31);
        }
    }

    static long randomKeepMask(long seed, int layer, int step, double gamma, Tensor mask) {
        int[] words = CpuBackend.cpu(mask).ints();
        int n = (int) mask.numel();
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        long kept = 0;
        for (int i = 0; i < n; i++) {
            float u = Philox.uniform(Philox.first(i, 0, layer, step, k0, k1));
            if (u >= gamma) {
                words[i >>> 5] |= 1 << (i & 31);
                kept++;
            }
        }
        return kept;
    }

    static long countMask(Tensor mask, long n) {
        int[] words = CpuBackend.cpu(mask).ints();
        int full = (int) (n >>> 5);
        long c = 0;
        for (int w = 0; w < full; w++) c += Integer.bitCount(words[w]);
        int rest = (int) (n & 31);
        if (rest > 0) c += Integer.bitCount(words[full] & ((1 << rest) - 1));
        return c;
    }

    /** Part bounds over n elements for the parallel passes: inner bounds are multiples of 32 (whole mask words). */
    private static int[] partBounds(int n) {
        int parts = n >= 2 * PART ? Math.min(WorkerPool.shared().threads(), n / PART) : 1;
        int[] bounds = new int[parts + 1];
        for (int p = 1; p < parts; p++) bounds[p] = (int) ((long) n * p / parts) & ~31;
        bounds[parts] = n;
        return bounds;
    }

    /** Prefix sums of the set mask bits per part: part p's kept elements are [start[p], start[p+1]) in flat order. */
    private static int[] partStarts(int[] words, int[] bounds) {
        int parts = bounds.length - 1, n = bounds[parts];
        int[] start = new int[parts + 1];
        for (int p = 0; p < parts; p++) {
            int c = 0, w = bounds[p] >>> 5, wEnd = bounds[p + 1] >>> 5;
            for (; w < wEnd; w++) c += Integer.bitCount(words[w]);
            if (p == parts - 1 && (n & 31) != 0) c += Integer.bitCount(words[wEnd] & ((1 << (n & 31)) - 1));
            start[p + 1] = start[p] + c;
        }
        return start;
    }

    private static final VectorSpecies<Integer> IS = FS.vectorShape().withLanes(int.class);
    /** Shorts, one per float lane (half the float vector's bits): bf16 values. */
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(FS.vectorBitSize() / 2));
    private static final long LANES = L == 64 ? -1L : (1L << L) - 1;

    /**
     * Writes the lanes of f that m selects (cnt of them) at values position j, as fp32 (vf) or bf16 (vb, round to
     * nearest even), never past jEnd (the end of this part's share of the values: parts write concurrently).
     */
    private static void storeCompressed(FloatVector f, VectorMask<Float> m, int cnt, float[] vf, short[] vb, int j, int jEnd) {
        FloatVector c = f.compress(m);
        if (vf != null) {
            if (j + L <= jEnd) c.intoArray(vf, j);
            else c.intoArray(vf, j, FS.indexInRange(0, cnt));
        } else {
            IntVector b = c.reinterpretAsInts();
            IntVector r = b.add(b.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
            ShortVector h = (ShortVector) r.convertShape(VectorOperators.I2S, SS, 0);
            if (j + L <= jEnd) h.intoArray(vb, j);
            else h.intoArray(vb, j, SS.indexInRange(0, cnt));
        }
    }

    /**
     * The fused threshold pack: element i is kept iff the sign-cleared bits of x_i exceed those of {@code above}
     * (for non-NaN values the same order as |x_i| > above). One pass over x, parallel over parts: each vector is
     * loaded once, compared, its mask bits go into the mask word and its kept lanes are compressed into the part's
     * scratch buffer (sized from the expected count, grown if it runs out), while a running maximum of the bits
     * finds NaNs. The values tensor is then allocated at the exact kept count and the parts' scratch copied in —
     * 1−γ of n elements, instead of reading x a second time to count or to compact.
     */
    static DropItKernels.Pack packAbsAbove(Tensor x, float above, DType valueType, long expectedKept) {
        Tensor xc = x.contiguous();
        float[] a = CpuBackend.cpu(xc).floats();
        int off = (int) xc.offset(), n = (int) xc.numel();
        // above >= 0 compares as its bits; −∞ has the sign bit set, a negative int below every |x|'s bits
        int aboveBits = Float.floatToRawIntBits(above);
        int[] bounds = partBounds(n);
        int parts = bounds.length - 1;
        boolean bf16 = valueType == DType.BF16;
        Tensor mask = x.newZeros(DType.BIT, n);
        int[] words = CpuBackend.cpu(mask).ints();
        int[] counts = new int[parts];
        Object[] scratch = new Object[parts];
        double fraction = n == 0 ? 0 : Math.min(1, (double) expectedKept / n);
        WorkerPool.shared().parallelFor(parts, p -> {
            int lo = bounds[p], hi = bounds[p + 1];
            int cap = (int) Math.min(hi - lo + 64L, (long) ((hi - lo) * fraction * 1.25) + 256);
            scratch[p] = bf16 ? new short[cap] : new float[cap];
            counts[p] = packAbovePart(a, off, lo, hi, aboveBits, words, scratch, p);
        });
        long total = 0;
        for (int p = 0; p < parts; p++) {
            if (counts[p] < 0) {
                long nans = 0;
                for (int i = off; i < off + n; i++) if ((Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF) > NAN_BITS) nans++;
                return new DropItKernels.Pack(null, null, nans);
            }
            total += counts[p];
        }
        Tensor values = x.newZeros(valueType, (int) total);
        Object dst = bf16 ? CpuBackend.cpu(values).shorts() : CpuBackend.cpu(values).floats();
        for (int p = 0, j = 0; p < parts; j += counts[p++]) System.arraycopy(scratch[p], 0, dst, j, counts[p]);
        return new DropItKernels.Pack(mask, values, 0);
    }

    /**
     * {@link #packAbsAbove}'s pass over flat [lo, hi) (lo a multiple of 32): writes the mask words, compresses the kept
     * values into scratch[p] (a float[] or short[], replaced by a larger copy when full); returns the kept count, or
     * −1 if a NaN was seen.
     */
    private static int packAbovePart(float[] a, int off, int lo, int hi, int aboveBits, int[] words, Object[] scratch, int p) {
        float[] vf = scratch[p] instanceof float[] f ? f : null;
        short[] vb = vf == null ? (short[]) scratch[p] : null;
        int j = 0, i = lo, cap = vf != null ? vf.length : vb.length;
        IntVector max = IntVector.zero(IS);
        for (; i + 32 <= hi; i += 32) {
            if (j + 32 > cap) { // room for a whole word's worth, so the stores below need no bounds masks
                cap = Math.max(2 * cap, j + 32);
                if (vf != null) vf = Arrays.copyOf(vf, cap);
                else vb = Arrays.copyOf(vb, cap);
            }
            int word = 0;
            for (int v = 0; v < 32; v += L) {
                FloatVector f = FloatVector.fromArray(FS, a, off + i + v);
                IntVector bits = f.reinterpretAsInts().and(0x7FFFFFFF);
                max = max.max(bits);
                VectorMask<Integer> mi = bits.compare(VectorOperators.GT, aboveBits);
                long lm = mi.toLong();
                if (lm == 0) continue;
                word |= (int) (lm << v);
                int cnt = Long.bitCount(lm);
                storeCompressed(f, mi.cast(FS), cnt, vf, vb, j, Integer.MAX_VALUE);
                j += cnt;
            }
            words[i >>> 5] = word;
        }
        int m = max.reduceLanes(VectorOperators.MAX);
        if (j + (hi - i) > cap) {
            if (vf != null) vf = Arrays.copyOf(vf, j + (hi - i));
            else vb = Arrays.copyOf(vb, j + (hi - i));
        }
        for (; i < hi; i++) {
            float f = a[off + i];
            int b = Float.floatToRawIntBits(f) & 0x7FFFFFFF;
            m = Math.max(m, b);
            if (b > aboveBits) {
                words[i >>> 5] |= 1 << (i & 31);
                if (vf != null) vf[j++] = f;
                else vb[j++] = BFloat16.fromFloat(f);
            }
        }
        scratch[p] = vf != null ? vf : vb;
        return m > NAN_BITS ? -1 : j;
    }

    /** Vectorised: each mask chunk of L bits selects lanes of x, compressed into the values; parallel over parts. */
    static void compact(Tensor x, Tensor mask, Tensor values) {
        Tensor xc = x.contiguous();
        float[] a = CpuBackend.cpu(xc).floats();
        int off = (int) xc.offset(), n = (int) xc.numel();
        int[] words = CpuBackend.cpu(mask).ints();
        boolean bf16 = values.dtype() == DType.BF16;
        float[] vf = bf16 ? null : CpuBackend.cpu(values).floats();
        short[] vb = bf16 ? CpuBackend.cpu(values).shorts() : null;
        int vo = (int) values.offset();
        int[] bounds = partBounds(n), start = partStarts(words, bounds);
        WorkerPool.shared().parallelFor(bounds.length - 1, p -> {
            int j = vo + start[p], jEnd = vo + start[p + 1], i = bounds[p], hi = bounds[p + 1];
            for (; i + 32 <= hi; i += 32) {
                int word = words[i >>> 5];
                if (word == 0) continue;
                for (int v = 0; v < 32; v += L) {
                    long lm = (word >>> v) & LANES;
                    if (lm == 0) continue;
                    int cnt = Long.bitCount(lm);
                    storeCompressed(FloatVector.fromArray(FS, a, off + i + v), VectorMask.fromLong(FS, lm), cnt, vf, vb, j, jEnd);
                    j += cnt;
                }
            }
            for (; i < hi; i++) {
                if ((words[i >>> 5] & (1 << (i & 31))) == 0) continue;
                if (bf16) vb[j++] = BFloat16.fromFloat(a[off + i]);
                else vf[j++] = a[off + i];
            }
        });
    }

    /** Vectorised: lane positions compressed under each mask chunk; parallel over parts. */
    static void maskToIndex(Tensor mask, Tensor index) {
        int[] words = CpuBackend.cpu(mask).ints(), out = CpuBackend.cpu(index).ints();
        int n = (int) mask.numel(), io = (int) index.offset();
        int[] bounds = partBounds(n), start = partStarts(words, bounds);
        IntVector iota = IntVector.zero(IS).addIndex(1);
        WorkerPool.shared().parallelFor(bounds.length - 1, p -> {
            int j = io + start[p], jEnd = io + start[p + 1], i = bounds[p], hi = bounds[p + 1];
            for (; i + 32 <= hi; i += 32) {
                int word = words[i >>> 5];
                if (word == 0) continue;
                for (int v = 0; v < 32; v += L) {
                    long lm = (word >>> v) & LANES;
                    if (lm == 0) continue;
                    int cnt = Long.bitCount(lm);
                    IntVector c = iota.add(i + v).compress(VectorMask.fromLong(IS, lm));
                    if (j + L <= jEnd) c.intoArray(out, j);
                    else c.intoArray(out, j, IS.indexInRange(0, cnt));
                    j += cnt;
                }
            }
            for (; i < hi; i++) if ((words[i >>> 5] & (1 << (i & 31))) != 0) out[j++] = i;
        });
    }

    /**
     * Vectorised unpack: per mask chunk of L bits, the next values are loaded and expanded into the selected lanes
     * (the rest zero, as out already is); words with no kept element are skipped. Parallel over parts.
     */
    static void scatterMasked(Tensor values, Tensor mask, Tensor out) {
        int[] words = CpuBackend.cpu(mask).ints();
        float[] o = CpuBackend.cpu(out).floats();
        boolean bf16 = values.dtype() == DType.BF16;
        float[] vf = bf16 ? null : CpuBackend.cpu(values).floats();
        short[] vb = bf16 ? CpuBackend.cpu(values).shorts() : null;
        int n = (int) mask.numel(), off = (int) out.offset(), vo = (int) values.offset();
        int vEnd = vo + (int) values.numel();
        int[] bounds = partBounds(n), start = partStarts(words, bounds);
        WorkerPool.shared().parallelFor(bounds.length - 1, p -> {
            int j = vo + start[p], i = bounds[p], hi = bounds[p + 1];
            for (; i + 32 <= hi; i += 32) {
                int word = words[i >>> 5];
                if (word == 0) continue;
                for (int v = 0; v < 32; v += L) {
                    long lm = (word >>> v) & LANES;
                    if (lm == 0) continue;
                    int cnt = Long.bitCount(lm);
                    FloatVector vals;
                    if (!bf16) {
                        vals = j + L <= vEnd ? FloatVector.fromArray(FS, vf, j) : FloatVector.fromArray(FS, vf, j, FS.indexInRange(0, cnt));
                    } else {
                        ShortVector h = j + L <= vEnd ? ShortVector.fromArray(SS, vb, j) : ShortVector.fromArray(SS, vb, j, SS.indexInRange(0, cnt));
                        vals = ((IntVector) h.convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                    }
                    vals.expand(VectorMask.fromLong(FS, lm)).intoArray(o, off + i + v);
                    j += cnt;
                }
            }
            for (; i < hi; i++) {
                if ((words[i >>> 5] & (1 << (i & 31))) == 0) continue;
                o[off + i] = bf16 ? BFloat16.toFloat(vb[j++]) : vf[j++];
            }
        });
    }

    static void scatterIndexed(Tensor values, Tensor index, Tensor out) {
        int[] idx = CpuBackend.cpu(index).ints();
        float[] o = CpuBackend.cpu(out).floats();
        boolean bf16 = values.dtype() == DType.BF16;
        float[] vf = bf16 ? null : CpuBackend.cpu(values).floats();
        short[] vb = bf16 ? CpuBackend.cpu(values).shorts() : null;
        int k = (int) index.numel(), io = (int) index.offset(), vo = (int) values.offset(), off = (int) out.offset(), n = (int) out.numel();
        for (int j = 0; j < k; j++) {
            int i = idx[io + j];
            if (i < 0 || i >= n)
                throw new IndexOutOfBoundsException("DropIT scatter: position " + i + " outside the " + n + "-element output");
            o[off + i] = bf16 ? BFloat16.toFloat(vb[vo + j]) : vf[vo + j];
        }
    }
}
