package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradCheck;
import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.autograd.SavedTensor;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

class ElementwiseTest {

    private static BinaryOperator<Variable> binaryOp(String name) {
        return switch (name) {
            case "add" -> Elementwise::add;
            case "sub" -> Elementwise::sub;
            case "mul" -> Elementwise::mul;
            case "div" -> Elementwise::div;
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static BinaryOperator<Ref64.T> binaryRef(String name) {
        return switch (name) {
            case "add" -> Ref64::add;
            case "sub" -> Ref64::sub;
            case "mul" -> Ref64::mul;
            case "div" -> Ref64::div;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Second operands stay away from zero so div is smooth. */
    private static Tensor second(long seed, int... shape) {
        return awayFromZero(seed, 0.5, shape);
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "sub", "mul", "div"})
    void binaryOpsBroadcastBothWays(String name) {
        BinaryOperator<Variable> op = binaryOp(name);
        BinaryOperator<Ref64.T> ref = binaryRef(name);
        Tensor a = randn(1, 3, 1, 5), b = second(2, 4, 1);           // (3,1,5) ∘ (4,1) -> (3,4,5)
        assertForward(name, v -> op.apply(v[0], v[1]), r -> ref.apply(r[0], r[1]), a, b);
        assertGradcheck(name + " (3,1,5)∘(4,1)", v -> op.apply(v[0], v[1]), r -> ref.apply(r[0], r[1]), a, b);
        Tensor c = second(3, 5), d = randn(4, 2, 3, 5);               // (5) ∘ (2,3,5): the first operand broadcasts
        assertGradcheck(name + " (5)∘(2,3,5)", v -> op.apply(v[0], v[1]), r -> ref.apply(r[0], r[1]), d, c);
        assertGradcheck(name + " (2,3,5)∘(5) reversed", v -> op.apply(v[1], v[0]), r -> ref.apply(r[1], r[0]), d, c);
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "sub", "mul", "div"})
    void binaryOpsOnNonContiguousViews(String name) {
        BinaryOperator<Variable> op = binaryOp(name);
        BinaryOperator<Ref64.T> ref = binaryRef(name);
        Tensor a = randnT(5, 3, 7), b = transposed(second(6, 7, 3));
        assertForward(name, v -> op.apply(v[0], v[1]), r -> ref.apply(r[0], r[1]), a, b);
        assertGradcheck(name + " transposed views", v -> op.apply(v[0], v[1]), r -> ref.apply(r[0], r[1]), a, b);
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "sub", "mul", "div"})
    void binaryOpsWithOneConstantOperand(String name) {
        BinaryOperator<Variable> op = binaryOp(name);
        BinaryOperator<Ref64.T> ref = binaryRef(name);
        Tensor a = randn(7, 2, 5), b = second(8, 2, 1);
        assertGradcheck(name + " grad of first only", v -> op.apply(v[0], v[1]), r -> ref.apply(r[0], r[1]),
                new boolean[]{true, false}, GradCheck.Tolerance.DEFAULT, a, b);
        assertGradcheck(name + " grad of second only", v -> op.apply(v[0], v[1]), r -> ref.apply(r[0], r[1]),
                new boolean[]{false, true}, GradCheck.Tolerance.DEFAULT, a, b);
    }

    @Test
    void sameVariableOnBothSides() {
        Tensor a = randn(9, 3, 5);
        assertGradcheck("mul(x, x)", v -> Elementwise.mul(v[0], v[0]), r -> Ref64.mul(r[0], r[0]), a);
        assertGradcheck("div(x, x+3)", v -> Elementwise.div(v[0], Elementwise.add(v[0], 3.0)), r -> Ref64.div(r[0], Ref64.addScalar(r[0], 3)), a);
    }

    @Test
    void scalarOpsAndNeg() {
        Tensor a = randnT(10, 3, 5);
        assertForward("add-scalar", v -> Elementwise.add(v[0], 1.5), r -> Ref64.addScalar(r[0], 1.5), a);
        assertGradcheck("add-scalar", v -> Elementwise.add(v[0], 1.5), r -> Ref64.addScalar(r[0], 1.5), a);
        assertForward("mul-scalar", v -> Elementwise.mul(v[0], -2.5), r -> Ref64.mulScalar(r[0], -2.5), a);
        assertGradcheck("mul-scalar", v -> Elementwise.mul(v[0], -2.5), r -> Ref64.mulScalar(r[0], -2.5), a);
        assertForward("neg", v -> Elementwise.neg(v[0]), r -> Ref64.neg(r[0]), a);
        assertGradcheck("neg", v -> Elementwise.neg(v[0]), r -> Ref64.neg(r[0]), a);
    }

    @ParameterizedTest
    @ValueSource(doubles = {2.0, 3.0, 0.5, -1.5})
    void pow(double p) {
        Tensor a = transposed(uniform(11, 0.5, 2.0, 5, 3));
        assertForward("pow " + p, v -> Elementwise.pow(v[0], p), r -> Ref64.pow(r[0], p), a);
        assertGradcheck("pow " + p, v -> Elementwise.pow(v[0], p), r -> Ref64.pow(r[0], p), a);
    }

    private static void unary(String name, UnaryOperator<Variable> op, Function<Ref64.T, Ref64.T> ref, Tensor x) {
        assertForward(name, v -> op.apply(v[0]), r -> ref.apply(r[0]), x);
        assertGradcheck(name, v -> op.apply(v[0]), r -> ref.apply(r[0]), x);
    }

    @Test
    void exp() {
        unary("exp", Elementwise::exp, Ref64::exp, randnT(12, 3, 7));
        unary("exp (contiguous)", Elementwise::exp, Ref64::exp, randn(13, 2, 3, 5));
    }

    @Test
    void log() {
        unary("log", Elementwise::log, Ref64::log, transposed(uniform(14, 0.3, 3.0, 7, 3)));
    }

    @Test
    void sqrt() {
        unary("sqrt", Elementwise::sqrt, Ref64::sqrt, transposed(uniform(15, 0.3, 3.0, 7, 3)));
    }

    @Test
    void tanh() {
        unary("tanh", Elementwise::tanh, Ref64::tanh, randnT(16, 3, 7));
    }

    @Test
    void sigmoid() {
        unary("sigmoid", Elementwise::sigmoid, Ref64::sigmoid, randnT(17, 3, 7).mul(2));
    }

    @Test
    void reluAwayFromTheKink() {
        Tensor x = transposed(awayFromZero(18, 0.05, 7, 5));
        unary("relu", Elementwise::relu, Ref64::relu, x);
    }

    @Test
    void reluGradientIsZeroAtZeroAndBelow() {
        Variable x = Variable.param(Tensor.fromArray(new float[]{-2, 0, 3, -0.0f, 1e-30f}, 5));
        Elementwise.relu(x).sum().backward();
        assertArrayEquals(new float[]{0, 0, 1, 0, 1}, x.grad().toFloatArray());
    }

    @Test
    void gelu() {
        unary("gelu", Elementwise::gelu, Ref64::gelu, randnT(19, 5, 7).mul(2));
        // wide range, forward only: tails where erf saturates
        Tensor wide = Tensor.arange(-7, 7, 0.37);
        assertForward("gelu wide", v -> Elementwise.gelu(v[0]), r -> Ref64.gelu(r[0]), wide);
    }

    // ------------------------------------------------------------------ dropout

    private static boolean[] keepMask(int n, long seed, int layer, int step, double p) {
        float[] bits = DropItKernels.randomKeepMask(Backends.cpu(), n, seed, layer, step, p).to(DType.FLOAT32).toFloatArray();
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) keep[i] = bits[i] != 0;
        return keep;
    }

