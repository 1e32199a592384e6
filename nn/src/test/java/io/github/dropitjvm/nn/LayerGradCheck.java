package io.github.dropitjvm.nn;

import io.github.dropitjvm.autograd.GradCheck;
import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * gradcheck for a whole layer (DESIGN.md): the layer's fp32 backward — for its input and every parameter —
 * against central differences of a float64 reference of the same layer written with {@link Ref64}. The scalar
 * is L = Σ w·layer(x) for fixed random w. Also checks the forward against the reference.
 */
public final class LayerGradCheck {
    private LayerGradCheck() {}

    /** Reference: (input, parameters by full name) → output. */
    public interface Reference extends BiFunction<Ref64.T, Map<String, Ref64.T>, Ref64.T> {}

    public static void check(Module layer, Tensor x, Reference ref, GradCheck.Tolerance tol) {
        Variable vx = Variable.param(x);
        layer.zeroGrad();
        Variable y = layer.forward(vx);
        Tensor w = Tensor.randn(new Generator(99), y.shape());
        y.backward(w, false);
        double[] wd = doubles(w);
        Map<String, Ref64.T> params = new LinkedHashMap<>();
        layer.namedParameters().forEach((k, p) -> params.put(k, Ref64.of(doubles(p.data()), p.shape())));
        Ref64.T rx = Ref64.of(doubles(x), x.shape());
        // forward
        double[] expected = ref.apply(rx, params).v();
        float[] got = y.data().toFloatArray();
        assertEquals(expected.length, got.length, "forward size");
        for (int i = 0; i < got.length; i++)
            if (Math.abs(got[i] - expected[i]) > 1e-4 + 1e-4 * Math.abs(expected[i]))
                fail("forward element " + i + ": " + got[i] + " vs reference " + expected[i]);
        // input gradient
        compare("input", vx.grad(), rx.v(), () -> dot(wd, ref.apply(rx, params).v()), tol);
        // each parameter
        layer.namedParameters().forEach((name, p) -> compare(name, p.grad(), params.get(name).v(), () -> dot(wd, ref.apply(rx, params).v()), tol));
    }

    private static void compare(String what, Tensor grad, double[] values, java.util.function.DoubleSupplier loss, GradCheck.Tolerance tol) {
        assertNotNull(grad, what + " received no gradient");
        float[] analytic = grad.toFloatArray();
        for (int j = 0; j < values.length; j++) {
            double keep = values[j];
            values[j] = keep + tol.h();
            double plus = loss.getAsDouble();
            values[j] = keep - tol.h();
            double minus = loss.getAsDouble();
            values[j] = keep;
            double numeric = (plus - minus) / (2 * tol.h());
            double err = Math.abs(analytic[j] - numeric);
            if (!(err <= tol.atol() + tol.rtol() * Math.abs(numeric)))
                fail(what + " element " + j + ": backward " + analytic[j] + ", central difference " + numeric);
        }
    }

    static double[] doubles(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double dot(double[] w, double[] y) {
        double s = 0;
        for (int i = 0; i < w.length; i++) s += w[i] * y[i];
        return s;
    }
}
