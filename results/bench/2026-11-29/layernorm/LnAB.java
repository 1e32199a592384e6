import jdk.incubator.vector.*;
import java.util.*;
/** In-JVM interleaved A/B of layer norm's per-group forward: the scalar double loops vs double vector lanes (copies of both). */
public class LnAB {
    static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(DS.vectorBitSize() / 2));
    static final int DL = DS.length();
    static DoubleVector load(float[] a, int i) { return (DoubleVector) FloatVector.fromArray(FH, a, i).convertShape(VectorOperators.F2D, DS, 0); }
    static void oldGroup(float[] a, int p, float[] o, int q, int d, float[] w, float[] b, double eps, float[] mu, float[] rs, int g) {
        double sum = 0;
        for (int j = 0; j < d; j++) sum += a[p + j];
        double m = sum / d, var = 0;
        for (int j = 0; j < d; j++) { double t = a[p + j] - m; var += t * t; }
        double r = 1.0 / Math.sqrt(var / d + eps);
        mu[g] = (float) m; rs[g] = (float) r;
        for (int j = 0; j < d; j++) { double y = (a[p + j] - m) * r; if (w != null) y *= w[j]; if (b != null) y += b[j]; o[q + j] = (float) y; }
    }
    static double rowSum(float[] a, int p, int len) {
        int i = 0; double s = 0;
        if (len >= DL) { DoubleVector acc = DoubleVector.zero(DS); for (; i + DL <= len; i += DL) acc = acc.add(load(a, p + i)); for (int l = 0; l < DL; l++) s += acc.lane(l); }
        for (; i < len; i++) s += a[p + i];
        return s;
    }
    static double rowSq(float[] a, int p, int len, double mean) {
        int i = 0; double s = 0;
        if (len >= DL) { DoubleVector acc = DoubleVector.zero(DS), mv = DoubleVector.broadcast(DS, mean);
            for (; i + DL <= len; i += DL) { DoubleVector d = load(a, p + i).sub(mv); acc = d.fma(d, acc); } s = acc.reduceLanes(VectorOperators.ADD); }
        for (; i < len; i++) { double d = a[p + i] - mean; s += d * d; }
        return s;
    }
    static void newGroup(float[] a, int p, float[] o, int q, int d, float[] w, float[] b, double eps, float[] mu, float[] rs, int g) {
        double m = rowSum(a, p, d) / d;
        double r = 1.0 / Math.sqrt(rowSq(a, p, d, m) / d + eps);
        mu[g] = (float) m; rs[g] = (float) r;
        int j = 0;
        DoubleVector mv = DoubleVector.broadcast(DS, m), rv = DoubleVector.broadcast(DS, r);
        for (; j + DL <= d; j += DL) {
            DoubleVector y = load(a, p + j).sub(mv).mul(rv);
            if (w != null) y = y.mul(load(w, j));
            if (b != null) y = y.add(load(b, j));
            ((FloatVector) y.convertShape(VectorOperators.D2F, FH, 0)).intoArray(o, q + j);
        }
        for (; j < d; j++) { double y = (a[p + j] - m) * r; if (w != null) y *= w[j]; if (b != null) y += b[j]; o[q + j] = (float) y; }
    }
    public static void main(String[] args) {
        int groups = 1600, d = 96;
        SplittableRandom rng = new SplittableRandom(1);
        float[] a = new float[groups * d], o = new float[groups * d], w = new float[d], b = new float[d], mu = new float[groups], rs = new float[groups];
        for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
        for (int i = 0; i < d; i++) { w[i] = (float) rng.nextGaussian(); b[i] = (float) rng.nextGaussian(); }
        for (int round = 0; round < 10; round++) {
            double[] best = {1e9, 1e9};
            for (int rep = 0; rep < 200; rep++) for (int v = 0; v < 2; v++) {
                long t0 = System.nanoTime();
                for (int g = 0; g < groups; g++) if (v == 0) oldGroup(a, g * d, o, g * d, d, w, b, 1e-6, mu, rs, g); else newGroup(a, g * d, o, g * d, d, w, b, 1e-6, mu, rs, g);
                best[v] = Math.min(best[v], (System.nanoTime() - t0) / 1e6);
            }
            if (round >= 6) System.out.printf("round %d: 1600 groups of 96, old %.3f ms, new %.3f ms%n", round, best[0], best[1]);
        }
    }
}
