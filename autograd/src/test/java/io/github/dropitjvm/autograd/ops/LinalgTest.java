package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradCheck;
import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.autograd.SavedTensor;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

class LinalgTest {

    private static void checkMatmul(String what, Tensor a, Tensor b) {
        Variable y = Linalg.matmul(Variable.param(a), Variable.param(b));
        Ref64.T ra = ref(a), rb = ref(b);
        assertDotBound(what, Ref64.matmul(ra, rb), Ref64.matmul(Ref64.abs(ra), Ref64.abs(rb)), a.size(-1), y.data());
        assertGradcheck(what, v -> Linalg.matmul(v[0], v[1]), r -> Ref64.matmul(r[0], r[1]), a, b);
    }

    @Test
    void matmul2d() {
        checkMatmul("(3,5)@(5,4)", randn(1, 3, 5), randn(2, 5, 4));
    }

    @Test
    void matmulOnTransposedViews() {
        checkMatmul("(3,5)ᵀview@(5,4)ᵀview", randnT(3, 3, 5), randnT(4, 5, 4));
        checkMatmul("batched transposed", randnT(5, 2, 3, 5), randn(6, 2, 5, 3));
    }

    @Test
    void matmulBatched() {
        checkMatmul("(2,3,5)@(2,5,4)", randn(7, 2, 3, 5), randn(8, 2, 5, 4));
    }

    @Test
    void matmulBroadcastsBatchDimensions() {
        checkMatmul("(2,1,3,5)@(3,5,2)", randn(9, 2, 1, 3, 5), randn(10, 3, 5, 2));
        checkMatmul("(3,5)@(2,5,4)", randn(11, 3, 5), randn(12, 2, 5, 4));
        checkMatmul("(2,3,5)@(5,4)", randn(13, 2, 3, 5), randn(14, 5, 4));
    }

    @Test
    void matmulWithOneConstantOperand() {
        Tensor a = randn(15, 3, 5), b = randn(16, 5, 2);
        assertGradcheck("matmul dA only", v -> Linalg.matmul(v[0], v[1]), r -> Ref64.matmul(r[0], r[1]),
                new boolean[]{true, false}, GradCheck.Tolerance.DEFAULT, a, b);
        assertGradcheck("matmul dB only", v -> Linalg.matmul(v[0], v[1]), r -> Ref64.matmul(r[0], r[1]),
                new boolean[]{false, true}, GradCheck.Tolerance.DEFAULT, a, b);
    }

    @Test
    void matmulRefusesRankOneWithShapes() {
        Variable a = Variable.param(randn(17, 3)), b = Variable.param(randn(18, 3, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Linalg.matmul(a, b));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
    }

    private static void checkLinear(String what, Tensor x, Tensor w, Tensor b) {
        Variable y = Linalg.linear(Variable.param(x), Variable.param(w), b == null ? null : Variable.param(b));
        Ref64.T rx = ref(x), rw = ref(w), rb = b == null ? null : ref(b);
        assertDotBound(what, Ref64.linear(rx, rw, rb),
                Ref64.linear(Ref64.abs(rx), Ref64.abs(rw), rb == null ? null : Ref64.abs(rb)), w.size(1) + 1, y.data());
        if (b == null)
            assertGradcheck(what, v -> Linalg.linear(v[0], v[1], null), r -> Ref64.linear(r[0], r[1], null), x, w);
        else
            assertGradcheck(what, v -> Linalg.linear(v[0], v[1], v[2]), r -> Ref64.linear(r[0], r[1], r[2]), x, w, b);
    }

    @Test
    void linearWithBias() {
        checkLinear("linear (3,5)->(3,4)", randn(20, 3, 5), randn(21, 4, 5), randn(22, 4));
    }

    @Test
    void linearWithoutBias() {
        checkLinear("linear no bias", randn(23, 3, 5), randn(24, 4, 5), null);
    }

    @Test
    void linearOverLeadingDimensions() {
        checkLinear("linear (2,3,5)->(2,3,4)", randn(25, 2, 3, 5), randn(26, 4, 5), randn(27, 4));
    }

    @Test
    void linearOnNonContiguousInputAndWeight() {
        checkLinear("linear transposed x", randnT(28, 2, 3, 5), randnT(29, 4, 5), randn(30, 4));
    }

    @Test
    void linearOnARankOneInput() {
        checkLinear("linear (5)->(4)", randn(31, 5), randn(32, 4, 5), randn(33, 4));
    }

    @Test
    void linearRefusesMismatchedShapesNamingThem() {
        Variable x = Variable.param(randn(34, 3, 6)), w = Variable.param(randn(35, 4, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Linalg.linear(x, w, null));
        assertTrue(e.getMessage().contains("linear") && e.getMessage().contains("[3, 6]") && e.getMessage().contains("[4, 5]"), e.getMessage());
        Variable badBias = Variable.param(randn(36, 3));
        Variable x5 = Variable.param(randn(37, 3, 5));
        e = assertThrows(IllegalArgumentException.class, () -> Linalg.linear(x5, w, badBias));
        assertTrue(e.getMessage().contains("bias"), e.getMessage());
    }

    /** matmul whose backward is 1.01× too large on both operands. */
    private static Variable wrongMatmul(Variable a, Variable b) {
        GradFn f = GradFn.of("wrong-matmul", a, b);
        SavedTensor sa = f.save(a), sb = f.save(b);
        return f.output(a.data().matmul(b.data()), g -> new Tensor[]{
                g.matmul(sb.get().transpose(-1, -2)).mul(1.01),
                sa.get().transpose(-1, -2).matmul(g).mul(1.01)});
    }

    @Test
    void gradcheckRejectsAMatmulBackwardScaledBy1Point01() {
        Tensor a = randn(40, 2, 7, 9), b = randn(41, 2, 9, 5);
        assertGradcheck("correct matmul, same inputs", v -> Linalg.matmul(v[0], v[1]), r -> Ref64.matmul(r[0], r[1]), a, b);
        assertGradcheckRejects("wrong matmul", v -> wrongMatmul(v[0], v[1]), r -> Ref64.matmul(r[0], r[1]), a, b);
    }
}
