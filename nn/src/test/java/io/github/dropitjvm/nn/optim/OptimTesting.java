package io.github.dropitjvm.nn.optim;

import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared helpers: parameters from doubles, gradients, and comparison against float64 expectations. */
final class OptimTesting {
    private OptimTesting() {}

    static float[] f(double... v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
        return out;
    }

    static Parameter param(int[] shape, double... values) {
        return new Parameter(Tensor.fromArray(f(values), shape));
    }

    static Parameter param(double... values) {
        return param(new int[]{values.length}, values);
    }

    static void grad(Parameter p, double... values) {
        p.variable().setGrad(Tensor.fromArray(f(values), p.shape()));
    }

    /** The float values a parameter starts from, widened, so the double reference starts from the same point. */
    static double[] widen(Parameter p) {
        float[] a = p.data().toFloatArray();
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** fp32 result vs float64 reference: a few roundings per step, so a few ulps of the magnitudes involved. */
    static void assertClose(double[] expected, Tensor actual, double tol, String what) {
        float[] a = actual.toFloatArray();
        assertEquals(expected.length, a.length, what + ": length");
        for (int i = 0; i < a.length; i++) {
            double bound = tol * Math.max(1.0, Math.abs(expected[i]));
            if (!(Math.abs(a[i] - expected[i]) <= bound))
                fail(what + "[" + i + "]: expected " + expected[i] + " got " + a[i] + " (|Δ| " + Math.abs(a[i] - expected[i]) + " > " + bound + ")");
        }
    }
}
