package io.github.dropitjvm.autograd;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

import java.util.function.Function;

/**
 * Gradient check, the test every differentiable op passes: the fp32 backward of an op against central differences of a float64
 * reference of the same function. The scalar checked is L = Σ w·f(x) for fixed random weights w, so every
 * output element's gradient path is exercised. An element passes when |analytic − numeric| <= atol + rtol·|numeric|.
 */
public final class GradCheck {
    private GradCheck() {}

    /** A float64 reference: the op's outputs (row-major) from its inputs (row-major). */
    @FunctionalInterface
    public interface Reference {
        double[] apply(double[][] inputs);
    }

    /** Outcome; {@code detail} names the first failing input and element. */
    public record Result(boolean passed, double maxAbsError, String detail) {}

    /** Tolerances and step: h for central differences, atol/rtol for the comparison. */
    public record Tolerance(double h, double atol, double rtol) {
        public static final Tolerance DEFAULT = new Tolerance(1e-3, 2e-4, 2e-3);
    }

    /**
     * @param op            the op under test, on variables (inputs flagged in {@code differentiate} require grad)
     * @param reference     the same function in float64
     * @param inputs        FLOAT32 inputs
     * @param differentiate which inputs to check
     */
    public static Result check(Function<Variable[], Variable> op, Reference reference, Tensor[] inputs,
                               boolean[] differentiate, Tolerance tol, long seed) {
        Variable[] vars = new Variable[inputs.length];
        for (int i = 0; i < inputs.length; i++)
            vars[i] = differentiate[i] ? Variable.param(inputs[i]) : Variable.constant(inputs[i]);
        Variable out = op.apply(vars);
        Tensor w = Tensor.randn(new Generator(seed), out.shape());
        out.backward(w, false);
        double[] wd = toDouble(w);
        double[][] x = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) x[i] = toDouble(inputs[i]);
        double maxErr = 0;
        for (int i = 0; i < inputs.length; i++) {
            if (!differentiate[i]) continue;
            Tensor g = vars[i].grad();
            if (g == null) return new Result(false, Double.POSITIVE_INFINITY, "input " + i + " " + Shape.str(inputs[i].shape()) + " received no gradient");
            float[] analytic = g.toFloatArray();
            for (int j = 0; j < x[i].length; j++) {
                double keep = x[i][j];
                x[i][j] = keep + tol.h();
                double plus = dot(wd, reference.apply(x));
                x[i][j] = keep - tol.h();
                double minus = dot(wd, reference.apply(x));
                x[i][j] = keep;
                double numeric = (plus - minus) / (2 * tol.h());
                double err = Math.abs(analytic[j] - numeric);
                maxErr = Math.max(maxErr, err);
                if (!(err <= tol.atol() + tol.rtol() * Math.abs(numeric)))
                    return new Result(false, err, "input " + i + " " + Shape.str(inputs[i].shape()) + " element " + j
                            + ": backward " + analytic[j] + ", central difference " + numeric);
            }
        }
        return new Result(true, maxErr, "ok");
    }

    private static double[] toDouble(Tensor t) {
        float[] f = t.to(DType.FLOAT32).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double dot(double[] w, double[] y) {
        if (w.length != y.length) throw new IllegalStateException("gradcheck: reference returned " + y.length + " values, the op " + w.length);
        double s = 0;
        for (int i = 0; i < w.length; i++) s += w[i] * y[i];
        return s;
    }
}
