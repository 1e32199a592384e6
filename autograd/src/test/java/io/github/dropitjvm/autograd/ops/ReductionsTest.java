package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

class ReductionsTest {

    @Test
    void sumAndMeanOfEverything() {
        Tensor x = randn(1, 3, 5, 2);
        Variable s = assertForward("sum", v -> Reductions.sum(v[0]), r -> Ref64.sumAll(r[0]), x);
        assertEquals(0, s.rank(), "a full sum is rank 0");
        assertGradcheck("sum", v -> Reductions.sum(v[0]), r -> Ref64.sumAll(r[0]), x);
        assertForward("mean", v -> Reductions.mean(v[0]), r -> Ref64.mean(r[0], new int[]{0, 1, 2}, false), x);
        assertGradcheck("mean", v -> Reductions.mean(v[0]), r -> Ref64.mean(r[0], new int[]{0, 1, 2}, false), x);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void sumOverDims(boolean keepdim) {
        Tensor x = randn(2, 3, 5, 4);
        int[][] dimSets = {{0}, {1}, {-1}, {0, 2}, {2, 0}, {0, 1, 2}};
        for (int[] dims : dimSets) {
            String what = "sum " + java.util.Arrays.toString(dims) + " keepdim " + keepdim;
            assertForward(what, v -> Reductions.sum(v[0], dims, keepdim), r -> Ref64.sum(r[0], dims, keepdim), x);
            assertGradcheck(what, v -> Reductions.sum(v[0], dims, keepdim), r -> Ref64.sum(r[0], dims, keepdim), x);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void meanOverDims(boolean keepdim) {
        Tensor x = randn(3, 3, 5, 4);
        int[][] dimSets = {{0}, {1}, {-1}, {0, 2}, {1, 2}};
        for (int[] dims : dimSets) {
            String what = "mean " + java.util.Arrays.toString(dims) + " keepdim " + keepdim;
            assertForward(what, v -> Reductions.mean(v[0], dims, keepdim), r -> Ref64.mean(r[0], dims, keepdim), x);
            assertGradcheck(what, v -> Reductions.mean(v[0], dims, keepdim), r -> Ref64.mean(r[0], dims, keepdim), x);
        }
    }

    @Test
    void reductionsOnNonContiguousViews() {
        Tensor x = randnT(4, 2, 3, 5);
        assertGradcheck("sum view", v -> Reductions.sum(v[0], new int[]{1}, false), r -> Ref64.sum(r[0], new int[]{1}, false), x);
        assertGradcheck("mean view", v -> Reductions.mean(v[0], new int[]{0, 2}, true), r -> Ref64.mean(r[0], new int[]{0, 2}, true), x);
        assertForward("mean view", v -> Reductions.mean(v[0], new int[]{2}, false), r -> Ref64.mean(r[0], new int[]{2}, false), x);
    }

    @Test
    void reductionsOverSizeOneDimensions() {
        Tensor x = randn(5, 3, 1, 4);
        assertGradcheck("mean over a size-1 dim", v -> Reductions.mean(v[0], new int[]{1}, false), r -> Ref64.mean(r[0], new int[]{1}, false), x);
        assertGradcheck("mean over size-1 and another", v -> Reductions.mean(v[0], new int[]{1, 2}, true), r -> Ref64.mean(r[0], new int[]{1, 2}, true), x);
        assertGradcheck("sum over a size-1 dim", v -> Reductions.sum(v[0], new int[]{1}, true), r -> Ref64.sum(r[0], new int[]{1}, true), x);
    }
}
