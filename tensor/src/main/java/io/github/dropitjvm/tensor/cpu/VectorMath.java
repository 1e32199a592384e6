package io.github.dropitjvm.tensor.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised transcendentals for the float32 kernels, evaluated in double lanes and rounded to float once: the
 * double result is within ~1e-14 relative of the exact value, so the float result is the correctly rounded one
 * except for rare near-ties (within 1 ulp), well inside the 4-ulp bound of the op tests. Working in double also
 * gives float's whole range for free (exp of −100 is a normal double, rounded once to a float subnormal or zero).
 *
 * <p>exp: x clamped to [−120, 120] (beyond, the float result is 0 or ∞ anyway; NaN passes through), n = round(x/ln 2)
 * by the 1.5·2⁵² trick, r = x − n·ln 2 (two-part ln 2, |r| <= 0.347), e^r by its Taylor polynomial to degree 12
 * (truncation < 3e-16 relative), scaled by 2ⁿ built in the exponent bits.
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    /** Floats per double vector: loads and stores of this species convert lane for lane. */
    static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(DS.vectorBitSize() / 2));
    static final int DL = DS.length();

    private static final double LOG2E = 1.4426950408889634;
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    private static final double ROUND = 0x1.8p52;
    private static final long ROUND_BITS = Double.doubleToRawLongBits(ROUND);

    static DoubleVector load(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(FH, a, i).convertShape(VectorOperators.F2D, DS, 0);
    }

    static void store(DoubleVector v, float[] a, int i) {
        ((FloatVector) v.convertShape(VectorOperators.D2F, FH, 0)).intoArray(a, i);
    }

    static DoubleVector exp(DoubleVector x) {
        x = x.max(-120.0).min(120.0);
        DoubleVector t = x.fma(LOG2E, ROUND);
        DoubleVector n = t.sub(ROUND);
        DoubleVector r = n.fma(DoubleVector.broadcast(DS, -LN2_HI), x);
        r = n.fma(DoubleVector.broadcast(DS, -LN2_LO), r);
        DoubleVector p = r.fma(DoubleVector.broadcast(DS, 1.0 / 479001600), DoubleVector.broadcast(DS, 1.0 / 39916800));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 3628800));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 362880));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 40320));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 5040));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 720));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 120));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 24));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 6));
        p = p.fma(r, DoubleVector.broadcast(DS, 0.5));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0));
        LongVector bits = ((LongVector) t.reinterpretAsLongs()).sub(ROUND_BITS).add(1023).lanewise(VectorOperators.LSHL, 52);
        return p.mul((DoubleVector) bits.reinterpretAsDoubles());
    }

    /** 1 / (1 + e^−x). */
    static DoubleVector sigmoid(DoubleVector x) {
        return DoubleVector.broadcast(DS, 1.0).div(exp(x.neg()).add(1.0));
    }
}
