package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised erf, GELU and GELU's derivative over contiguous float rows, in float lanes (16 per AVX-512 vector;
 * the earlier version ran in double lanes, 8 per vector plus conversions, about twice the work).
 *
 * <p>erfc(a) for 0 <= a <= 9.2 is written S·exp(−a²) with S = erfc(a)·exp(a²), a smooth function of
 * t = 2/(2 + a) (the substitution of Numerical Recipes' erfc) on t in [0.178, 1]: a degree-10 polynomial in
 * v = t − 1/8 (relative error 4.6e-9 with its float coefficients, ~0.08 ulp; scripts/fit-float-kernels.py fits them
 * against mpmath). Expanding about 1/8, below the interval, keeps every term's sign pattern benign (Horner's
 * rounding is not amplified; about the interval's middle it was, 17×), and v = t − 1/8 is exact. Float has no
 * precision to spare (the op tests allow 4 ulp), so each rounding on the way counts:
 * <ul>
 * <li>t is computed as k/(k + |x|) (k = 2 for erf, 2√2 for the GELUs: no rounded a = |x|/√2), and its rounding
 *     error, which S amplifies up to 2.3× near a = 0, is recovered by a Newton step and added as c·S'(v);
 * <li>exp(−a²) is the one place where an input error would be amplified (by 2a², up to 170): x² is split exactly,
 *     hi + lo = x·x with lo = fma(x, x, −hi), and −a² = m·hi + m·lo (m = −1 for erf, −½ for the GELUs, both
 *     products exact) enters {@link VectorMath#exp}'s reduction as r = (m·hi − n·ln2_hi) + (m·lo − n·ln2_lo);
 * <li>e^r is never formed: z·exp(−a²) = (z + (z·r)·p)·2ⁿ with e^r = 1 + r·p, one rounding in the fma.
 * </ul>
 * One exp serves both Φ and φ in GELU'. Then, with Φ(−|x|) = ½·S·exp(−x²/2):
 * <ul>
 * <li>GELU = x·Φ(x): (x/2)·S·exp(−x²/2) for x <= 0 (nothing subtracted: the negative tail keeps its relative
 *     accuracy; (x/2)·S is exact inside the fma), x − that by one fma for x > 0 (the result is at least x/2);
 * <li>GELU' = Φ(x) + x·φ(x) = g·(x/√(2π) + S/2) for x < 0 and 1 + g·(x/√(2π) − S/2) for x >= 0, g = exp(−x²/2);
 * <li>erf: its Maclaurin series as x·P(x²) (degree 5, fitted, 1.2e-11) below |x| = 0.5, and ±(1 − S·exp(−x²))
 *     above (erfc(0.5) < 0.48, so the difference loses nothing).
 * </ul>
 * Max error over every 97th float in [−20, 20] (TranscendentalSweepTest sweeps sparser, with the 4-ulp bound):
 * GELU 3.0 ulp, erf 2.4, GELU' 2.5 away from its root (where the test's bound allows for the terms' cancellation).
 * Blocks holding |x| > 9.2 (erf) or > 13.01 (GELUs; results there are ±1, x, 0 or subnormal) or NaN go to the scalar
 * reference path, so special values behave exactly as before.
 *
 * <p>The three functions share one loop ({@link #range}), the per-op part being the last few lines. The loop calls
 * only Vector-API methods (which C2 always inlines) and no helper of ours, load and store included: the loop's IR
 * is large enough to hit C2's NodeCountInliningCutoff, and a helper it then refuses to inline takes its vector
 * boxed, one heap allocation per vector (measured with the earlier double version: 11 ms per 4M floats after one
 * compilation, 500–580 ms after the next).
 */
final class VectorErf {
    private VectorErf() {}

    private static final VectorSpecies<Float> FS = VectorMath.FS;
    private static final int FL = VectorMath.FL;
    private static final int ERF = 0, GELU = 1, GELU_GRAD = 2, GELU_BACKWARD = 3;
    /** Largest a = |x|·(1 or √½) the polynomial covers (t = 2/(2 + a) >= 0.1786). */
    private static final float A_LIMIT = 9.2f;
    private static final float SQRT_HALF = 0.7071067690849304f;
    /** 2√2 rounded to float (1.7e-8 relative low, ~0.3 ulp): t = 2/(2 + |x|/√2) is computed as k/(k + |x|). */
    private static final float TWO_SQRT_2 = 2.8284270763397217f;
    private static final float INV_SQRT_2PI = 0.3989422917366028f;
    /** S(v) = erfc(a)·exp(a²) = Σ S_k·v^k, v = t − 1/8 (float coefficients fitted in turn, see the class comment). */
    private static final float S0 = 0.040197309106588364f, S1 = 0.36566123366355896f, S2 = 0.39287447929382324f,
            S3 = 0.3459077477455139f, S4 = 0.23382478952407837f, S5 = 0.0023014117032289505f,
            S6 = 0.09862418472766876f, S7 = -0.45704856514930725f, S8 = 0.44230857491493225f,
            S9 = -0.1847437620162964f, S10 = 0.029883861541748047f;
    /** S'(v) ≈ D0 + D1·v + D2·v² (relative error 0.4 %, enough for the correction term c·S'). */
    private static final float D0 = 0.37297165393829346f, D1 = 0.6412037014961243f, D2 = 1.7356312274932861f;
    /** erf(x) = x·Σ P_k·x^(2k) for |x| < 0.5. */
    private static final float P0 = 1.128379225730896f, P1 = -0.37612637877464294f, P2 = 0.11283773928880692f,
            P3 = -0.02686312049627304f, P4 = 0.005200308281928301f, P5 = -0.0007692852523177862f;

    /** o = GELU(in) = x·Φ(x). Returns how many leading elements it wrote (a multiple of the vector length). */
    static int geluRange(float[] in, int ii, float[] o, int oi, int len, UnaryOp op) {
        return range(GELU, in, ii, null, 0, o, oi, len, op);
    }

    /** o = GELU'(in) = Φ(x) + x·φ(x). Returns how many leading elements it wrote (a multiple of the vector length). */
    static int geluGradRange(float[] in, int ii, float[] o, int oi, int len, UnaryOp op) {
        return range(GELU_GRAD, in, ii, null, 0, o, oi, len, op);
    }

    /** o = erf(in). Returns how many leading elements it wrote (a multiple of the vector length). */
    static int erfRange(float[] in, int ii, float[] o, int oi, int len, UnaryOp op) {
        return range(ERF, in, ii, null, 0, o, oi, len, op);
    }

    /**
     * o = g · GELU'(in), GELU' rounded to float first (the values of geluGrad then a product). Returns how many
     * leading elements it wrote (a multiple of the vector length).
     */
    static int geluBackwardRange(float[] in, int ii, float[] g, int gi, float[] o, int oi, int len) {
        return range(GELU_BACKWARD, in, ii, g, gi, o, oi, len, UnaryOp.GELU_GRAD);
    }

    /** g (at gi) is read by GELU_BACKWARD only. */
    private static int range(int mode, float[] in, int ii, float[] g, int gi, float[] o, int oi, int len, UnaryOp op) {
        float k = mode == ERF ? 2f : TWO_SQRT_2;   // t = k/(k + |x|)
        float invK = 1f / k;
        float xLimit = mode == ERF ? A_LIMIT : A_LIMIT / SQRT_HALF;
        float m = mode == ERF ? -1f : -0.5f;   // −a² = m·x²
        int i = 0;
        for (; i + FL <= len; i += FL) {
            FloatVector x = FloatVector.fromArray(FS, in, ii + i);
            FloatVector ax = x.abs();
            if (ax.compare(VectorOperators.LE, xLimit).allTrue()) {
                FloatVector kv = FloatVector.broadcast(FS, k);
                FloatVector d = ax.add(k);
                FloatVector t = kv.div(d);
                // t's own rounding would cost up to 1.2 ulp of S (S amplifies t's relative error by up to 2.3), so its
                // remainder is kept: exact t = t + c, c = (k − t·(k + |x|))/(k + |x|) by one Newton step (d + dlo =
                // k + |x| exactly by two-sum, k − t·d exact under fma), and S(v + c) is taken as S(v) + c·S'(v), with
                // S' from a quadratic fit (0.4 % relative: c is below half an ulp of t, so that is plenty).
                FloatVector bp = d.sub(ax);
                FloatVector dlo = ax.sub(d.sub(bp)).add(kv.sub(bp));
                FloatVector rho = t.neg().fma(dlo, t.neg().fma(d, kv));
                FloatVector c = rho.mul(t).mul(invK);
                FloatVector v = t.sub(0.125f);   // exact for t in [1/8, 1]
                FloatVector vv = v.mul(v);
                FloatVector se = vv.fma(FloatVector.broadcast(FS, S10), FloatVector.broadcast(FS, S8));
                FloatVector so = vv.fma(FloatVector.broadcast(FS, S9), FloatVector.broadcast(FS, S7));
                se = se.fma(vv, FloatVector.broadcast(FS, S6));
                so = so.fma(vv, FloatVector.broadcast(FS, S5));
                se = se.fma(vv, FloatVector.broadcast(FS, S4));
                so = so.fma(vv, FloatVector.broadcast(FS, S3));
                se = se.fma(vv, FloatVector.broadcast(FS, S2));
                so = so.fma(vv, FloatVector.broadcast(FS, S1));
                se = se.fma(vv, FloatVector.broadcast(FS, S0));
                FloatVector ds = v.fma(FloatVector.broadcast(FS, D2), FloatVector.broadcast(FS, D1)).fma(v, FloatVector.broadcast(FS, D0));
                FloatVector ex = c.fma(ds, so.fma(v, se));   // S = erfc(a)·exp(a²)
                FloatVector hi = x.mul(x);
                FloatVector lo = x.fma(x, hi.neg());   // x² = hi + lo exactly
                FloatVector gx = hi.mul(m);
                FloatVector gt = gx.fma(VectorMath.LOG2E, VectorMath.ROUND);
                FloatVector gn = gt.sub(VectorMath.ROUND);
                // r = m·x² − n·ln 2 with a single rounding: the small parts (m·lo exact, n·ln2_lo) summed first.
                FloatVector gr = gn.fma(FloatVector.broadcast(FS, -VectorMath.LN2_HI), gx)
                        .add(gn.fma(FloatVector.broadcast(FS, -VectorMath.LN2_LO), lo.mul(m)));
                FloatVector gp = gr.fma(FloatVector.broadcast(FS, VectorMath.Q4), FloatVector.broadcast(FS, VectorMath.Q3));
                gp = gp.fma(gr, FloatVector.broadcast(FS, VectorMath.Q2));
                gp = gp.fma(gr, FloatVector.broadcast(FS, VectorMath.Q1));
                gp = gp.fma(gr, FloatVector.broadcast(FS, VectorMath.Q0));
                gp = gp.fma(gr, FloatVector.broadcast(FS, 1f));   // e^r = 1 + r·gp
                FloatVector scale = (FloatVector) ((IntVector) gt.reinterpretAsInts()).sub(VectorMath.ROUND_BITS).add(127)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();   // 2ⁿ, a normal float
                // Each product z·exp(−a²) below is (z + (z·r)·gp)·2ⁿ: the fma is its one significant rounding
                // (forming e^r first, then multiplying, would round twice).
                FloatVector y;
                if (mode == ERF) {
                    FloatVector erfc = ex.mul(gr).fma(gp, ex);   // erfc(|x|)·2⁻ⁿ
                    FloatVector big = erfc.neg().fma(scale, FloatVector.broadcast(FS, 1f));   // erf(|x|) = 1 − erfc(|x|)
                    big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
                    FloatVector q = hi.fma(FloatVector.broadcast(FS, P5), FloatVector.broadcast(FS, P4));
                    q = q.fma(hi, FloatVector.broadcast(FS, P3));
                    q = q.fma(hi, FloatVector.broadcast(FS, P2));
                    q = q.fma(hi, FloatVector.broadcast(FS, P1));
                    q = q.fma(hi, FloatVector.broadcast(FS, P0));
                    y = big.blend(x.mul(q), ax.compare(VectorOperators.LT, 0.5f));
                } else if (mode == GELU) {
                    // x·Φ(−|x|)·2⁻ⁿ = (x/2)·S + (x/2)·S·r·gp, the first product exact inside the fma.
                    FloatVector hx = x.mul(0.5f);
                    FloatVector xhg = hx.fma(ex, hx.mul(ex).mul(gr).mul(gp));
                    y = xhg.mul(scale).blend(xhg.neg().fma(scale, x), x.compare(VectorOperators.GT, 0f));
                } else {
                    FloatVector h = ex.mul(0.5f);
                    VectorMask<Float> pos = x.compare(VectorOperators.GE, 0f);
                    FloatVector w = x.fma(FloatVector.broadcast(FS, INV_SQRT_2PI), h.blend(h.neg(), pos));
                    FloatVector wg = w.mul(gr).fma(gp, w);
                    y = wg.mul(scale).blend(wg.fma(scale, FloatVector.broadcast(FS, 1f)), pos);
                    if (mode == GELU_BACKWARD) y = y.mul(FloatVector.fromArray(FS, g, gi + i));
                }
                y.intoArray(o, oi + i);
            } else if (mode == GELU_BACKWARD) {
                for (int j = i; j < i + FL; j++) o[oi + j] = (float) CpuElementwise.apply(op, in[ii + j], 0, 0) * g[gi + j];
            } else {
                for (int j = i; j < i + FL; j++) o[oi + j] = (float) CpuElementwise.apply(op, in[ii + j], 0, 0);
            }
        }
        return i;
    }
}
