package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradCheck;
import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Shape ops are exact, so the forward check is equality; gradcheck weights every output element differently
 * (L = Σ w·f(x) with random w), so a gradient routed to the wrong position fails it.
 */
class ShapesTest {

    private static void check(String what, Function<Variable[], Variable> op, Function<Ref64.T[], Ref64.T> ref, Tensor... inputs) {
        assertForward(what, op, ref, 0, 0, inputs);
        assertGradcheck(what, op, ref, inputs);
    }

    @Test
    void reshapeContiguousAndNot() {
        check("reshape", v -> Shapes.reshape(v[0], 5, -1), r -> Ref64.reshape(r[0], 5, -1), randn(1, 3, 5));
        check("reshape of a transposed view (copies)", v -> Shapes.reshape(v[0], 15), r -> Ref64.reshape(r[0], 15), randnT(2, 3, 5));
        check("reshape to rank 3", v -> Shapes.reshape(v[0], 2, 3, 1, 5), r -> Ref64.reshape(r[0], 2, 3, 1, 5), randn(3, 6, 5));
    }

    @Test
    void reshapeOfAContiguousTensorIsAView() {
        Variable x = Variable.param(randn(4, 3, 5));
        assertSame(x.data().storage(), Shapes.reshape(x, 15).data().storage());
    }

    @Test
    void permute() {
        check("permute (2,0,1)", v -> Shapes.permute(v[0], 2, 0, 1), r -> Ref64.permute(r[0], 2, 0, 1), randn(5, 2, 3, 5));
        check("permute negative dims", v -> Shapes.permute(v[0], -1, 0, 1), r -> Ref64.permute(r[0], 2, 0, 1), randn(6, 2, 3, 5));
        check("permute of a view", v -> Shapes.permute(v[0], 1, 2, 0), r -> Ref64.permute(r[0], 1, 2, 0), randnT(7, 2, 3, 5));
    }

    @Test
    void transpose() {
        check("transpose 0,2", v -> Shapes.transpose(v[0], 0, 2), r -> Ref64.transpose(r[0], 0, 2), randn(8, 2, 3, 5));
        check("transpose -1,-2 of a view", v -> Shapes.transpose(v[0], -1, -2), r -> Ref64.transpose(r[0], -1, -2), randnT(9, 3, 5));
    }

    @Test
    void narrow() {
        check("narrow dim 1", v -> Shapes.narrow(v[0], 1, 1, 3), r -> Ref64.narrow(r[0], 1, 1, 3), randn(10, 2, 5, 3));
        check("narrow last dim", v -> Shapes.narrow(v[0], -1, 0, 2), r -> Ref64.narrow(r[0], -1, 0, 2), randn(11, 3, 5));
        check("narrow of a view", v -> Shapes.narrow(v[0], 0, 2, 3), r -> Ref64.narrow(r[0], 0, 2, 3), randnT(12, 5, 3));
    }

    @Test
    void copyOwnsItsStorageAndPassesTheGradient() {
        check("copy of a view", v -> Shapes.copy(Shapes.select(v[0], 1, 0)), r -> Ref64.select(r[0], 1, 0), randn(16, 3, 4, 5));
        Variable x = Variable.param(randn(17, 3, 4, 5));
        Variable c = Shapes.copy(Shapes.select(x, 1, 0));
        assertNotSame(x.data().storage(), c.data().storage());
        assertEquals(15, c.data().storage().bytes() / 4);
    }

    @Test
    void select() {
        check("select dim 1", v -> Shapes.select(v[0], 1, 2), r -> Ref64.select(r[0], 1, 2), randn(13, 2, 5, 3));
        check("select dim -1", v -> Shapes.select(v[0], -1, 0), r -> Ref64.select(r[0], -1, 0), randn(14, 3, 5));
        check("select of a view", v -> Shapes.select(v[0], 0, 4), r -> Ref64.select(r[0], 0, 4), randnT(15, 5, 3));
    }

