package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradCheck;
import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

class NormsTest {
    private static final double EPS = 1e-5;

    // ------------------------------------------------------------------ softmax / log-softmax

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, -1})
    void softmaxAlongEachDimension(int dim) {
        Tensor x = randn(1, 3, 5, 4).mul(2);
        assertForward("softmax dim " + dim, v -> Norms.softmax(v[0], dim), r -> Ref64.softmax(r[0], dim), x);
        assertGradcheck("softmax dim " + dim, v -> Norms.softmax(v[0], dim), r -> Ref64.softmax(r[0], dim), x);
    }

    @Test
    void softmaxOnANonContiguousView() {
        Tensor x = randnT(2, 3, 7);
        assertForward("softmax view", v -> Norms.softmax(v[0], -1), r -> Ref64.softmax(r[0], -1), x);
        assertGradcheck("softmax view", v -> Norms.softmax(v[0], -1), r -> Ref64.softmax(r[0], -1), x);
    }

    @Test
    void softmaxIsShiftInvariantForLargeLogits() {
        Tensor x = randn(3, 2, 5).add(80); // exp(80) would overflow fp32 without the max shift
        assertForward("softmax +80", v -> Norms.softmax(v[0], 1), r -> Ref64.softmax(Ref64.addScalar(r[0], -80), 1), x);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void logSoftmaxAlongEachDimension(int dim) {
        Tensor x = randn(4, 3, 5, 4).mul(2);
        assertForward("logSoftmax dim " + dim, v -> Norms.logSoftmax(v[0], dim), r -> Ref64.logSoftmax(r[0], dim), x);
        assertGradcheck("logSoftmax dim " + dim, v -> Norms.logSoftmax(v[0], dim), r -> Ref64.logSoftmax(r[0], dim), x);
    }

    @Test
    void logSoftmaxOnANonContiguousView() {
        Tensor x = randnT(5, 3, 7);
        assertGradcheck("logSoftmax view", v -> Norms.logSoftmax(v[0], 1), r -> Ref64.logSoftmax(r[0], 1), x);
    }

    // ------------------------------------------------------------------ layer norm

    @Test
    void layerNormAffineOverTheLastDimension() {
        Tensor x = randn(10, 3, 4, 7).mul(1.5).add(0.7), w = randn(11, 7), b = randn(12, 7);
        assertForward("layerNorm", v -> Norms.layerNorm(v[0], new int[]{7}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 1, r[1], r[2], EPS), x, w, b);
        assertGradcheck("layerNorm affine", v -> Norms.layerNorm(v[0], new int[]{7}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 1, r[1], r[2], EPS), x, w, b);
    }

    @Test
    void layerNormWithoutAffine() {
        Tensor x = randn(13, 5, 7);
        assertForward("layerNorm plain", v -> Norms.layerNorm(v[0], new int[]{7}, null, null, EPS), r -> Ref64.layerNorm(r[0], 1, null, null, EPS), x);
        assertGradcheck("layerNorm plain", v -> Norms.layerNorm(v[0], new int[]{7}, null, null, EPS), r -> Ref64.layerNorm(r[0], 1, null, null, EPS), x);
    }

    @Test
    void layerNormOverTwoTrailingDimensions() {
        Tensor x = randn(14, 2, 3, 5), w = randn(15, 3, 5), b = randn(16, 3, 5);
        assertForward("layerNorm [3,5]", v -> Norms.layerNorm(v[0], new int[]{3, 5}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 2, r[1], r[2], EPS), x, w, b);
        assertGradcheck("layerNorm [3,5]", v -> Norms.layerNorm(v[0], new int[]{3, 5}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 2, r[1], r[2], EPS), x, w, b);
    }

    @Test
    void layerNormOnANonContiguousView() {
        Tensor x = randnT(17, 2, 7, 5), w = randn(18, 5), b = randn(19, 5);
        assertForward("layerNorm view", v -> Norms.layerNorm(v[0], new int[]{5}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 1, r[1], r[2], EPS), x, w, b);
        assertGradcheck("layerNorm view", v -> Norms.layerNorm(v[0], new int[]{5}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 1, r[1], r[2], EPS), x, w, b);
    }

    @Test
    void layerNormWithOnlyBiasOrOnlyWeightDifferentiated() {
        Tensor x = randn(20, 3, 6), w = randn(21, 6), b = randn(22, 6);
        var tol = GradCheck.Tolerance.DEFAULT;
        assertGradcheck("layerNorm d bias", v -> Norms.layerNorm(v[0], new int[]{6}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 1, r[1], r[2], EPS),
                new boolean[]{false, false, true}, tol, x, w, b);
        assertGradcheck("layerNorm d weight", v -> Norms.layerNorm(v[0], new int[]{6}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 1, r[1], r[2], EPS),
                new boolean[]{false, true, false}, tol, x, w, b);
        assertGradcheck("layerNorm d x, constant affine", v -> Norms.layerNorm(v[0], new int[]{6}, v[1], v[2], EPS), r -> Ref64.layerNorm(r[0], 1, r[1], r[2], EPS),
                new boolean[]{true, false, false}, tol, x, w, b);
    }

    // ------------------------------------------------------------------ batch norm

    @Test
    void batchNormTrainingUsesBatchStatisticsWithBiasedVariance() {
        Tensor x = randn(30, 4, 3, 3, 2).mul(1.3).add(0.4), w = randn(31, 3), b = randn(32, 3);
        Tensor rm = Tensor.zeros(3), rv = Tensor.ones(3);
        assertForward("batchNorm train", v -> Norms.batchNorm(v[0], v[1], v[2], rm, rv, true, EPS), r -> Ref64.batchNormTrain(r[0], r[1], r[2], EPS), x, w, b);
        assertGradcheck("batchNorm train", v -> Norms.batchNorm(v[0], v[1], v[2], rm, rv, true, EPS), r -> Ref64.batchNormTrain(r[0], r[1], r[2], EPS), x, w, b);
        assertArrayEquals(new float[]{0, 0, 0}, rm.toFloatArray(), "the op must not update running statistics");
        assertArrayEquals(new float[]{1, 1, 1}, rv.toFloatArray(), "the op must not update running statistics");
    }

    @Test
    void batchNormWithAMomentumUpdatesTheRunningStatisticsAsPyTorch() {
        // running = 0.9·running + 0.1·batch, the batch variance unbiased; checked in float64 from x itself. Channel 2
        // is constant (variance 0: the recovered 1/rstd² − eps must not go negative), channel 1 has a large mean.
        Tensor x = randn(47, 4, 3, 3, 2).mul(1.3);
        float[] xv = x.toFloatArray();
        for (int i = 0; i < xv.length; i++) {
            int c = (i / 6) % 3;
            if (c == 1) xv[i] += 50;
            if (c == 2) xv[i] = 0.25f;
        }
        x = Tensor.fromArray(xv, 4, 3, 3, 2);
        Tensor rm = Tensor.fromArray(new float[]{0.5f, -1, 2}, 3), rv = Tensor.fromArray(new float[]{1, 3, 0.5f}, 3);
        float[] rm0 = rm.toFloatArray(), rv0 = rv.toFloatArray();
        Norms.batchNorm(Variable.constant(x), null, null, rm, rv, true, 0.1, EPS);
        for (int c = 0; c < 3; c++) {
            double sum = 0, sq = 0, n = 24;
            for (int i = 0; i < xv.length; i++) if ((i / 6) % 3 == c) sum += xv[i];
            double mean = sum / n;
            for (int i = 0; i < xv.length; i++) if ((i / 6) % 3 == c) sq += (xv[i] - mean) * (xv[i] - mean);
            double var = sq / (n - 1);
            assertEquals(0.9 * rm0[c] + 0.1 * mean, rm.toFloatArray()[c], 1e-6 * (Math.abs(rm0[c]) + Math.abs(mean)) + 1e-7, "running mean " + c);
            assertEquals(0.9 * rv0[c] + 0.1 * var, rv.toFloatArray()[c], 1e-6 * (rv0[c] + var + EPS), "running var " + c);
        }
        Norms.batchNorm(Variable.constant(x), null, null, rm, rv, false, 0.1, EPS); // inference leaves them alone
        Norms.batchNorm(Variable.constant(x), null, null, rm, rv, true, EPS); // and so does the overload without momentum
        assertEquals(0.9 * rv0[2], rv.toFloatArray()[2], 1e-6, "running var of the constant channel");
    }

    @Test
    void batchNormTrainingWithTwoValuesPerChannelDistinguishesBiasedVariance() {
        // 2 values per channel: unbiased variance would be twice the biased one, so the forward check tells them apart
        Tensor x = randn(33, 2, 3), w = randn(34, 3), b = randn(35, 3);
        assertForward("batchNorm (2,3)", v -> Norms.batchNorm(v[0], v[1], v[2], null, null, true, EPS), r -> Ref64.batchNormTrain(r[0], r[1], r[2], EPS), x, w, b);
    }

    @Test
    void batchNormTrainingRankTwoAndWithoutAffine() {
        Tensor x = randn(36, 5, 3);
        assertGradcheck("batchNorm (5,3) plain", v -> Norms.batchNorm(v[0], null, null, null, null, true, EPS), r -> Ref64.batchNormTrain(r[0], null, null, EPS), x);
        Tensor x4 = randn(37, 3, 2, 3, 3);
        assertForward("batchNorm 4-d plain", v -> Norms.batchNorm(v[0], null, null, null, null, true, EPS), r -> Ref64.batchNormTrain(r[0], null, null, EPS), x4);
        assertGradcheck("batchNorm 4-d plain", v -> Norms.batchNorm(v[0], null, null, null, null, true, EPS), r -> Ref64.batchNormTrain(r[0], null, null, EPS), x4);
    }

    @Test
    void batchNormTrainingOnANonContiguousView() {
        Tensor x = randn(38, 3, 3, 4, 2).permute(0, 3, 2, 1); // logical (3, 2, 4, 3)
        assertFalse(x.isContiguous());
        Tensor w = randn(39, 2), b = randn(40, 2);
        assertForward("batchNorm view", v -> Norms.batchNorm(v[0], v[1], v[2], null, null, true, EPS), r -> Ref64.batchNormTrain(r[0], r[1], r[2], EPS), x, w, b);
        assertGradcheck("batchNorm view", v -> Norms.batchNorm(v[0], v[1], v[2], null, null, true, EPS), r -> Ref64.batchNormTrain(r[0], r[1], r[2], EPS), x, w, b);
    }

    @Test
    void batchNormInferenceUsesRunningStatistics() {
        Tensor x = randn(41, 3, 3, 2, 3), w = randn(42, 3), b = randn(43, 3);
        Tensor rm = randn(44, 3), rv = uniform(45, 0.5, 2.0, 3);
        Ref64.T rrm = ref(rm), rrv = ref(rv);
        assertForward("batchNorm eval", v -> Norms.batchNorm(v[0], v[1], v[2], rm, rv, false, EPS), r -> Ref64.batchNormEval(r[0], rrm, rrv, r[1], r[2], EPS), x, w, b);
        assertGradcheck("batchNorm eval", v -> Norms.batchNorm(v[0], v[1], v[2], rm, rv, false, EPS), r -> Ref64.batchNormEval(r[0], rrm, rrv, r[1], r[2], EPS), x, w, b);
        Tensor xv = randnT(46, 3, 3, 3, 2);
        assertGradcheck("batchNorm eval view", v -> Norms.batchNorm(v[0], v[1], v[2], rm, rv, false, EPS), r -> Ref64.batchNormEval(r[0], rrm, rrv, r[1], r[2], EPS), xv, w, b);
    }

    @Test
    void batchNormInferenceWithoutRunningStatisticsIsRefused() {
        Variable x = Variable.param(randn(47, 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Norms.batchNorm(x, null, null, null, null, false, EPS));
        assertTrue(e.getMessage().contains("batchNorm"), e.getMessage());
    }
}
