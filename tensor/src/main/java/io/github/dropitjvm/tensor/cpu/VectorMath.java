package io.github.dropitjvm.tensor.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised helpers of the float32 kernels: float↔double lane conversion (for the reductions, which accumulate in
 * double) and exp and sigmoid in float lanes.
 *
 * <p>exp works in float lanes (twice as many per vector as double, and no conversions), with a polynomial just
 * accurate enough for a float result: x clamped to [−104, 89] (beyond, the float result is 0 or ∞ anyway; NaN
 * passes through), n = round(x·log₂e) by the 1.5·2²³ trick, r = x − n·ln 2 with ln 2 in two floats (the first
 * step exact under fma: x − n·ln2_hi fits 24 bits whenever n ≠ 0), e^r = 1 + r + r²·q(r) with q a degree-4
 * relative near-minimax fit on |r| <= ln2/2 + 0.001 (fit error 3.1e-9, ~0.05 ulp; the Horner rounding adds under
 * an ulp). 2ⁿ is applied as 2^⌊n/2⌋·2^(n−⌊n/2⌋), two exact-exponent factors, so n down to −150 (a subnormal or zero
 * result, rounded once by the second multiply) and up to 128 (∞) need no branch. Coefficients:
 * scripts/fit-float-kernels.py. Max error over every 97th float in [−20, 20]: exp 0.88 ulp, sigmoid 2.3 ulp (the op
 * tests allow 4; TranscendentalSweepTest sweeps the whole float range).
 *
 * <p>{@link #exp} and {@link #sigmoid} are helpers for the small exp and sigmoid loops, where C2 inlines them
 * (checked with -XX:+PrintInlining); the large loops (tanh, {@link VectorErf}) write exp out instead, since a helper
 * C2 declines to inline there (NodeCountInliningCutoff) is called with boxed vectors, 10-30× slower.
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    /** Floats per double vector: loads and stores of this species convert lane for lane. */
    static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(DS.vectorBitSize() / 2));
    static final int DL = DS.length();
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    static final int FL = FS.length();

    // exp's constants, shared with the kernels that write exp out inline (tanh, VectorErf).
    static final float LOG2E = 1.4426950216293335f;
    static final float LN2_HI = 0.6931471824645996f;
    static final float LN2_LO = -1.9046542121259336e-09f;
    /** 1.5·2²³: adding it rounds |v| < 2²² to an integer, left in the low mantissa bits. */
    static final float ROUND = 0x1.8p23f;
    static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    /** e^r ≈ 1 + r + r²·(Q0 + Q1·r + Q2·r² + Q3·r³ + Q4·r⁴) on |r| <= ln2/2 (fitted, see the class comment). */
    static final float Q0 = 0.4999999403953552f, Q1 = 0.1666651964187622f, Q2 = 0.04166840761899948f,
            Q3 = 0.008368914015591145f, Q4 = 0.001381418900564313f;

    static DoubleVector load(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(FH, a, i).convertShape(VectorOperators.F2D, DS, 0);
    }

    /** acc[i] += a[p + i] for i < len, in double lanes: the running column sums of {@code sum} over a leading dimension. */
    static void addInDouble(double[] acc, float[] a, int p, int len) {
        int i = 0;
        for (; i + DL <= len; i += DL) DoubleVector.fromArray(DS, acc, i).add(load(a, p + i)).intoArray(acc, i);
        for (; i < len; i++) acc[i] += a[p + i];
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(-104f).min(89f);
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(FS, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(FS, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(FS, Q4), FloatVector.broadcast(FS, Q3));
        p = p.fma(r, FloatVector.broadcast(FS, Q2));
        p = p.fma(r, FloatVector.broadcast(FS, Q1));
        p = p.fma(r, FloatVector.broadcast(FS, Q0));
        p = p.fma(r, FloatVector.broadcast(FS, 1f));
        p = p.fma(r, FloatVector.broadcast(FS, 1f));
        IntVector k = ((IntVector) t.reinterpretAsInts()).sub(ROUND_BITS);
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = k.sub(k1);
        FloatVector s1 = (FloatVector) k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = (FloatVector) k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /**
     * 1 / (1 + e^−x) as e/(1 + e) for x < 0 and 1/(1 + e) for x >= 0, e = e^−|x| <= 1: no overflow, and the negative
     * tail keeps its relative accuracy down to float's subnormals (e/(1 + e) = e there). Error: e's, plus two
     * roundings.
     */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.abs().neg());
        FloatVector num = FloatVector.broadcast(FS, 1f).blend(e, x.compare(VectorOperators.LT, 0f));
        return num.div(e.add(1f));
    }
}