    /**
     * Slices of one variable reach the backward engine as slices, which it adds into one gradient it allocates;
     * here they overlap, and the variable also has whole uses, one through an add whose backward returns the same
     * tensor for both its inputs (EngineTest checks which tensors the engine may add into).
     */
    @Test
    void slicesAndOtherUsesOfOneVariableAccumulate() {
        Function<Variable[], Variable> op = v -> {
            Variable h = Elementwise.mul(v[0], 1.5), s = Elementwise.add(h, v[1]);
            return Shapes.cat(0, Shapes.reshape(s, -1), Shapes.reshape(Shapes.narrow(h, 0, 0, 3), -1),
                    Shapes.reshape(Shapes.narrow(h, 0, 2, 2), -1), Shapes.select(h, 0, 1), Shapes.reshape(Elementwise.mul(s, h), -1));
        };
        Function<Ref64.T[], Ref64.T> ref = r -> {
            Ref64.T h = Ref64.mulScalar(r[0], 1.5), s = Ref64.add(h, r[1]);
            return Ref64.cat(0, Ref64.reshape(s, -1), Ref64.reshape(Ref64.narrow(h, 0, 0, 3), -1),
                    Ref64.reshape(Ref64.narrow(h, 0, 2, 2), -1), Ref64.select(h, 0, 1), Ref64.reshape(Ref64.mul(s, h), -1));
        };
        Tensor x = randn(30, 4, 3), y = randn(31, 4, 3);
        assertForward("slices, an add and a product of one variable", op, ref, x, y); // float products: not exact
        assertGradcheck("slices, an add and a product of one variable", op, ref, x, y);
    }

    @Test
    void squeezeAndUnsqueeze() {
        check("squeeze", v -> Shapes.squeeze(v[0], 1), r -> Ref64.squeeze(r[0], 1), randn(16, 3, 1, 5));
        check("unsqueeze 0", v -> Shapes.unsqueeze(v[0], 0), r -> Ref64.unsqueeze(r[0], 0), randn(17, 3, 5));
        check("unsqueeze last", v -> Shapes.unsqueeze(v[0], -1), r -> Ref64.unsqueeze(r[0], -1), randnT(18, 3, 5));
        check("unsqueeze middle", v -> Shapes.unsqueeze(v[0], 1), r -> Ref64.unsqueeze(r[0], 1), randn(19, 3, 5));
    }

    @Test
    void expand() {
        check("expand (3,1)->(2,3,4)", v -> Shapes.expand(v[0], 2, 3, 4), r -> Ref64.expand(r[0], 2, 3, 4), randn(20, 3, 1));
        check("expand (1,5)->(3,5)", v -> Shapes.expand(v[0], 3, 5), r -> Ref64.expand(r[0], 3, 5), randn(21, 1, 5));
        check("expand (5)->(2,3,5)", v -> Shapes.expand(v[0], 2, 3, 5), r -> Ref64.expand(r[0], 2, 3, 5), randn(22, 5));
    }

    @Test
    void expandThenCompute() {
        // a broadcast view feeding an elementwise op: gradient sums over the broadcast dimensions
        Tensor a = randn(23, 3, 1), b = randn(24, 4, 3, 5);
        assertForward("expand then mul", v -> Elementwise.mul(Shapes.expand(v[0], 4, 3, 5), v[1]), r -> Ref64.mul(Ref64.expand(r[0], 4, 3, 5), r[1]), a, b);
        assertGradcheck("expand then mul", v -> Elementwise.mul(Shapes.expand(v[0], 4, 3, 5), v[1]), r -> Ref64.mul(Ref64.expand(r[0], 4, 3, 5), r[1]), a, b);
    }

    @Test
    void cat() {
        check("cat dim 1", v -> Shapes.cat(1, v[0], v[1], v[2]), r -> Ref64.cat(1, r[0], r[1], r[2]),
                randn(25, 2, 3, 4), randn(26, 2, 1, 4), randnT(27, 2, 2, 4));
        check("cat dim 0", v -> Shapes.cat(0, v[0], v[1]), r -> Ref64.cat(0, r[0], r[1]), randn(28, 3, 5), randn(29, 2, 5));
        check("cat dim -1", v -> Shapes.cat(-1, v[0], v[1]), r -> Ref64.cat(-1, r[0], r[1]), randn(30, 3, 2), randn(31, 3, 5));
    }

    @Test
    void catWithAConstantPart() {
        Tensor a = randn(32, 2, 3), b = randn(33, 2, 4), c = randn(34, 2, 1);
        assertGradcheck("cat with constant middle", v -> Shapes.cat(1, v[0], v[1], v[2]), r -> Ref64.cat(1, r[0], r[1], r[2]),
                new boolean[]{true, false, true}, GradCheck.Tolerance.DEFAULT, a, b, c);
    }

    @Test
    void chainedViewsCompose() {
        check("permute·narrow·reshape·unsqueeze",
                v -> Shapes.unsqueeze(Shapes.reshape(Shapes.narrow(Shapes.permute(v[0], 2, 0, 1), 1, 1, 2), -1), 0),
                r -> Ref64.unsqueeze(Ref64.reshape(Ref64.narrow(Ref64.permute(r[0], 2, 0, 1), 1, 1, 2), -1), 0),
                randn(35, 3, 4, 5));
    }
}
