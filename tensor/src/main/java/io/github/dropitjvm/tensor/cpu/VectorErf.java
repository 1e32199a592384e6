package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.UnaryOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised erf, GELU and GELU's derivative over contiguous float rows, in double lanes (as {@link VectorMath}).
 *
 * <p>erfc(a) for 0 <= a <= 9.2 is written t·R(t)·exp(−a²) with t = 2/(2 + a) (the substitution of Numerical
 * Recipes' erfc): R = erfc(a)·exp(a²)/t is smooth on t in [0.17, 1] and is a degree-13 polynomial in
 * u = (2t − 1.17)/0.83, fitted by relative least squares on 600 Chebyshev nodes against mpmath's erfc at 40
 * digits (max relative error of R 1.8e-11 on a 4001-point grid, evaluated as the loop does). exp(−a²) uses
 * {@link VectorMath#exp}'s reduction with the Taylor polynomial cut at degree 10 (< 3e-12 relative). Both errors
 * are ~1e-4 of a float ulp: the float result is the correctly rounded one except for rare near-ties. −a² is exact
 * (x² of a float x, times −1 or −½), so one exp serves both Φ and φ in GELU'. Then Φ(x) = erfc(|x|/√2)/2 (or
 * 1 − that for x >= 0), GELU = x·Φ(x) and GELU' = Φ(x) + x·φ(x); the negative tail keeps its relative accuracy
 * because nothing is subtracted from 1 there. erf uses its Maclaurin series to degree 23 below |x| = 0.5
 * (truncation < 1e-17 relative) and ±(1 − erfc(|x|)) above. Blocks holding a > 9.2 (|x| > 9.2 for erf, > 13.01 for
 * the GELUs: results there are ±1, x, 0 or subnormal) or NaN go to the scalar reference path, so special values
 * behave exactly as before.
 *
 * <p>The three functions share one loop ({@link #range}), the per-op part being the last few lines. The loop calls
 * only Vector-API methods (which C2 always inlines) and no helper of ours, load and store included: the loop's IR
 * is large enough to hit C2's NodeCountInliningCutoff, and a helper it then refuses to inline (measured: the
 * {@code VectorMath.store} at the loop's end) takes its vector boxed, one heap allocation per 8 elements — 11 ms
 * per 4M floats after one compilation, 500–580 ms after the next.
 */
final class VectorErf {
    private VectorErf() {}

    private static final VectorSpecies<Double> DS = VectorMath.DS;
    private static final VectorSpecies<Float> FH = VectorMath.FH;
    private static final int DL = VectorMath.DL;
    private static final int ERF = 0, GELU = 1, GELU_GRAD = 2;
    /** Largest a = |x|·scale the polynomial covers (t = 2/(2 + a) >= 0.1786 > 0.17). */
    private static final double A_LIMIT = 9.2;
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2 * Math.PI);
    private static final double U_SCALE = 2.4096385542168677, U_SHIFT = -1.4096385542168675;
    private static final double LOG2E = 1.4426950408889634;
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    private static final double ROUND = 0x1.8p52;
    private static final long ROUND_BITS = Double.doubleToRawLongBits(ROUND);

    /** o = GELU(in) = x·Φ(x). Returns how many leading elements it wrote (a multiple of the vector length). */
    static int geluRange(float[] in, int ii, float[] o, int oi, int len, UnaryOp op) {
        return range(GELU, in, ii, o, oi, len, op);
    }

    /** o = GELU'(in) = Φ(x) + x·φ(x). Returns how many leading elements it wrote (a multiple of the vector length). */
    static int geluGradRange(float[] in, int ii, float[] o, int oi, int len, UnaryOp op) {
        return range(GELU_GRAD, in, ii, o, oi, len, op);
    }

    /** o = erf(in). Returns how many leading elements it wrote (a multiple of the vector length). */
    static int erfRange(float[] in, int ii, float[] o, int oi, int len, UnaryOp op) {
        return range(ERF, in, ii, o, oi, len, op);
    }

    private static int range(int mode, float[] in, int ii, float[] o, int oi, int len, UnaryOp op) {
        double scale = mode == ERF ? 1.0 : SQRT_HALF;
        double negSquare = mode == ERF ? -1.0 : -0.5;   // −a² = negSquare·x², exact
        int i = 0;
        for (; i + DL <= len; i += DL) {
            DoubleVector x = (DoubleVector) FloatVector.fromArray(FH, in, ii + i).convertShape(VectorOperators.F2D, DS, 0);
            DoubleVector a = x.abs().mul(scale);
            if (a.compare(VectorOperators.LE, A_LIMIT).allTrue()) {
                DoubleVector t = DoubleVector.broadcast(DS, 2.0).div(a.add(2.0));
                DoubleVector u = t.fma(U_SCALE, U_SHIFT);
                DoubleVector sv = u.mul(u);
                DoubleVector se = DoubleVector.broadcast(DS, -1.1082241028246732e-07);
                DoubleVector so = DoubleVector.broadcast(DS, 3.2870822830538006e-07);
                se = se.fma(sv, DoubleVector.broadcast(DS, 5.129206045586552e-06));
                so = so.fma(sv, DoubleVector.broadcast(DS, -3.0376842266115306e-06));
                se = se.fma(sv, DoubleVector.broadcast(DS, -6.355746328668641e-05));
                so = so.fma(sv, DoubleVector.broadcast(DS, 1.3344458279218821e-05));
                se = se.fma(sv, DoubleVector.broadcast(DS, 0.0005818874325984837));
                so = so.fma(sv, DoubleVector.broadcast(DS, -3.5919750147514744e-06));
                se = se.fma(sv, DoubleVector.broadcast(DS, -0.00606825351818612));
                so = so.fma(sv, DoubleVector.broadcast(DS, -0.0005908312985035873));
                se = se.fma(sv, DoubleVector.broadcast(DS, 0.1012855671119522));
                so = so.fma(sv, DoubleVector.broadcast(DS, 0.0057937395138078825));
                se = se.fma(sv, DoubleVector.broadcast(DS, 0.5733184987163832));
                so = so.fma(sv, DoubleVector.broadcast(DS, 0.3257308876318723));
                DoubleVector s = so.fma(u, se);
                DoubleVector gx = x.mul(x).mul(negSquare).max(-120.0);
                DoubleVector gt = gx.fma(LOG2E, ROUND);
                DoubleVector gn = gt.sub(ROUND);
                DoubleVector gr = gn.fma(DoubleVector.broadcast(DS, -LN2_HI), gx);
                gr = gn.fma(DoubleVector.broadcast(DS, -LN2_LO), gr);
                DoubleVector gp = gr.fma(DoubleVector.broadcast(DS, 1.0 / 3628800), DoubleVector.broadcast(DS, 1.0 / 362880));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 1.0 / 40320));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 1.0 / 5040));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 1.0 / 720));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 1.0 / 120));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 1.0 / 24));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 1.0 / 6));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 0.5));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 1.0));
                gp = gp.fma(gr, DoubleVector.broadcast(DS, 1.0));
                DoubleVector g = gp.mul((DoubleVector) ((LongVector) gt.reinterpretAsLongs()).sub(ROUND_BITS).add(1023)
                        .lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles());   // exp(−a²)
                DoubleVector erfc = t.mul(s).mul(g);
                if (mode == ERF) {
                    DoubleVector big = DoubleVector.broadcast(DS, 1.0).sub(erfc);
                    big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0.0));
                    DoubleVector xx = x.mul(x);
                    DoubleVector q = DoubleVector.broadcast(DS, -1.2290555301717926e-09);
                    q = q.fma(xx, DoubleVector.broadcast(DS, 1.4807192815879218e-08));
                    q = q.fma(xx, DoubleVector.broadcast(DS, -1.6365844691234924e-07));
                    q = q.fma(xx, DoubleVector.broadcast(DS, 1.6462114365889246e-06));
                    q = q.fma(xx, DoubleVector.broadcast(DS, -1.492565035840625e-05));
                    q = q.fma(xx, DoubleVector.broadcast(DS, 0.00012055332981789664));
                    q = q.fma(xx, DoubleVector.broadcast(DS, -0.0008548327023450852));
                    q = q.fma(xx, DoubleVector.broadcast(DS, 0.005223977625442188));
                    q = q.fma(xx, DoubleVector.broadcast(DS, -0.026866170645131252));
                    q = q.fma(xx, DoubleVector.broadcast(DS, 0.11283791670955126));
                    q = q.fma(xx, DoubleVector.broadcast(DS, -0.37612638903183754));
                    q = q.fma(xx, DoubleVector.broadcast(DS, 1.1283791670955126));
                    DoubleVector y = big.blend(x.mul(q), a.compare(VectorOperators.LT, 0.5));
                    ((FloatVector) y.convertShape(VectorOperators.D2F, FH, 0)).intoArray(o, oi + i);
                } else {
                    DoubleVector halfE = erfc.mul(0.5);   // Φ(−|x|)
                    DoubleVector cdf = halfE.blend(DoubleVector.broadcast(DS, 1.0).sub(halfE), x.compare(VectorOperators.GE, 0.0));
                    DoubleVector y = mode == GELU ? x.mul(cdf) : x.mul(g).fma(DoubleVector.broadcast(DS, INV_SQRT_2PI), cdf);
                    ((FloatVector) y.convertShape(VectorOperators.D2F, FH, 0)).intoArray(o, oi + i);
                }
            } else {
                for (int j = i; j < i + DL; j++) o[oi + j] = (float) CpuElementwise.apply(op, in[ii + j], 0, 0);
            }
        }
        return i;
    }
}
