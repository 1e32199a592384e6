package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shapes, strides and views: every view is checked value by value against the reference's copying loops. */
class TensorViewsTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0001L);

    static final int[][] SHAPES = {
            {}, {1}, {7}, {33}, {1031}, {3, 7}, {7, 33}, {1, 7, 1}, {2, 3, 5}, {2, 3, 4, 5}, {3, 1, 2, 5, 2}, {2, 1, 3, 2, 1, 3}, {2, 3, 2, 3, 2, 3}
    };

    /** Position of each view element in its base storage, computed by the reference from an iota base. */
    private static float[] iota(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = i;
        return f;
    }

    @Test
    void everyLayoutOfEveryRankReadsBackTheReferenceValues() {
        for (int[] shape : SHAPES)
            for (Twin x : Twin.layouts(rng, shape)) {
                Compare.exact(x.name(), x.r(), x.t());
                Compare.exact(x.name() + ".contiguous()", x.r(), x.t().contiguous());
                assertTrue(x.t().contiguous().isContiguous(), x.name());
            }
    }

    @Test
    void ranksZeroToSixExistAndSevenIsRefused() {
        for (int r = 0; r <= Shape.MAX_RANK; r++) {
            int[] s = new int[r];
            java.util.Arrays.fill(s, 2);
            Tensor t = Tensor.zeros(s);
            assertEquals(r, t.rank());
            assertEquals(1L << r, t.numel());
        }
        int[] seven = {1, 1, 1, 1, 1, 1, 1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(seven));
        assertTrue(e.getMessage().contains("zeros") && e.getMessage().contains("rank 7"), e.getMessage());
        Tensor six = Tensor.zeros(1, 1, 1, 1, 1, 2);
        e = assertThrows(IllegalArgumentException.class, () -> six.unsqueeze(0));
        assertTrue(e.getMessage().contains("unsqueeze") && e.getMessage().contains("[1, 1, 1, 1, 1, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> six.view(1, 1, 1, 1, 1, 1, 2));
        assertTrue(e.getMessage().contains("view") && e.getMessage().contains("rank 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> six.reshape(1, 1, 1, 1, 1, 1, 2));
        assertTrue(e.getMessage().contains("reshape") && e.getMessage().contains("rank 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> six.expand(1, 1, 1, 1, 1, 1, 2));
        assertTrue(e.getMessage().contains("rank 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new float[1], seven));
        assertTrue(e.getMessage().contains("fromArray") && e.getMessage().contains("rank 7"), e.getMessage());
    }

    @Test
    void contiguousStridesAreRowMajorAndSizeOneDimensionsDoNotBreakContiguity() {
        Tensor t = Tensor.zeros(2, 3, 4);
        assertArrayEquals(new long[]{12, 4, 1}, t.strides());
        assertTrue(t.isContiguous());
        assertFalse(t.transpose(0, 2).isContiguous());
        assertTrue(t.narrow(0, 1, 1).isContiguous(), "a one-row narrow stays contiguous");
        assertFalse(t.narrow(2, 1, 2).isContiguous());
        assertTrue(Tensor.zeros(3, 1).transpose(0, 1).isContiguous(), "transposing around a size-1 dimension");
        assertFalse(Tensor.zeros(1, 3).expand(4, 3).isContiguous());
        assertSame(t, t.contiguous(), "a contiguous tensor is returned as is");
        Tensor tt = t.transpose(0, 1);
        Tensor c = tt.contiguous();
        assertNotSame(tt.storage(), c.storage());
        assertArrayEquals(new long[]{8, 4, 1}, c.strides());
    }

    @Test
    void viewAndReshapeWithInferredDimension() {
        for (int[] shape : new int[][]{{6, 35}, {2, 3, 5, 7}, {210}}) {
            Twin x = Twin.random(rng, shape);
            for (int[] target : new int[][]{{-1}, {210}, {2, -1}, {-1, 7}, {3, 7, -1}, {1, 210, 1}, {2, 3, 5, 7}, {5, 1, -1, 2}}) {
                Tensor v = x.t().view(target);
                assertSame(x.t().storage(), v.storage(), "view shares storage");
                RefTensor expected = Ref.reshape(x.r(), v.shape());
                assertEquals(210, RefTensor.numel(v.shape()));
                Compare.exact("view" + Shape.str(target), expected, v);
                Compare.exact("reshape" + Shape.str(target), expected, x.t().reshape(target));
            }
        }
        Twin t = Twin.random(rng, 3, 5).transpose(0, 1);
        Compare.exact("flatten of transposed", Ref.reshape(t.r(), 15), t.t().flatten());
        assertArrayEquals(new int[]{1}, Tensor.scalar(2).flatten().shape(), "flatten of rank 0 is [1]");
        assertArrayEquals(new int[]{}, Tensor.zeros(1, 1).view().shape(), "rank 0 from one element");
        assertArrayEquals(new int[]{0, 5}, Tensor.zeros(5, 0).view(0, 5).shape());
        assertArrayEquals(new int[]{3, 0}, Tensor.zeros(0, 3).reshape(3, 0).shape());
    }

    @Test
    void viewOfNonContiguousTensorsWithoutCopyWhereTheLayoutAllows() {
        // (4, 6) transposed to (6, 4) with strides (1, 6): the last dimension (4) can split, the first (6) can split.
        Twin x = Twin.random(rng, 4, 6).transpose(0, 1);
        for (int[] target : new int[][]{{6, 2, 2}, {2, 3, 4}, {2, 3, 2, 2}, {6, 4, 1}, {1, 6, 1, 4}}) {
            Tensor v = x.t().view(target);
            assertSame(x.t().storage(), v.storage());
            Compare.exact("transposed.view" + Shape.str(target), Ref.reshape(x.r(), target), v);
        }
        // Merging dimensions of different chunks needs a copy: view refuses, reshape copies.
        for (int[] target : new int[][]{{24}, {3, 8}, {12, 2}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.t().view(target));
            assertTrue(e.getMessage().contains("view") && e.getMessage().contains("[6, 4]") && e.getMessage().contains(Shape.str(target)), e.getMessage());
            Tensor r = x.t().reshape(target);
            assertNotSame(x.t().storage(), r.storage());
            Compare.exact("transposed.reshape" + Shape.str(target), Ref.reshape(x.r(), target), r);
        }
        // A step-2 slice of (3, 9): the sliced dimension can split (its stride scales), not merge with rows of 9.
        Twin s = Twin.random(rng, 3, 9).slice(1, 1, 9, 2);
        Tensor v = s.t().view(3, 2, 2);
        assertSame(s.t().storage(), v.storage());
        assertArrayEquals(new long[]{9, 4, 2}, v.strides());
        Compare.exact("step2.view", Ref.reshape(s.r(), 3, 2, 2), v);
        assertThrows(IllegalArgumentException.class, () -> s.t().view(12));
        Compare.exact("step2.reshape", Ref.reshape(s.r(), 12), s.t().reshape(12));
        // ... but a step-2 slice of (3, 8) is every other element of the storage: one stride-2 run, viewable flat.
        Twin even = Twin.random(rng, 3, 8).slice(1, 0, 8, 2);
        Tensor flat = even.t().view(12);
        assertSame(even.t().storage(), flat.storage());
        assertArrayEquals(new long[]{2}, flat.strides());
        Compare.exact("even.view(12)", Ref.reshape(even.r(), 12), flat);
        // Expanded (stride 0): size-1 dimensions can be inserted, stride-0 dimensions not merged.
        Twin e = Twin.random(rng, 1, 5).expand(3, 5);
        Tensor ev = e.t().view(3, 1, 5);
        assertSame(e.t().storage(), ev.storage());
        Compare.exact("expanded.view", Ref.reshape(e.r(), 3, 1, 5), ev);
        assertThrows(IllegalArgumentException.class, () -> e.t().view(15));
        Compare.exact("expanded.reshape", Ref.reshape(e.r(), 15), e.t().reshape(15));
        // A size-1 dimension's stride is meaningless and must not split chunks: (2, 2, 1, 3) with strides
        // (12, 3, 5, 1) is non-contiguous only in dimension 0, so (2, 6) is a view.
        Tensor base = Tensor.fromArray(Twin.draw(rng, Twin.Values.UNIFORM, 24), 24);
        Tensor odd = new Tensor(base.storage(), new int[]{2, 2, 1, 3}, new long[]{12, 3, 5, 1}, 0);
        assertFalse(odd.isContiguous());
        Tensor oddView = odd.view(2, 6);
        assertArrayEquals(new long[]{12, 1}, oddView.strides());
        RefTensor oddRef = Ref.narrow(Ref.reshape(RefTensor.of(base), 2, 12), 1, 0, 6);
        Compare.exact("odd size-1 stride view", oddRef, oddView);
        Compare.exact("odd size-1 stride values", Ref.reshape(oddRef, 2, 2, 1, 3), odd);
        // A narrowed (offset) contiguous block views freely.
        Twin n = Twin.random(rng, 5, 6).narrow(0, 2, 3);
        Tensor nv = n.t().view(2, 9);
        assertEquals(12, nv.offset());
        Compare.exact("narrowed.view", Ref.reshape(n.r(), 2, 9), nv);
    }

    @Test
    void viewAndReshapeRefuseBadShapes() {
        Tensor t = Tensor.zeros(4, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.view(5, 5));
        assertTrue(e.getMessage().contains("view") && e.getMessage().contains("[5, 5]") && e.getMessage().contains("[4, 6]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, -1));
        assertTrue(e.getMessage().contains("reshape") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.view(-1, 5));
        assertTrue(e.getMessage().contains("view") && e.getMessage().contains("[-1, 5]") && e.getMessage().contains("[4, 6]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.reshape(-2, 12));
        assertTrue(e.getMessage().contains("reshape") && e.getMessage().contains("negative"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(0, 3).view(-1, 0));
        assertTrue(e.getMessage().contains("view"), e.getMessage());
    }

    @Test
    void permuteTransposeAndTheirErrors() {
        for (Twin x : Twin.layouts(rng, 2, 3, 4, 5)) {
            Compare.exact(x.name() + ".permute", Ref.permute(x.r(), 3, 1, 0, 2), x.t().permute(3, 1, 0, 2));
            Compare.exact(x.name() + ".permute(neg)", Ref.permute(x.r(), 3, 1, 0, 2), x.t().permute(-1, 1, -4, 2));
            Compare.exact(x.name() + ".transpose", Ref.transpose(x.r(), 1, 3), x.t().transpose(1, -1));
            assertSame(x.t().storage(), x.t().permute(3, 1, 0, 2).storage());
        }
        Tensor t = Tensor.zeros(2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.permute(0, 1));
        assertTrue(e.getMessage().contains("permute") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.permute(0, 1, 1));
        assertTrue(e.getMessage().contains("permute") && e.getMessage().contains("repeated"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.transpose(0, 3));
        assertTrue(e.getMessage().contains("transpose") && e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void sliceWithStepNegativeBoundsAndClamping() {
        Twin x = Twin.random(rng, 9, 33);
        int[][] cases = {{1, 0, 33, 1}, {1, 1, 33, 2}, {1, 2, 30, 7}, {1, -10, -1, 3}, {1, -100, 100, 5}, {1, 5, 3, 1}, {0, 8, 9, 4}, {0, 0, 9, 9}, {-2, 3, 8, 2}, {1, 33, 40, 1}};
        for (int[] c : cases) {
            Twin s = x.slice(c[0], c[1], c[2], c[3]);
            Compare.exact(s.name(), s.r(), s.t());
            assertSame(x.t().storage(), s.t().storage());
        }
        // Slices of slices, then an op on the result.
        Twin ss = x.slice(1, 1, 33, 2).slice(1, 2, 16, 3).slice(0, 1, 9, 2);
        Compare.exact(ss.name(), ss.r(), ss.t());
        Compare.exact(ss.name() + ".neg", Ref.map(ss.r(), v -> -v), ss.t().neg());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.t().slice(1, 0, 3, 0));
        assertTrue(e.getMessage().contains("slice") && e.getMessage().contains("step"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.t().slice(2, 0, 3, 1));
        assertTrue(e.getMessage().contains("slice"), e.getMessage());
    }

    @Test
    void narrowSelectExpandSqueezeUnsqueeze() {
        Twin x = Twin.random(rng, 4, 1, 7, 3);
        Twin n = x.narrow(2, 2, 4);
        Compare.exact(n.name(), n.r(), n.t());
        assertEquals(2 * 3, n.t().offset());
        Compare.exact("narrow(-1)", Ref.narrow(x.r(), 3, 1, 2), x.t().narrow(-1, 1, 2));
        Compare.exact("narrow empty", Ref.narrow(x.r(), 0, 4, 0), x.t().narrow(0, 4, 0));
        Twin s = x.select(2, 5);
        Compare.exact(s.name(), s.r(), s.t());
        Compare.exact("select(-1)", Ref.select(x.r(), 3, 2), x.t().select(-1, 2));
        Twin s0 = x.select(0, 3).select(0, 0).select(0, 6).select(0, 1);
        assertEquals(0, s0.t().rank());
        Compare.exact("select to rank 0", s0.r(), s0.t());
        assertEquals((float) x.r().get(3, 0, 6, 1), x.t().get(3, 0, 6, 1));

        Tensor sq = x.t().squeeze();
        assertArrayEquals(new int[]{4, 7, 3}, sq.shape());
        Compare.exact("squeeze", Ref.reshape(x.r(), 4, 7, 3), sq);
        Compare.exact("squeeze(1)", Ref.reshape(x.r(), 4, 7, 3), x.t().squeeze(1));
        Compare.exact("squeeze(-3)", Ref.reshape(x.r(), 4, 7, 3), x.t().squeeze(-3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.t().squeeze(0));
        assertTrue(e.getMessage().contains("squeeze") && e.getMessage().contains("[4, 1, 7, 3]"), e.getMessage());
        for (int d = -5; d <= 4; d++) {
            Tensor u = x.t().unsqueeze(d);
            int at = d < 0 ? d + 5 : d;
            assertEquals(1, u.size(at));
            Compare.exact("unsqueeze(" + d + ")", Ref.reshape(x.r(), u.shape()), u);
            Compare.exact("unsqueeze(" + d + ") of transposed", Ref.reshape(Ref.transpose(x.r(), 0, 2), x.t().transpose(0, 2).unsqueeze(d).shape()), x.t().transpose(0, 2).unsqueeze(d));
        }
        assertThrows(IllegalArgumentException.class, () -> x.t().unsqueeze(5));

        Twin ex = Twin.random(rng, 3, 1).expand(2, 5, 3, 4);
        Compare.exact(ex.name(), ex.r(), ex.t());
        assertArrayEquals(new long[]{0, 0, 1, 0}, ex.t().strides());
        Compare.exact("expand same size", x.r(), x.t().expand(4, 1, 7, 3));
        Compare.exact("expand to 0", Ref.expand(x.r(), 4, 0, 7, 3), x.t().expand(4, 0, 7, 3));
        e = assertThrows(IllegalArgumentException.class, () -> x.t().expand(4, 2, 6, 3));
        assertTrue(e.getMessage().contains("expand") && e.getMessage().contains("[4, 1, 7, 3]") && e.getMessage().contains("[4, 2, 6, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.t().expand(7, 3));
        assertTrue(e.getMessage().contains("expand"), e.getMessage());
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class, () -> x.t().narrow(2, 5, 3));
        assertTrue(oob.getMessage().contains("narrow") && oob.getMessage().contains("[4, 1, 7, 3]"), oob.getMessage());
        oob = assertThrows(IndexOutOfBoundsException.class, () -> x.t().select(0, 4));
        assertTrue(oob.getMessage().contains("select"), oob.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> x.t().select(0, -1));
    }

    @Test
    void inPlaceWritesThroughViewsLandInTheRightPlacesAndBumpTheVersion() {
        int[] base = {5, 8};
        Twin x = Twin.random(rng, base);
        // The reference of each view's positions: views of an iota tensor, taken by the reference.
        RefTensor pos = RefTensor.of(iota(40), base);
        RefTensor expected = x.r().copy();

        Tensor view = x.t().slice(1, 1, 8, 3).transpose(0, 1); // (3, 5), strides (3, 8), offset 1
        RefTensor vpos = Ref.transpose(Ref.slice(pos, 1, 1, 8, 3), 0, 1);
        int v0 = x.t().version();
        view.fillInPlace(2.5);
        assertTrue(x.t().version() > v0, "fillInPlace bumps the version");
        assertEquals(x.t().version(), view.version(), "views share the storage's version");
        for (double p : vpos.data) expected.data[(int) p] = 2.5;
        Compare.exact("after fillInPlace", expected, x.t());

        int v1 = x.t().version();
        Twin add = Twin.random(rng, 1, 5);
        view.addInPlace(add.t());
        assertTrue(x.t().version() > v1, "addInPlace bumps the version");
        RefTensor addE = Ref.expand(add.r(), 3, 5);
        for (int i = 0; i < vpos.numel(); i++) expected.data[(int) vpos.data[i]] = (float) (expected.data[(int) vpos.data[i]] + addE.data[i]);
        Compare.exact("after addInPlace (broadcast)", expected, x.t());

        int v2 = x.t().version();
        view.mulInPlace(-3);
        assertTrue(x.t().version() > v2, "mulInPlace bumps the version");
        for (double p : vpos.data) expected.data[(int) p] = (float) (expected.data[(int) p] * -3);
        Compare.exact("after mulInPlace", expected, x.t());

        int v3 = x.t().version();
        Twin src = Twin.random(rng, 5, 3).transpose(0, 1); // non-contiguous source
        view.copyFrom(src.t());
        assertTrue(x.t().version() > v3, "copyFrom bumps the version");
        for (int i = 0; i < vpos.numel(); i++) expected.data[(int) vpos.data[i]] = src.r().data[i];
        Compare.exact("after copyFrom", expected, x.t());

        // copyFrom broadcasts a row and converts dtypes.
        Tensor ints = Tensor.fromArray(new int[]{1, -2, 3, -4, 5}, 5);
        int v4 = x.t().version();
        view.copyFrom(ints);
        assertTrue(x.t().version() > v4);
        for (int i = 0; i < vpos.numel(); i++) expected.data[(int) vpos.data[i]] = new int[]{1, -2, 3, -4, 5}[i % 5];
        Compare.exact("after copyFrom(int32, broadcast)", expected, x.t());

        // Out-of-place ops leave the version alone.
        int v5 = x.t().version();
        x.t().add(x.t()).sum();
        x.t().transpose(0, 1).contiguous();
        assertEquals(v5, x.t().version());
    }

    @Test
    void copyFromRefusesShapesThatDoNotBroadcastToTheTarget() {
        Tensor dst = Tensor.zeros(3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dst.copyFrom(Tensor.zeros(3, 5)));
        assertTrue(e.getMessage().contains("copyFrom") && e.getMessage().contains("[3, 5]") && e.getMessage().contains("[3, 4]"), e.getMessage());
        // A source larger than the target must not be accepted just because the two broadcast together.
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(1, 4).copyFrom(Tensor.zeros(3, 4)));
        assertTrue(e.getMessage().contains("copyFrom") && e.getMessage().contains("[3, 4]") && e.getMessage().contains("[1, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(4).addInPlace(Tensor.zeros(2, 4)));
        assertTrue(e.getMessage().contains("addInPlace") && e.getMessage().contains("[2, 4]") && e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void dtypeConversionsRoundTrip() {
        float[] f = {0f, -0f, 1.5f, -1.5f, 2.7f, -2.7f, 1e9f, -1e9f, 123456.789f, Float.NaN, 3.0039062f /* a bf16 tie */};
        Tensor t = Tensor.fromArray(f, f.length);
        // float → int32 truncates toward zero; NaN becomes 0 and out-of-range saturates, like Java's casts.
        int[] ints = t.toIntArray();
        for (int i = 0; i < f.length; i++) assertEquals((int) f[i], ints[i], "int32 of " + f[i]);
        long[] longs = t.toLongArray();
        for (int i = 0; i < f.length; i++) assertEquals((long) f[i], longs[i], "int64 of " + f[i]);
        Tensor bf = t.to(DType.BF16);
        assertEquals(DType.BF16, bf.dtype());
        float[] back = bf.toFloatArray();
        for (int i = 0; i < f.length; i++) {
            float expected = io.github.dropitjvm.tensor.ref.RefBits.bf16ToFloat(io.github.dropitjvm.tensor.ref.RefBits.bf16Bits(f[i]));
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(back[i]), "bf16 of " + f[i]);
        }
        Tensor i32 = Tensor.fromArray(new int[]{7, -8, 16777217}, 3);
        assertArrayEquals(new float[]{7, -8, 16777216f}, i32.toFloatArray());
        Tensor i64 = Tensor.fromArray(new long[]{1L << 40, -3}, 2);
        assertArrayEquals(new long[]{1L << 40, -3}, i64.toLongArray());
        assertArrayEquals(new float[]{0x1p40f, -3}, i64.toFloatArray());
        assertSame(t, t.to(DType.FLOAT32));
        // Strided conversion.
        Twin x = Twin.random(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 100), 6, 7).transpose(0, 1).slice(0, 1, 7, 2);
        int[] xi = x.t().toIntArray();
        for (int i = 0; i < xi.length; i++) assertEquals((int) (float) x.r().data[i], xi[i]);
    }

    @Test
    void bitTensorsFromComparisonsReadBackAsZeroOne() {
        Twin a = Twin.random(rng, 7, 33), b = Twin.random(rng, 33);
        Tensor gt = a.t().gt(b.t());
        assertEquals(DType.BIT, gt.dtype());
        Compare.exact("gt as float", Ref.zip(a.r(), b.r(), (x, y) -> x > y ? 1 : 0), gt);
        Compare.exact("gt transposed", Ref.transpose(Ref.zip(a.r(), b.r(), (x, y) -> x > y ? 1 : 0), 0, 1), gt.transpose(0, 1));
        Compare.exact("gt sliced", Ref.slice(Ref.zip(a.r(), b.r(), (x, y) -> x > y ? 1 : 0), 1, 3, 33, 5), gt.slice(1, 3, 33, 5));
        assertEquals(DType.BIT.bytesFor(7 * 33), gt.storage().bytes());
    }
}
