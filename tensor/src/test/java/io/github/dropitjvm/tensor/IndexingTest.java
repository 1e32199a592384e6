package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gather / scatter / indexSelect with INT32 and INT64 indices (contiguous and strided), cat / stack / split.
 * Everything here moves values without arithmetic and must match exactly, except scatter with accumulate:
 * |Δ| <= 4·K·2⁻²⁴·(|dst| + Σ|src|) at a position receiving K values.
 */
class IndexingTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0006L);

    /** An index tensor (INT32 or INT64) and its reference values; transposed when asked, to be non-contiguous. */
    private Twin index(int[] shape, int bound, boolean int64, boolean transposed, boolean unique, int dim) {
        int[] s = shape.clone();
        if (transposed) {
            int r = s.length;
            s[r - 1] = shape[r - 2];
            s[r - 2] = shape[r - 1];
        }
        RefTensor ref = RefTensor.zeros(s);
        int d = transposed && s.length >= 2 && (dim == s.length - 1 || dim == s.length - 2) ? (2 * s.length - 3) - dim : dim;
        for (int f = 0; f < ref.numel(); f++) {
            int[] idx = ref.unravel(f);
            if (!unique) ref.data[f] = rng.nextInt(bound);
            else if (idx[d] == 0) {
                // a fresh random permutation along dim, cut to the index's length: no position written twice
                int[] perm = new int[bound];
                for (int i = 0; i < bound; i++) perm[i] = i;
                for (int i = bound - 1; i > 0; i--) {
                    int j = rng.nextInt(i + 1), t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                }
                for (int i = 0; i < s[d]; i++) {
                    idx[d] = i;
                    ref.set(perm[i], idx);
                }
            }
        }
        Tensor t;
        if (int64) {
            long[] v = new long[ref.numel()];
            for (int i = 0; i < v.length; i++) v[i] = (long) ref.data[i];
            t = Tensor.fromArray(v, s);
        } else {
            int[] v = new int[ref.numel()];
            for (int i = 0; i < v.length; i++) v[i] = (int) ref.data[i];
            t = Tensor.fromArray(v, s);
        }
        Twin tw = new Twin((int64 ? "int64" : "int32") + " index" + Shape.str(shape), t, ref);
        return transposed ? tw.transpose(-1, -2) : tw;
    }

    @Test
    void gatherAlongEveryDimensionWithBothIndexTypesAndLayouts() {
        int[] xs = {4, 5, 6};
        for (int dim = -1; dim < 3; dim++) {
            int d = Ref.dim(dim, 3);
            int[] is = {3, 4, 5};
            is[d] = 7; // longer than the dimension: gather may repeat positions
            for (Twin x : Twin.layouts(rng, xs))
                for (boolean int64 : new boolean[]{false, true})
                    for (boolean tr : new boolean[]{false, true}) {
                        Twin idx = index(is, xs[d], int64, tr, false, d);
                        Tensor out = Indexing.gather(x.t(), dim, idx.t());
                        Compare.exact("gather dim " + dim + " of " + x.name() + " by " + idx.name(), Ref.gather(x.r(), d, idx.r()), out);
                    }
        }
        Twin x = Twin.random(rng, 1031);
        Twin idx = index(new int[]{2000}, 1031, false, false, false, 0);
        Compare.exact("gather 1-D", Ref.gather(x.r(), 0, idx.r()), Indexing.gather(x.t(), 0, idx.t()));
    }

    @Test
    void scatterAssignsAndAccumulates() {
        int[] ds = {4, 5, 6};
        for (int d = 0; d < 3; d++) {
            int[] is = {3, 4, 5};
            is[d] = Math.min(ds[d], 3);
            for (Twin dst : Twin.layouts(rng, ds))
                for (boolean int64 : new boolean[]{false, true}) {
                    Twin src = Twin.random(rng, 4, 5, 6); // larger than the index: only the index's corner is used
                    Twin uniq = index(is, ds[d], int64, int64, true, d);
                    String what = "scatter dim " + d + " into " + dst.name() + " by " + uniq.name();
                    Compare.exact(what, Ref.scatter(dst.r(), d, uniq.r(), src.r(), false), Indexing.scatter(dst.t(), d, uniq.t(), src.t(), false));
                    int[] rs = is.clone();
                    rs[d] = 9; // many repeats: accumulate must add them all
                    Twin rep = index(rs, ds[d], int64, !int64, false, d);
                    Twin src2 = Twin.layouts(rng, rs).get(1);
                    RefTensor bound = Ref.map(Ref.scatter(Ref.abs(dst.r()), d, rep.r(), Ref.abs(src2.r()), true), v -> 4 * 10 * Compare.U * v);
                    Compare.bounded(what + " accumulate", Ref.scatter(dst.r(), d, rep.r(), src2.r(), true), Indexing.scatter(dst.t(), d, rep.t(), src2.t(), true), bound);
                    Compare.exact("scatter leaves its input alone", dst.r(), dst.t());
                }
        }
    }

    @Test
    void scatterInPlaceWritesTheViewAndBumpsTheVersion() {
        Twin base = Twin.random(rng, 6, 8);
        Twin view = base.slice(1, 1, 8, 2); // (6, 4), non-contiguous
        Twin idx = index(new int[]{2, 4}, 6, false, false, true, 0);
        Twin src = Twin.random(rng, 2, 4);
        RefTensor expectedView = Ref.scatter(view.r(), 0, idx.r(), src.r(), true);
        int v0 = base.t().version();
        Indexing.scatterInPlace(view.t(), 0, idx.t(), src.t(), true);
        assertTrue(base.t().version() > v0);
        Compare.bounded("scatterInPlace view", expectedView, view.t(), Ref.map(expectedView, v -> 0.0 + 8 * Compare.U * Math.abs(v)));
        // Columns outside the view are untouched.
        for (int c = 0; c < 8; c += 2) Compare.exact("column " + c, Ref.select(base.r(), 1, c), base.t().select(1, c));
    }

    @Test
    void indexSelectWithRepeatsAndStridedIndices() {
        int[] xs = {5, 7, 3};
        for (int d = 0; d < 3; d++)
            for (Twin x : Twin.layouts(rng, xs))
                for (boolean int64 : new boolean[]{false, true}) {
                    int len = 2 * xs[d] + 1;
                    int[] pos = new int[2 * len];
                    for (int i = 0; i < pos.length; i++) pos[i] = rng.nextInt(xs[d]);
                    Tensor big = int64 ? Tensor.fromArray(java.util.Arrays.stream(pos).asLongStream().toArray(), pos.length) : Tensor.fromArray(pos, pos.length);
                    Tensor idx = big.slice(0, 1, pos.length, 2); // strided index
                    int[] ref = new int[len];
                    for (int i = 0; i < len; i++) ref[i] = pos[1 + 2 * i];
                    Compare.exact("indexSelect dim " + d + " of " + x.name(), Ref.indexSelect(x.r(), d, ref), Indexing.indexSelect(x.t(), d, idx));
                    Compare.exact("indexSelect dim " + (d - 3) + " empty", Ref.indexSelect(x.r(), d, new int[0]), Indexing.indexSelect(x.t(), d - 3, Tensor.fromArray(new int[0], 0)));
                }
    }

    @Test
    void catStackSplit() {
        for (int dim = -1; dim < 3; dim++) {
            int d = Ref.dim(dim, 3);
            int[] s1 = {3, 4, 5}, s2 = s1.clone(), s3 = s1.clone();
            s2[d] = 1;
            s3[d] = 7;
            Twin a = Twin.layouts(rng, s1).get(2), b = Twin.random(rng, s2), c = Twin.layouts(rng, s3).get(3);
            Twin empty = Twin.random(rng, d == 0 ? new int[]{0, 4, 5} : d == 1 ? new int[]{3, 0, 5} : new int[]{3, 4, 0});
            Tensor cat = Indexing.cat(dim, a.t(), b.t(), empty.t(), c.t());
            Compare.exact("cat dim " + dim, Ref.cat(d, a.r(), b.r(), empty.r(), c.r()), cat);
            Tensor[] parts = Indexing.split(cat, dim, s1[d], 1, 0, 7);
            assertEquals(4, parts.length);
            for (Tensor p : parts) assertSame(cat.storage(), p.storage(), "split returns views");
            Compare.exact("split part 0", a.r(), parts[0]);
            Compare.exact("split part 1", b.r(), parts[1]);
            assertEquals(0, parts[2].numel());
            Compare.exact("split part 3", c.r(), parts[3]);
            Tensor[] chunks = Indexing.chunks(cat, dim, 4);
            int total = 0;
            for (Tensor ch : chunks) {
                assertTrue(ch.size(d) <= 4 && ch.size(d) > 0);
                Compare.exact("chunk at " + total, Ref.narrow(Ref.cat(d, a.r(), b.r(), c.r()), d, total, ch.size(d)), ch);
                total += ch.size(d);
            }
            assertEquals(s1[d] + 1 + s3[d], total);
        }
        for (int dim = -4; dim <= 3; dim++) {
            Twin a = Twin.random(rng, 2, 3, 4), b = Twin.layouts(rng, 2, 3, 4).get(1), c = Twin.layouts(rng, 2, 3, 4).get(4);
            int d = dim < 0 ? dim + 4 : dim;
            Tensor st = Indexing.stack(dim, a.t(), b.t(), c.t());
            assertEquals(3, st.size(d));
            Compare.exact("stack dim " + dim, Ref.stack(d, a.r(), b.r(), c.r()), st);
        }
        Tensor ints = Indexing.cat(0, Tensor.fromArray(new int[]{1, 2}, 2), Tensor.fromArray(new int[]{3}, 1));
        assertEquals(DType.INT32, ints.dtype());
        assertArrayEquals(new int[]{1, 2, 3}, ints.toIntArray());
        Tensor bits = Indexing.cat(0, Tensor.ones(3).gt(0.5), Tensor.zeros(40).gt(0.5), Tensor.ones(2).gt(0.5));
        assertEquals(DType.BIT, bits.dtype());
        float[] bv = bits.toFloatArray();
        assertEquals(45, bv.length);
        for (int i = 0; i < 45; i++) assertEquals(i < 3 || i >= 43 ? 1f : 0f, bv[i], "bit " + i);
    }
}
