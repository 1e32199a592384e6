package io.github.dropitjvm.autograd;

import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared test plumbing for the op tests: random inputs (contiguous and not), conversion to {@link Ref64}, the
 * forward check against the float64 reference and the gradcheck assertion.
 */
public final class OpCheck {
    private OpCheck() {}

    /** Bound on fp32 rounding of a one-rounding or double-computed-then-rounded result, with slack. */
    public static final double FWD_RTOL = 4e-6, FWD_ATOL = 1e-6;

    // ------------------------------------------------------------------ inputs

    public static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Generator(seed), shape);
    }

    /** Uniform values in [lo, hi). */
    public static Tensor uniform(long seed, double lo, double hi, int... shape) {
        return Tensor.rand(new Generator(seed), shape).mul(hi - lo).add(lo);
    }

    /**
     * A non-contiguous tensor of the given logical shape (rank >= 2): the transpose of a contiguous tensor with the
     * last two sizes swapped.
     */
    public static Tensor transposed(Tensor contiguousSwapped) {
        Tensor t = contiguousSwapped.transpose(-1, -2);
        assertFalse(t.isContiguous(), "test setup: expected a non-contiguous view");
        return t;
    }

    /** randn values of logical shape {@code shape}, laid out as a transposed (non-contiguous) view. */
    public static Tensor randnT(long seed, int... shape) {
        int[] s = shape.clone();
        int r = s.length;
        int tmp = s[r - 1];
        s[r - 1] = s[r - 2];
        s[r - 2] = tmp;
        return transposed(randn(seed, s));
    }

    /** Applies f to every value of t (on the host), keeping the shape; for shaping test inputs. */
    public static Tensor mapValues(Tensor t, DoubleUnaryOperator f) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = (float) f.applyAsDouble(v[i]);
        return Tensor.fromArray(v, t.shape());
    }

    /** randn values pushed at least {@code margin} away from zero (for kinks such as ReLU's). */
    public static Tensor awayFromZero(long seed, double margin, int... shape) {
        return mapValues(randn(seed, shape), x -> Math.copySign(Math.abs(x) + margin, x));
    }

    /** A random permutation of 0..n−1, scaled by step, in the given shape: all values distinct by at least step. */
    public static Tensor distinct(long seed, double step, int... shape) {
        int n = Ref64.numel(shape);
        float[] keys = randn(seed, n).toFloatArray();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(keys[a], keys[b]));
        float[] v = new float[n];
        for (int rank = 0; rank < n; rank++) v[order[rank]] = (float) ((rank - n / 2) * step);
        return Tensor.fromArray(v, shape);
    }

    public static Ref64.T ref(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return Ref64.of(d, t.shape());
    }

    public static Variable[] params(Tensor... ts) {
        Variable[] v = new Variable[ts.length];
        for (int i = 0; i < ts.length; i++) v[i] = Variable.param(ts[i]);
        return v;
    }

    /** An activation: a non-leaf that requires grad, with its own contiguous storage (via mul-scalar, which saves nothing). */
    public static Variable activation(Tensor t) {
        return Variable.param(t).mul(1.0);
    }

    // ------------------------------------------------------------------ forward checks

    /** Elementwise |actual − expected| <= atol + rtol·|expected|, shapes equal. */
    public static void assertClose(String what, Ref64.T expected, Tensor actual, double atol, double rtol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] a = actual.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            double e = expected.v()[i];
            double err = Math.abs(a[i] - e);
            if (!(err <= atol + rtol * Math.abs(e)))
                fail(what + ": element " + i + " " + Arrays.toString(Ref64.unravel(i, expected.shape())) + " is " + a[i] + ", reference " + e + " (|Δ| " + err + ")");
        }
    }

    /**
     * DESIGN.md's bound for dot-product-like results: |Δ| <= 4·K·2⁻²⁴·(|A|·|B|)ᵢⱼ (plus the final rounding), where
     * {@code absProduct} is the reference op applied to the absolute values of the operands.
     */
    public static void assertDotBound(String what, Ref64.T expected, Ref64.T absProduct, int k, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] a = actual.toFloatArray();
        double u = Math.scalb(1.0, -24);
        for (int i = 0; i < a.length; i++) {
            double bound = 4.0 * k * u * absProduct.v()[i] + u * Math.abs(expected.v()[i]);
            double err = Math.abs(a[i] - expected.v()[i]);
            if (!(err <= bound))
                fail(what + ": element " + i + " is " + a[i] + ", reference " + expected.v()[i] + ", |Δ| " + err + " > bound " + bound);
        }
    }

    /** Runs op on the inputs and checks its output against the reference with the default forward tolerance. */
    public static Variable assertForward(String what, Function<Variable[], Variable> op, Function<Ref64.T[], Ref64.T> reference, Tensor... inputs) {
        return assertForward(what, op, reference, FWD_ATOL, FWD_RTOL, inputs);
    }

    public static Variable assertForward(String what, Function<Variable[], Variable> op, Function<Ref64.T[], Ref64.T> reference,
                                         double atol, double rtol, Tensor... inputs) {
        Variable out = op.apply(params(inputs));
        Ref64.T[] r = new Ref64.T[inputs.length];
        for (int i = 0; i < inputs.length; i++) r[i] = ref(inputs[i]);
        assertClose(what, reference.apply(r), out.data(), atol, rtol);
        return out;
    }

    // ------------------------------------------------------------------ gradcheck

    /** Wraps a reference on {@link Ref64.T} into gradcheck's row-major interface, using the inputs' shapes. */
    public static GradCheck.Reference reference(Function<Ref64.T[], Ref64.T> f, Tensor... inputs) {
        int[][] shapes = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) shapes[i] = inputs[i].shape();
        return x -> {
            Ref64.T[] t = new Ref64.T[x.length];
            for (int i = 0; i < x.length; i++) t[i] = Ref64.of(x[i], shapes[i]);
            return f.apply(t).v();
        };
    }

    /** gradcheck with every input differentiated, default tolerance. */
    public static void assertGradcheck(String what, Function<Variable[], Variable> op, Function<Ref64.T[], Ref64.T> reference, Tensor... inputs) {
        boolean[] all = new boolean[inputs.length];
        Arrays.fill(all, true);
        assertGradcheck(what, op, reference, all, GradCheck.Tolerance.DEFAULT, inputs);
    }

    public static void assertGradcheck(String what, Function<Variable[], Variable> op, Function<Ref64.T[], Ref64.T> reference,
                                       boolean[] differentiate, GradCheck.Tolerance tol, Tensor... inputs) {
        GradCheck.Result r = gradcheck(op, reference, differentiate, tol, inputs);
        assertTrue(r.passed(), what + ": gradcheck failed: " + r.detail());
    }

    public static GradCheck.Result gradcheck(Function<Variable[], Variable> op, Function<Ref64.T[], Ref64.T> reference,
                                             boolean[] differentiate, GradCheck.Tolerance tol, Tensor... inputs) {
        return GradCheck.check(op, reference(reference, inputs), inputs, differentiate, tol, 1234);
    }

    /** The 1.01-scaled-backward check: gradcheck must reject it. */
    public static void assertGradcheckRejects(String what, Function<Variable[], Variable> op, Function<Ref64.T[], Ref64.T> reference, Tensor... inputs) {
        boolean[] all = new boolean[inputs.length];
        Arrays.fill(all, true);
        GradCheck.Result r = gradcheck(op, reference, all, GradCheck.Tolerance.DEFAULT, inputs);
        assertFalse(r.passed(), what + ": gradcheck accepted a backward scaled by 1.01 (max error " + r.maxAbsError() + ")");
    }
}
