import jdk.incubator.vector.*;
import java.util.*;
/** In-JVM interleaved A/B of the selection histograms: old scalar loops vs the zero-counting vector versions. */
public class Hist {
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED; static final int L = FS.length();
    static final long LANES = L == 64 ? -1L : (1L << L) - 1;
    static int[] oldTop(float[] a, int from, int to, int shift, int bins) {
        int[] h = new int[bins];
        for (int i = from; i < to; i++) h[(Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF) >>> shift]++;
        return h;
    }
    static int[] oldLow(float[] a, int from, int to, int bucket1) {
        int[] h = new int[1 << 15];
        for (int i = from; i < to; i++) { int b = Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF; if (b >>> 15 == bucket1) h[b & 0x7FFF]++; }
        return h;
    }
    static int[] topHistogram(float[] a, int from, int to, int shift, int bins) {
        int[] h = new int[bins];
        int zeros = 0, i = from;
        for (; i + L <= to; i += L) {
            long nonZero = FloatVector.fromArray(FS, a, i).reinterpretAsInts().and(0x7FFFFFFF).compare(VectorOperators.NE, 0).toLong();
            if (nonZero == LANES) {
                for (int j = i; j < i + L; j++) h[(Float.floatToRawIntBits(a[j]) & 0x7FFFFFFF) >>> shift]++;
                continue;
            }
            zeros += L - Long.bitCount(nonZero);
            for (; nonZero != 0; nonZero &= nonZero - 1)
                h[(Float.floatToRawIntBits(a[i + Long.numberOfTrailingZeros(nonZero)]) & 0x7FFFFFFF) >>> shift]++;
        }
        for (; i < to; i++) h[(Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF) >>> shift]++;
        h[0] += zeros;
        return h;
    }
    static int[] lowHistogram(float[] a, int from, int to, int bucket) {
        int[] h = new int[1 << 15];
        int zeros = 0, i = from;
        for (; i + L <= to; i += L) {
            IntVector bits = FloatVector.fromArray(FS, a, i).reinterpretAsInts().and(0x7FFFFFFF);
            long members = bits.lanewise(VectorOperators.LSHR, 15).compare(VectorOperators.EQ, bucket).toLong();
            if (members == 0) continue;
            if (bucket == 0) { long z = bits.compare(VectorOperators.EQ, 0).toLong(); zeros += Long.bitCount(z); members &= ~z; }
            for (; members != 0; members &= members - 1)
                h[Float.floatToRawIntBits(a[i + Long.numberOfTrailingZeros(members)]) & 0x7FFF]++;
        }
        for (; i < to; i++) { int b = Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF; if (b >>> 15 == bucket) h[b & 0x7FFF]++; }
        h[0] += zeros;
        return h;
    }
    interface F { int[] run(); }
    static double time(F f, int reps) { double best = 1e9; for (int r = 0; r < reps; r++) { long t0 = System.nanoTime(); int[] h = f.run(); double t = (System.nanoTime() - t0) / 1e6; if (h[0] < 0) System.out.print(""); best = Math.min(best, t); } return best; }
    public static void main(String[] args) {
        SplittableRandom rng = new SplittableRandom(1);
        int n1 = 1605632, n2 = 307200;
        float[] relu = new float[n1], normal = new float[n2];
        for (int i = 0; i < n1; i++) relu[i] = (float) Math.max(0, rng.nextGaussian());
        for (int i = 0; i < n2; i++) normal[i] = (float) rng.nextGaussian();
        if (!Arrays.equals(oldTop(relu, 0, n1, 15, 65536), topHistogram(relu, 0, n1, 15, 65536))) throw new AssertionError("top relu");
        if (!Arrays.equals(oldTop(normal, 0, n2, 15, 65536), topHistogram(normal, 0, n2, 15, 65536))) throw new AssertionError("top normal");
        if (!Arrays.equals(oldLow(relu, 0, n1, 0), lowHistogram(relu, 0, n1, 0))) throw new AssertionError("low relu");
        for (int round = 0; round < 8; round++) {
            double a = time(() -> oldTop(relu, 0, n1, 15, 65536), 30), b = time(() -> topHistogram(relu, 0, n1, 15, 65536), 30);
            double c = time(() -> oldTop(normal, 0, n2, 15, 65536), 60), d = time(() -> topHistogram(normal, 0, n2, 15, 65536), 60);
            double e = time(() -> oldLow(relu, 0, n1, 0), 30), f = time(() -> lowHistogram(relu, 0, n1, 0), 30);
            if (round >= 4) System.out.printf("round %d: top relu 1.6M old %.3f new %.3f | top normal 307K old %.3f new %.3f | low relu bucket 0 old %.3f new %.3f ms%n", round, a, b, c, d, e, f);
        }
    }
}
