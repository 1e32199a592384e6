package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefSpecial;
import io.github.dropitjvm.tensor.ref.RefTensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unary and binary elementwise ops, broadcasting and where, against the float64 reference on every layout.
 *
 * <p>Bounds, per op: the IEEE basic operations (add, sub, mul, neg, abs, relu, max, min, clamp, comparisons) and
 * div must give the float nearest the exact result (0 ulp from the correctly rounded value); sqrt and rsqrt
 * within 1 ulp; transcendental functions (exp, log, tanh, sigmoid, erf, gelu, pow) within 4 ulps of the float
 * nearest the reference. NaN must match NaN and infinities must match exactly.
 */
class ElementwiseTest {
    private final SplittableRandom rng = new SplittableRandom(0x5EED_0002L);

    record Unary(String name, Function<Tensor, Tensor> op, DoubleUnaryOperator ref, double ulps) {}

    record Binary(String name, Function<Tensor[], Tensor> op, DoubleBinaryOperator ref, double ulps) {}

    /** Sigmoid written differently from the kernel on the negative side: e^x / (1 + e^x). */
    static double sigmoid(double x) {
        if (x < 0) {
            double e = Math.exp(x);
            return e / (1 + e);
        }
        return 1 / (1 + Math.exp(-x));
    }

    static final List<Unary> UNARY = List.of(
            new Unary("neg", Tensor::neg, x -> -x, 0),
            new Unary("abs", Tensor::abs, Math::abs, 0),
            new Unary("relu", Tensor::relu, x -> Double.isNaN(x) ? x : x > 0 ? x : 0, 0),
            new Unary("clamp", t -> t.clamp(-0.5, 0.75), x -> Double.isNaN(x) ? x : Math.max(-0.5, Math.min(0.75, x)), 0),
            new Unary("sqrt", Tensor::sqrt, Math::sqrt, 1),
            new Unary("rsqrt", Tensor::rsqrt, x -> 1 / Math.sqrt(x), 1),
            new Unary("exp", Tensor::exp, Math::exp, 4),
            new Unary("log", Tensor::log, Math::log, 4),
            new Unary("tanh", Tensor::tanh, Math::tanh, 4),
            new Unary("sigmoid", Tensor::sigmoid, ElementwiseTest::sigmoid, 4),
            new Unary("erf", Tensor::erf, RefSpecial::erf, 4),
            new Unary("gelu", Tensor::gelu, RefSpecial::gelu, 4),
            new Unary("geluTanh", Tensor::geluTanh, RefSpecial::geluTanh, 4),
            new Unary("pow(3)", t -> t.pow(3), x -> x * x * x, 4),
            new Unary("pow(0.5)", t -> t.pow(0.5), x -> Math.pow(x, 0.5), 4),
            new Unary("pow(-2)", t -> t.pow(-2), x -> 1 / (x * x), 4));

    static final List<Binary> BINARY = List.of(
            new Binary("add", t -> t[0].add(t[1]), Double::sum, 0),
            new Binary("sub", t -> t[0].sub(t[1]), (x, y) -> x - y, 0),
            new Binary("mul", t -> t[0].mul(t[1]), (x, y) -> x * y, 0),
            new Binary("div", t -> t[0].div(t[1]), (x, y) -> x / y, 0),
            new Binary("pow", t -> t[0].abs().pow(t[1]), (x, y) -> Math.pow(Math.abs(x), y), 4),
            new Binary("maximum", t -> t[0].maximum(t[1]), Math::max, 0),
            new Binary("minimum", t -> t[0].minimum(t[1]), Math::min, 0),
            new Binary("eq", t -> t[0].eq(t[1]), (x, y) -> x == y ? 1 : 0, 0),
            new Binary("ne", t -> t[0].ne(t[1]), (x, y) -> x != y ? 1 : 0, 0),
            new Binary("lt", t -> t[0].lt(t[1]), (x, y) -> x < y ? 1 : 0, 0),
            new Binary("le", t -> t[0].le(t[1]), (x, y) -> x <= y ? 1 : 0, 0),
            new Binary("gt", t -> t[0].gt(t[1]), (x, y) -> x > y ? 1 : 0, 0),
            new Binary("ge", t -> t[0].ge(t[1]), (x, y) -> x >= y ? 1 : 0, 0));

    static final int[][] UNARY_SHAPES = {{}, {1}, {7}, {1031}, {7, 33}, {2, 3, 5}, {2, 1, 3, 4}, {2, 3, 1, 2, 3}, {2, 1, 2, 3, 1, 3}};

