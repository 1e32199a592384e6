package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batched matmul with NumPy broadcasting and 1-D promotion, on transposed, sliced, narrowed and expanded operands.
 * Bound (DESIGN.md): |Δ| <= 4·K·2⁻²⁴·(|A|·|B|)ᵢⱼ, with |A|·|B| computed by the reference. EJML's double product
 * is an independent check of the reference itself.
 */
class MatmulTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0004L);

    /** Checks a @ b against the reference within the dot-product bound. */
    static void check(String what, Twin a, Twin b) {
        Tensor out = a.t().matmul(b.t());
        RefTensor expected = Ref.matmul(a.r(), b.r());
        RefTensor absProduct = Ref.matmul(Ref.abs(a.r()), Ref.abs(b.r()));
        int k = a.r().shape[a.r().rank() - 1];
        Compare.bounded(what + ": " + a.name() + " @ " + b.name(), expected, out, Ref.map(absProduct, v -> 4.0 * k * Compare.U * v));
        assertTrue(out.isContiguous());
    }

    @Test
    void twoDimensionalOddSizesOnEveryLayout() {
        int[][] mkn = {{1, 1, 1}, {7, 33, 5}, {33, 1, 7}, {1, 1031, 1}, {3, 0, 4}, {0, 5, 3}, {5, 3, 0}, {65, 130, 67}};
        for (int[] s : mkn) {
            List<Twin> as = Twin.layouts(rng, s[0], s[1]), bs = Twin.layouts(rng, s[1], s[2]);
            for (int i = 0; i < Math.max(as.size(), bs.size()); i++)
                check("2-D " + java.util.Arrays.toString(s), as.get(i % as.size()), bs.get((i * 3 + 1) % bs.size()));
        }
        // K = 0: the result is exactly zero.
        assertArrayEquals(new float[12], Tensor.zeros(3, 0).matmul(Tensor.zeros(0, 4)).toFloatArray());
    }

    @Test
    void batchedWithBroadcastBatchDimensions() {
        int[][][] pairs = {
                {{2, 1, 3, 4}, {5, 4, 6}}, {{4, 3, 5}, {5, 2}}, {{3, 5}, {4, 5, 2}}, {{1, 7, 9}, {3, 9, 1}},
                {{2, 1, 2, 1, 3, 4}, {1, 2, 1, 2, 4, 3}}, {{0, 3, 4}, {4, 2}}, {{3, 33, 17}, {3, 17, 9}}};
        for (int[][] p : pairs)
            for (Twin a : Twin.layouts(rng, p[0]))
                check("batched", a, Twin.random(rng, p[1]));
        for (Twin b : Twin.layouts(rng, 3, 9, 7)) check("batched b layouts", Twin.random(rng, 2, 1, 5, 9), b);
        // A batch operand expanded with stride 0 (the same matrix for every batch).
        Twin w = Twin.random(rng, 1, 6, 4).expand(5, 6, 4);
        check("expanded batch", Twin.random(rng, 5, 3, 6), w);
    }

    @Test
    void oneDimensionalOperandsArePromotedAndTheDimensionRemoved() {
        Object[][] cases = {
                {new int[]{5}, new int[]{5}, new int[]{}},
                {new int[]{5}, new int[]{5, 3}, new int[]{3}},
                {new int[]{4, 5}, new int[]{5}, new int[]{4}},
                {new int[]{5}, new int[]{2, 5, 3}, new int[]{2, 3}},
                {new int[]{2, 4, 5}, new int[]{5}, new int[]{2, 4}},
                {new int[]{1031}, new int[]{1031}, new int[]{}},
        };
        for (Object[] c : cases) {
            Twin a = Twin.random(rng, (int[]) c[0]), b = Twin.random(rng, (int[]) c[1]);
            assertArrayEquals((int[]) c[2], a.t().matmul(b.t()).shape());
            check("1-D", a, b);
        }
        Twin v = Twin.random(rng, 15).slice(0, 0, 15, 3);
        check("1-D strided", v, Twin.random(rng, 5, 2).transpose(0, 1).transpose(0, 1));
        check("1-D strided right", Twin.random(rng, 4, 5), v);
    }

    @Test
    void wideDynamicRangeStaysWithinTheBound() {
        Twin a = Twin.random(rng, Twin.Values.WIDE, 17, 257), b = Twin.random(rng, Twin.Values.WIDE, 257, 19);
        check("wide range", a, b);
        check("wide range transposed", Twin.random(rng, Twin.Values.WIDE, 257, 17).transpose(0, 1), Twin.random(rng, Twin.Values.WIDE, 19, 257).transpose(0, 1));
    }

    @Test
    void referenceAgreesWithEjml() {
        for (int[] s : new int[][]{{7, 33, 5}, {65, 130, 67}, {1, 1031, 3}}) {
            Twin a = Twin.random(rng, s[0], s[1]), b = Twin.random(rng, s[1], s[2]);
            DMatrixRMaj ea = new DMatrixRMaj(s[0], s[1], true, a.r().data), eb = new DMatrixRMaj(s[1], s[2], true, b.r().data);
            DMatrixRMaj ec = new DMatrixRMaj(s[0], s[2]);
            CommonOps_DDRM.mult(ea, eb, ec);
            RefTensor ref = Ref.matmul(a.r(), b.r());
            RefTensor absProduct = Ref.matmul(Ref.abs(a.r()), Ref.abs(b.r()));
            float[] main = a.t().matmul(b.t()).toFloatArray();
            for (int i = 0; i < ref.numel(); i++) {
                assertEquals(ec.data[i], ref.data[i], 1e-12 * (1 + absProduct.data[i]), "reference vs EJML at " + i);
                assertEquals(ec.data[i], main[i], 4.0 * s[1] * Compare.U * absProduct.data[i], "main vs EJML at " + i);
            }
        }
    }
}
