import jdk.incubator.vector.*;
import java.util.*;
public class Csc {
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED; static final int L = FS.length();
    // current CpuSparse.accumulate, one task over all features
    static void cur(float[] gd, float[] acc, int[] words, float[] vf, int rows, int in, int out) {
        int vecEnd = out / L * L, j = 0;
        for (int m = 0; m < rows; m++) {
            long p0 = (long) m * in, p1 = p0 + in; int w = (int) (p0 >>> 5); int b = m * out;
            for (long base = (long) w << 5; base < p1; w++, base += 32) {
                int bits = words[w];
                if (base < p0) bits &= -1 << (p0 - base);
                if (p1 - base < 32) bits &= (1 << (p1 - base)) - 1;
                while (bits != 0) {
                    long p = base + Integer.numberOfTrailingZeros(bits); bits &= bits - 1;
                    float v = vf[j++]; int a = (int) (p - p0) * out;
                    FloatVector vv = FloatVector.broadcast(FS, v); int o = 0;
                    for (; o < vecEnd; o += L) FloatVector.fromArray(FS, gd, b + o).fma(vv, FloatVector.fromArray(FS, acc, a + o)).intoArray(acc, a + o);
                    for (; o < out; o++) acc[a + o] += v * gd[b + o];
                }
            }
        }
    }
    // CSC: per feature its (row, value) list in row order, then register-blocked chunks of 4 vectors
    static void csc(float[] gd, float[] acc, int[] words, float[] vf, int rows, int in, int out, int[] start, int[] rowOf, float[] valOf) {
        Arrays.fill(start, 0, in + 1, 0);
        long n = (long) rows * in;
        for (int w = 0; (long) w * 32 < n; w++) for (int bits = words[w]; bits != 0; bits &= bits - 1) { long p = ((long) w << 5) + Integer.numberOfTrailingZeros(bits); start[(int) (p % in) + 1]++; }
        for (int i = 0; i < in; i++) start[i + 1] += start[i];
        int[] fill = Arrays.copyOf(start, in);
        int j = 0;
        for (int w = 0; (long) w * 32 < n; w++) for (int bits = words[w]; bits != 0; bits &= bits - 1) {
            long p = ((long) w << 5) + Integer.numberOfTrailingZeros(bits); int i = (int) (p % in), at = fill[i]++;
            rowOf[at] = (int) (p / in) * out; valOf[at] = vf[j++];
        }
        int vecEnd = out / L * L;
        for (int i = 0; i < in; i++) {
            int s = start[i], e = start[i + 1], a = i * out, o = 0;
            for (; o + 4 * L <= vecEnd; o += 4 * L) {
                FloatVector c0 = FloatVector.zero(FS), c1 = c0, c2 = c0, c3 = c0;
                for (int t = s; t < e; t++) {
                    FloatVector vv = FloatVector.broadcast(FS, valOf[t]); int b = rowOf[t] + o;
                    c0 = FloatVector.fromArray(FS, gd, b).fma(vv, c0); c1 = FloatVector.fromArray(FS, gd, b + L).fma(vv, c1);
                    c2 = FloatVector.fromArray(FS, gd, b + 2 * L).fma(vv, c2); c3 = FloatVector.fromArray(FS, gd, b + 3 * L).fma(vv, c3);
                }
                c0.intoArray(acc, a + o); c1.intoArray(acc, a + o + L); c2.intoArray(acc, a + o + 2 * L); c3.intoArray(acc, a + o + 3 * L);
            }
            for (; o < vecEnd; o += L) {
                FloatVector c0 = FloatVector.zero(FS);
                for (int t = s; t < e; t++) c0 = FloatVector.fromArray(FS, gd, rowOf[t] + o).fma(FloatVector.broadcast(FS, valOf[t]), c0);
                c0.intoArray(acc, a + o);
            }
            for (; o < out; o++) { float c = 0; for (int t = s; t < e; t++) c = Math.fma(gd[rowOf[t] + o], valOf[t], c); acc[a + o] = c; }
        }
    }
    public static void main(String[] args) {
        int rows = 1600; double keep = Double.parseDouble(args[0]);
        for (int[] sh : new int[][]{{96, 384}, {384, 96}, {96, 288}}) {
            int in = sh[0], out = sh[1];
            SplittableRandom rng = new SplittableRandom(in * 7 + out);
            float[] gd = new float[rows * out]; for (int i = 0; i < gd.length; i++) gd[i] = (float) rng.nextGaussian();
            int[] words = new int[(rows * in + 31) / 32]; int k = 0;
            for (int p = 0; p < rows * in; p++) if (rng.nextDouble() < keep) { words[p >>> 5] |= 1 << (p & 31); k++; }
            float[] vf = new float[k]; for (int i = 0; i < k; i++) vf[i] = (float) rng.nextGaussian();
            float[] a1 = new float[in * out], a2 = new float[in * out];
            int[] start = new int[in + 1], rowOf = new int[k]; float[] valOf = new float[k];
            cur(gd, a1, words, vf, rows, in, out); csc(gd, a2, words, vf, rows, in, out, start, rowOf, valOf);
            if (!Arrays.equals(a1, a2)) System.out.println("NOT bit-identical (expected: both fma chains from 0 in row order?)");
            double b1 = 1e9, b2 = 1e9;
            for (int r = 0; r < 400; r++) {
                Arrays.fill(a1, 0); long t0 = System.nanoTime(); cur(gd, a1, words, vf, rows, in, out); long t1 = System.nanoTime();
                csc(gd, a2, words, vf, rows, in, out, start, rowOf, valOf); long t2 = System.nanoTime();
                if (r > 100) { b1 = Math.min(b1, (t1 - t0) / 1e6); b2 = Math.min(b2, (t2 - t1) / 1e6); }
            }
            System.out.printf("keep %.2f in %d out %d: current %.3f ms, csc %.3f ms%n", keep, in, out, b1, b2);
        }
    }
}