    @Test
    void unaryOpsOnEveryLayout() {
        for (int[] shape : UNARY_SHAPES)
            for (Twin x : Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 6), shape))
                for (Unary u : UNARY) {
                    // sqrt/log/pow(0.5) on negatives give NaN: still a check that NaN appears where it should.
                    Tensor out = u.op().apply(x.t());
                    Compare.ulps(u.name() + " of " + x.name(), Ref.map(x.r(), u.ref()), out, u.ulps());
                    assertTrue(out.isContiguous());
                    assertEquals(DType.FLOAT32, out.dtype());
                }
    }

    @Test
    void unaryOpsOnSpecialAndWideValues() {
        for (Twin.Values v : List.of(Twin.Values.SPECIAL, Twin.Values.WIDE, Twin.Values.scaled(Twin.Values.UNIFORM, 20)))
            for (Twin x : List.of(Twin.random(rng, v, 4099), Twin.random(rng, v, 64, 33).transpose(0, 1)))
                for (Unary u : UNARY)
                    Compare.ulps(u.name() + " of " + x.name(), Ref.map(x.r(), u.ref()), u.op().apply(x.t()), u.ulps());
    }

    @Test
    void geluIsAccurateInTheFarNegativeTail() {
        // x·Φ(x) for x in [−14, −4]: tiny but normal floats; 1 + erf(x/√2) would cancel to noise here.
        float[] xs = new float[201];
        for (int i = 0; i < xs.length; i++) xs[i] = -4f - i * 0.05f;
        Twin x = Twin.of("tail", xs, xs.length);
        Compare.ulps("gelu tail", Ref.map(x.r(), RefSpecial::gelu), x.t().gelu(), 4);
        Compare.ulps("erf tail", Ref.map(x.r(), RefSpecial::erf), x.t().erf(), 4);
    }

    /**
     * The vectorised tanh (exp form, small-|x| branch below 2⁻¹²) on the values where such a formula breaks: signed
     * zeros (sign kept), subnormals, both sides of the 2⁻¹² switch, where tanh rounds to ±1 and beyond, float's
     * extremes, ±∞ and NaN; then a dense sweep of [−12, 12]. Contiguous lengths that are multiples of every vector
     * width, so the values go through the vector loop and not the scalar tail.
     */
    @Test
    void tanhEdgeCasesMatchTheReference() {
        float s = 0x1p-12f;
        float[] edge = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 1e-30f, -1e-30f, 1e-7f, -1e-7f,
                s, -s, Math.nextDown(s), -Math.nextDown(s), Math.nextUp(s), -Math.nextUp(s), 2 * s, -2 * s, 0.5f, -0.5f,
                1f, -1f, 8.3f, -8.3f, 9.01f, -9.01f, 10f, -10f, 20f, -20f, 60f, -60f, 61f, -61f, 100f, -100f, 1e10f, -1e10f,
                Float.NaN, 3f, -3f, 0.1f, -0.1f};
        float[] xs = java.util.Arrays.copyOf(edge, 64);
        Twin x = Twin.of("tanh edge values", xs, xs.length);
        Tensor out = x.t().tanh();
        Compare.ulps("tanh of edge values", Ref.map(x.r(), Math::tanh), out, 4);
        float[] o = out.toFloatArray();
        assertEquals(0, Float.floatToRawIntBits(o[0]), "tanh(+0) is +0");
        assertEquals(0x80000000, Float.floatToRawIntBits(o[1]), "tanh(-0) is -0");
        float[] sweep = new float[24576];
        for (int i = 0; i < sweep.length; i++) sweep[i] = -12f + 24f * i / sweep.length;
        Twin w = Twin.of("tanh sweep", sweep, sweep.length);
        Compare.ulps("tanh sweep", Ref.map(w.r(), Math::tanh), w.t().tanh(), 4);
        float[] small = new float[4096];
        for (int i = 0; i < small.length; i++) small[i] = (i - 2048) * 0x1p-21f;
        Twin sm = Twin.of("tanh near 0", small, small.length);
        Compare.ulps("tanh near 0", Ref.map(sm.r(), Math::tanh), sm.t().tanh(), 4);
    }

    /**
     * GELU's derivative (the vectorised kernel GELU's backward uses) against the float64 reference: 4 ulps of the
     * result plus 4·2⁻²⁴ of the summed terms' size, since Φ(x) and x·φ(x) cancel near the root x ≈ −0.7518, where
     * no float32 evaluation can be relatively accurate. Odd sizes around the vector width, strided views, the far
     * negative tail, the root and special values.
     */
    @Test
    void geluGradMatchesTheReference() {
        List<Twin> cases = new java.util.ArrayList<>();
        for (int n : new int[]{1, 3, 7, 8, 9, 15, 16, 17, 33, 1031})
            cases.addAll(Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 8), n));
        cases.addAll(Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 6), 7, 33));
        for (Twin.Values v : List.of(Twin.Values.SPECIAL, Twin.Values.WIDE, Twin.Values.scaled(Twin.Values.UNIFORM, 25)))
            cases.add(Twin.random(rng, v, 4099));
        float[] tail = new float[301];
        for (int i = 0; i < tail.length; i++) tail[i] = -4f - i * 0.05f;
        cases.add(Twin.of("tail", tail, tail.length));
        float[] root = new float[257];
        for (int i = 0; i < root.length; i++) root[i] = Math.nextUp(-0.7518f + (i - 128) * 1e-5f);
        cases.add(Twin.of("near the root", root, root.length));
        for (Twin x : cases) {
            RefTensor bound = Ref.map(x.r(), v -> 4 * Math.ulp((float) RefSpecial.geluGrad(v)) + 4 * 0x1p-24 * RefSpecial.geluGradTerms(v));
            Compare.bounded("geluGrad of " + x.name(), Ref.map(x.r(), RefSpecial::geluGrad), x.t().geluGrad(), bound);
        }
    }

    /**
     * GELU's fused backward gives exactly the values of its two ops, {@code g.mul(x.geluGrad())} (tested against
     * the float64 reference above): every layout of x and of g (strided ones take the composed path), sizes around
     * the vector width, special values, and a row long enough to be split into chunks over the pool.
     */
    @Test
    void geluBackwardHasTheBitsOfGeluGradTimesTheGradient() {
        List<Twin> xs = new ArrayList<>();
        for (int n : new int[]{1, 15, 16, 17, 33, 1031}) xs.addAll(Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 8), n));
        xs.addAll(Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 6), 7, 33));
        for (Twin.Values v : List.of(Twin.Values.SPECIAL, Twin.Values.WIDE, Twin.Values.scaled(Twin.Values.UNIFORM, 25)))
            xs.add(Twin.random(rng, v, 4099));
        xs.add(Twin.random(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 4), 300_001));
        for (Twin x : xs) {
            for (Twin g : List.of(Twin.random(rng, x.t().shape()), Twin.layouts(rng, x.t().shape()).getLast())) {
                float[] want = g.t().mul(x.t().geluGrad()).toFloatArray(), got = x.t().geluBackward(g.t()).toFloatArray();
                for (int i = 0; i < want.length; i++)
                    assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                            "geluBackward of " + x.name() + " with g " + g.name() + " at " + i + ": " + got[i] + " vs " + want[i]);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(3, 4).geluBackward(Tensor.zeros(4, 3)));
        assertTrue(e.getMessage().contains("[4, 3]") && e.getMessage().contains("[3, 4]"), e.getMessage());
    }

    static final int[][][] BROADCAST_PAIRS = {
            {{7, 33}, {7, 33}}, {{7, 33}, {33}}, {{33}, {7, 33}}, {{3, 1, 5}, {4, 5}}, {{1}, {1031}}, {{}, {2, 3}}, {{2, 3}, {}},
            {{2, 1, 3, 1}, {1, 4, 1, 5}}, {{6, 1, 1, 1, 1, 2}, {1, 2, 3, 1, 2, 1}}, {{0, 3}, {3}}, {{1, 0}, {4, 1}}};

    @Test
    void binaryOpsBroadcastOnEveryLayout() {
        for (int[][] pair : BROADCAST_PAIRS) {
            List<Twin> as = Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 3), pair[0]);
            List<Twin> bs = Twin.layouts(rng, Twin.Values.scaled(Twin.Values.UNIFORM, 3), pair[1]);
            for (int i = 0; i < as.size(); i++)
                for (Twin b : List.of(bs.get(0), bs.get(bs.size() - 1), bs.get(i % bs.size()))) {
                    Twin a = as.get(i);
                    for (Binary op : BINARY) {
                        Tensor out = op.op().apply(new Tensor[]{a.t(), b.t()});
                        Compare.ulps(op.name() + "(" + a.name() + ", " + b.name() + ")", Ref.zip(a.r(), b.r(), op.ref()), out, op.ulps());
                    }
                }
        }
    }

    @Test
    void binaryOpsOnSpecialValuesIncludingTiesAndEqualOperands() {
        Twin a = Twin.random(rng, Twin.Values.SPECIAL, 37, 41), b = Twin.random(rng, Twin.Values.SPECIAL, 41);
        Twin ties = Twin.random(rng, Twin.Values.ints(-2, 3), 37, 41), ties2 = Twin.random(rng, Twin.Values.ints(-2, 3), 37, 1);
        for (Binary op : BINARY) {
            Compare.ulps(op.name() + " special", Ref.zip(a.r(), b.r(), op.ref()), op.op().apply(new Tensor[]{a.t(), b.t()}), op.ulps());
            Compare.ulps(op.name() + " ties", Ref.zip(ties.r(), ties2.r(), op.ref()), op.op().apply(new Tensor[]{ties.t(), ties2.t()}), op.ulps());
            Compare.ulps(op.name() + " with itself", Ref.zip(a.r(), a.r(), op.ref()), op.op().apply(new Tensor[]{a.t(), a.t()}), op.ulps());
        }
    }

    @Test
    void scalarOperandsBroadcastLikeRankZeroTensors() {
        for (Twin x : Twin.layouts(rng, 5, 7)) {
            Compare.exact("add(2.5)", Ref.map(x.r(), v -> v + 2.5), x.t().add(2.5));
            Compare.exact("sub(-1)", Ref.map(x.r(), v -> v + 1), x.t().sub(-1));
            Compare.exact("mul(0.1f)", Ref.map(x.r(), v -> v * (float) 0.1), x.t().mul(0.1));
            Compare.exact("div(3)", Ref.map(x.r(), v -> v / 3), x.t().div(3));
            Compare.exact("gt(0.25)", Ref.map(x.r(), v -> v > 0.25 ? 1 : 0), x.t().gt(0.25));
            Compare.exact("lt(0.25)", Ref.map(x.r(), v -> v < 0.25 ? 1 : 0), x.t().lt(0.25));
        }
    }

    @Test
    void whereSelectsWithBroadcasting() {
        for (int[][] shapes : new int[][][]{{{7, 33}, {7, 33}, {7, 33}}, {{7, 1}, {33}, {7, 33}}, {{2, 1, 5}, {3, 1}, {1}}, {{}, {4}, {3, 4}}}) {
            Twin c1 = Twin.random(rng, shapes[0]), c2 = Twin.random(rng, shapes[0]);
            Tensor cond = c1.t().gt(c2.t());
            RefTensor condRef = Ref.zip(c1.r(), c2.r(), (x, y) -> x > y ? 1 : 0);
            for (Twin a : Twin.layouts(rng, shapes[1])) {
                Twin b = Twin.random(rng, shapes[2]);
                Compare.exact("where(" + a.name() + ")", Ref.where(condRef, a.r(), b.r()), Tensor.where(cond, a.t(), b.t()));
            }
        }
        // A non-contiguous condition (transposed and step-sliced bits).
        Twin c1 = Twin.random(rng, 9, 40), c2 = Twin.random(rng, 9, 40);
        Tensor cond = c1.t().ge(c2.t()).transpose(0, 1).slice(0, 1, 40, 3);
        RefTensor condRef = Ref.slice(Ref.transpose(Ref.zip(c1.r(), c2.r(), (x, y) -> x >= y ? 1 : 0), 0, 1), 0, 1, 40, 3);
        Twin a = Twin.random(rng, 13, 9), b = Twin.random(rng, 9);
        Compare.exact("where(strided bits)", Ref.where(condRef, a.r(), b.r()), Tensor.where(cond, a.t(), b.t()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.where(a.t(), a.t(), b.t()));
        assertTrue(e.getMessage().contains("where") && e.getMessage().contains("BIT"), e.getMessage());
    }

    /**
     * gt/lt masks and where take 32 elements per mask word when a row's bits start a word: long rows (split over the
     * pool in chunks), rows on (64 wide) and off (37 wide, a transposed operand keeps them separate) word boundaries,
     * a broadcast operand on either side, word tails, and NaN / ±0 / equal pairs planted throughout.
     */
    @Test
    void comparisonMasksAndWhereWordAtATime() {
        for (int[] shape : new int[][]{{300_007}, {6, 64}, {5, 37}}) {
            int n = 1;
            for (int d : shape) n *= d;
            float[] xv = Twin.draw(rng, Twin.Values.SPECIAL, n), yv = Twin.draw(rng, Twin.Values.SPECIAL, n);
            for (int i = 0; i < n; i += 7) yv[i] = xv[i];   // equal pairs; SPECIAL brings NaN and ±0

            Twin x = Twin.of("x", xv, shape), y = Twin.of("y", yv, shape);
            List<Twin[]> pairs = new ArrayList<>(List.of(new Twin[]{x, y}, new Twin[]{x, Twin.of("0", new float[]{0f})},
                    new Twin[]{Twin.of("0.5", new float[]{0.5f}), y}));
            if (shape.length == 2) { // a transposed copy of y: same values, rows no longer merge
                pairs.add(new Twin[]{x, new Twin("yT", y.t().transpose(0, 1).contiguous().transpose(0, 1), y.r())});
            }
            for (Twin[] p : pairs) {
                String w = p[0].name() + "," + p[1].name() + " " + java.util.Arrays.toString(shape);
                RefTensor gt = Ref.zip(p[0].r(), p[1].r(), (a, b) -> a > b ? 1 : 0);
                Compare.exact("gt(" + w + ")", gt, p[0].t().gt(p[1].t()));
                Compare.exact("lt(" + w + ")", Ref.zip(p[0].r(), p[1].r(), (a, b) -> a < b ? 1 : 0), p[0].t().lt(p[1].t()));
                Tensor mask = p[0].t().gt(p[1].t());
                Compare.exact("where(" + w + ")", Ref.where(gt, p[0].r(), p[1].r()), Tensor.where(mask, p[0].t(), p[1].t()));
                Compare.exact("where(" + w + ", 0)", Ref.where(gt, p[0].r(), Ref.map(p[0].r(), v -> 0)),
                        Tensor.where(mask, p[0].t(), Tensor.scalar(0f)));
            }
        }
    }

    /**
     * Enough rows and elements for the CPU loops to split rows over the pool: a transposed copy (scalar strided rows),
     * a bias broadcast over many short rows (vector rows), a unary op and a strided binary op on transposed views,
     * a 3-D view whose blocks start mid-way through the outer dimensions. Same values as the float64 reference.
     */
    @Test
    void manyRowsSplitOverThePoolMatchTheReference() {
        Twin x = Twin.random(rng, 700, 150), bias = Twin.random(rng, 150), z = Twin.random(rng, 150, 700);
        Compare.exact("contiguous(xᵀ)", Ref.transpose(x.r(), 0, 1), x.t().transpose(0, 1).contiguous());
        Compare.exact("x + bias", Ref.zip(x.r(), bias.r(), Double::sum), x.t().add(bias.t()));
        Compare.exact("relu(zᵀ)", Ref.map(Ref.transpose(z.r(), 0, 1), v -> Math.max(v, 0)), z.t().transpose(0, 1).relu());
        Compare.exact("x · zᵀ (elementwise)", Ref.zip(x.r(), Ref.transpose(z.r(), 0, 1), (a, b) -> a * b),
                x.t().mul(z.t().transpose(0, 1)));
        Twin w = Twin.random(rng, 7, 90, 130);
        RefTensor wp = Ref.permute(w.r(), 2, 0, 1);
        Compare.exact("contiguous(permute(w))", wp, w.t().permute(2, 0, 1).contiguous());
    }

    @Test
    void inPlaceArithmeticMatchesOutOfPlace() {
        for (Twin x : Twin.layouts(rng, 6, 35)) {
            Twin y = Twin.random(rng, 35);
            Tensor base = x.t().copy();
            Tensor ip = x.t().copy();
            ip.addInPlace(y.t());
            Compare.exact("addInPlace", Ref.zip(x.r(), y.r(), Double::sum), ip);
            ip.mulInPlace(0.75);
            Compare.exact("mulInPlace", Ref.map(Ref.zip(x.r(), y.r(), (p, q) -> (float) (p + q)), v -> v * 0.75), ip);
            Compare.exact("copy untouched", x.r(), base);
        }
    }

    @Test
    void clampRefusesBadBounds() {
        Tensor t = Tensor.zeros(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.clamp(1, 0));
        assertTrue(e.getMessage().contains("clamp"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.clamp(Double.NaN, 0));
        Compare.exact("clamp to a point", Ref.map(RefTensor.zeros(3), v -> 0.5), t.clamp(0.5, 0.5));
    }
}