    @Test
    void dropoutMatchesTheReferenceForItsMask() {
        double p = 0.3;
        Tensor x = transposed(awayFromZero(20, 0.1, 9, 5)); // (5, 9), no exact zeros so a zero output means "dropped"
        boolean[] keep = keepMask(45, 77, 3, 11, p);
        int kept = 0;
        for (boolean k : keep) kept += k ? 1 : 0;
        assertTrue(kept > 0 && kept < 45, "test setup: the mask should keep some and drop some, kept " + kept);
        Variable y = assertForward("dropout", v -> Elementwise.dropout(v[0], p, true, 77, 3, 11), r -> Ref64.dropout(r[0], keep, p), x);
        float[] out = y.data().toFloatArray();
        for (int i = 0; i < 45; i++) assertEquals(keep[i], out[i] != 0, "dropout output vs its mask at " + i);
        assertGradcheck("dropout", v -> Elementwise.dropout(v[0], p, true, 77, 3, 11), r -> Ref64.dropout(r[0], keep, p), x);
    }

    @Test
    void dropoutIsReproducibleAndKeyedByLayerAndStep() {
        Tensor x = Tensor.ones(4000);
        float[] a = Elementwise.dropout(Variable.param(x), 0.25, true, 5, 0, 0).data().toFloatArray();
        float[] b = Elementwise.dropout(Variable.param(x), 0.25, true, 5, 0, 0).data().toFloatArray();
        float[] c = Elementwise.dropout(Variable.param(x), 0.25, true, 5, 0, 1).data().toFloatArray();
        float[] d = Elementwise.dropout(Variable.param(x), 0.25, true, 5, 1, 0).data().toFloatArray();
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c), "another step must give another mask");
        assertFalse(java.util.Arrays.equals(a, d), "another layer must give another mask");
        int kept = 0;
        for (float v : a) {
            if (v != 0) {
                kept++;
                assertEquals(1 / 0.75f, v, 1e-6f);
            }
        }
        // keep probability 0.75: mean 3000, sd ~27; allow 6 sd
        assertEquals(3000, kept, 165, "kept count");
    }

    @Test
    void dropoutInEvalOrWithZeroProbabilityIsTheIdentity() {
        Variable x = Variable.param(randn(21, 3, 4));
        assertSame(x, Elementwise.dropout(x, 0.5, false, 1, 0, 0));
        assertSame(x, Elementwise.dropout(x, 0.0, true, 1, 0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Elementwise.dropout(x, 1.0, true, 1, 0, 0));
        assertTrue(e.getMessage().contains("dropout"), e.getMessage());
    }

    // ------------------------------------------------------------------ gradcheck must catch a wrong backward

    /** tanh whose backward is 1.01× too large. */
    private static Variable wrongTanh(Variable a) {
        GradFn f = GradFn.of("wrong-tanh", a);
        Tensor y = a.data().tanh();
        SavedTensor sy = f.save(y);
        return f.output(y, g -> {
            Tensor t = sy.get();
            return new Tensor[]{g.mul(t.mul(t).neg().add(1)).mul(1.01)};
        });
    }

    @Test
    void gradcheckRejectsAnElementwiseBackwardScaledBy1Point01() {
        Tensor x = randnT(22, 3, 7);
        assertGradcheck("correct tanh, same inputs", v -> Elementwise.tanh(v[0]), r -> Ref64.tanh(r[0]), x);
        assertGradcheckRejects("wrong tanh", v -> wrongTanh(v[0]), r -> Ref64.tanh(r[0]), x);
    }

    @Test
    void gradcheckRejectsABroadcastBackwardThatForgetsToSum() {
        // a backward for add that returns the broadcast gradient's first slice instead of the sum: wrong but shaped right
        Tensor a = randn(23, 4, 3), b = randn(24, 3);
        assertFalse(gradcheck(v -> {
            GradFn f = GradFn.of("wrong-add", v[0], v[1]);
            return f.output(v[0].data().add(v[1].data()), g -> new Tensor[]{g, g.narrow(0, 0, 1).reshape(3).copy()});
        }, r -> Ref64.add(r[0], r[1]), new boolean[]{true, true}, GradCheck.Tolerance.DEFAULT, a, b).passed());
    }

    @Test
    void gradcheckReportsAnInputThatReceivedNoGradient() {
        Tensor a = randn(25, 3), b = randn(26, 3);
        var r = gradcheck(v -> {
            GradFn f = GradFn.of("ignores-b", v[0], v[1]);
            return f.output(v[0].data().add(v[1].data()), g -> new Tensor[]{g, null});
        }, r2 -> Ref64.add(r2[0], r2[1]), new boolean[]{true, true}, GradCheck.Tolerance.DEFAULT, a, b);
        assertFalse(r.passed());
        assertTrue(r.detail().contains("input 1") && r.detail().contains("no gradient"), r.detail());
    }
}
