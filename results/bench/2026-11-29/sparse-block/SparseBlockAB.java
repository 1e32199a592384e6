package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.*;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** In-JVM A/B of CpuSparse.accumulate (one row of x̂ at a time, as committed) against a version taking rows in
 *  blocks of 4 (tried 2026-11-29, slower, not kept), plus the dense path (scatter + gᵀ·x̂ GEMM) for the crossover; one thread, rows = 1600 (vit-fmnist at batch 32). */
public class SparseBlockAB {
    // The rows-in-blocks-of-4 version that was tried (measured slower, not kept), then the one-row loop it was to replace.

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    /** Rows [lo, hi) of dWᵀ (input features) += v·g[m][:] for every kept x̂[m][i] = v with lo <= i < hi, m ascending. */
    static void accumulateOld(float[] gd, int go, float[] acc, int ao, int[] words, int[] before, float[] vf,
                                   short[] vs, int vo, int rows, int in, int out, int lo, int hi) {
        int vecEnd = out / L * L;
        for (int m = 0; m < rows; m++) {
            long p0 = (long) m * in + lo, p1 = (long) m * in + hi;
            int w = (int) (p0 >>> 5);
            int j = vo + before[w] + Integer.bitCount(words[w] & ((1 << (p0 & 31)) - 1));
            int b = go + m * out;
            long rowStart = (long) m * in;
            for (long base = (long) w << 5; base < p1; w++, base += 32) {
                int bits = words[w];
                if (base < p0) bits &= -1 << (p0 - base);
                if (p1 - base < 32) bits &= (1 << (p1 - base)) - 1;
                while (bits != 0) {
                    long p = base + Integer.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    float v = vf != null ? vf[j] : BFloat16.toFloat(vs[j]);
                    j++;
                    int a = ao + (int) (p - rowStart) * out;
                    FloatVector vv = FloatVector.broadcast(FS, v);
                    int o = 0;
                    for (; o < vecEnd; o += L)
                        FloatVector.fromArray(FS, gd, b + o).fma(vv, FloatVector.fromArray(FS, acc, a + o)).intoArray(acc, a + o);
                    for (; o < out; o++) acc[a + o] += v * gd[b + o];
                }
            }
        }
    }

    /**
     * Rows of x̂ taken together. Each kept element adds one row of g into one row of dWᵀ, and that dWᵀ row (in L2:
     * in·out floats) was loaded and stored once per kept element, two memory operations per multiply-add beside
     * the g load. A block of rows adds every kept element of one input feature while that dWᵀ row is in registers,
     * so at γ 0.5 about two kept elements share each load and store.
     */
    private static final int BLOCK = 4;

    /**
     * Rows [lo, hi) of dWᵀ (input features) += v·g[m][:] for every kept x̂[m][i] = v with lo <= i < hi, m ascending
     * for each element of dWᵀ (the same terms in the same order as one row of x̂ at a time).
     */
    static void accumulateBlocked(float[] gd, int go, float[] acc, int ao, int[] words, int[] before, float[] vf,
                           short[] vs, int vo, int rows, int in, int out, int lo, int hi) {
        int[] at = new int[BLOCK];      // per row of the block: index of its next kept value
        int[] gRow = new int[BLOCK];    // per kept element of the current feature: its g row, and its value
        float[] v = new float[BLOCK];
        int vecEnd = out / L * L;
        for (int m0 = 0; m0 < rows; m0 += BLOCK) {
            int nr = Math.min(BLOCK, rows - m0);
            for (int r = 0; r < nr; r++) {
                long p0 = (long) (m0 + r) * in + lo;
                int w = (int) (p0 >>> 5);
                at[r] = vo + before[w] + Integer.bitCount(words[w] & ((1 << (p0 & 31)) - 1));
            }
            for (int i0 = lo; i0 < hi; i0 += 32) {
                int count = Math.min(32, hi - i0);
                int b0 = bits(words, (long) m0 * in + i0, count);
                int b1 = nr > 1 ? bits(words, (long) (m0 + 1) * in + i0, count) : 0;
                int b2 = nr > 2 ? bits(words, (long) (m0 + 2) * in + i0, count) : 0;
                int b3 = nr > 3 ? bits(words, (long) (m0 + 3) * in + i0, count) : 0;
                for (int any = b0 | b1 | b2 | b3; any != 0; any &= any - 1) {
                    int t = Integer.numberOfTrailingZeros(any), k = 0;
                    if ((b0 >>> t & 1) != 0) { gRow[k] = go + m0 * out; v[k++] = value(vf, vs, at[0]++); }
                    if ((b1 >>> t & 1) != 0) { gRow[k] = go + (m0 + 1) * out; v[k++] = value(vf, vs, at[1]++); }
                    if ((b2 >>> t & 1) != 0) { gRow[k] = go + (m0 + 2) * out; v[k++] = value(vf, vs, at[2]++); }
                    if ((b3 >>> t & 1) != 0) { gRow[k] = go + (m0 + 3) * out; v[k++] = value(vf, vs, at[3]++); }
                    int a = ao + (i0 + t) * out;
                    switch (k) {
                        case 1 -> axpy1(gd, gRow[0], v[0], acc, a, vecEnd);
                        case 2 -> axpy2(gd, gRow, v, acc, a, vecEnd);
                        case 3 -> axpy3(gd, gRow, v, acc, a, vecEnd);
                        default -> axpy4(gd, gRow, v, acc, a, vecEnd);
                    }
                    for (int o = vecEnd; o < out; o++)
                        for (int q = 0; q < k; q++) acc[a + o] += v[q] * gd[gRow[q] + o];
                }
            }
        }
    }

    /** count (1..32) bits of the mask from bit position pos, as the low bits of an int. */
    private static int bits(int[] words, long pos, int count) {
        int w = (int) (pos >>> 5), shift = (int) (pos & 31);
        long pair = words[w] & 0xFFFF_FFFFL;
        if (shift + count > 32) pair |= (long) words[w + 1] << 32;
        int b = (int) (pair >>> shift);
        return count == 32 ? b : b & ((1 << count) - 1);
    }

    private static float value(float[] vf, short[] vs, int j) {
        return vf != null ? vf[j] : BFloat16.toFloat(vs[j]);
    }

    // acc[a, a + vecEnd) += v[0]·g[gRow[0]...] (+ v[1]·g[gRow[1]...] ...), fused in that order: one load and one
    // store of acc for all of them.
    private static void axpy1(float[] gd, int g0, float v0, float[] acc, int a, int vecEnd) {
        FloatVector w0 = FloatVector.broadcast(FS, v0);
        for (int o = 0; o < vecEnd; o += L)
            FloatVector.fromArray(FS, gd, g0 + o).fma(w0, FloatVector.fromArray(FS, acc, a + o)).intoArray(acc, a + o);
    }

    private static void axpy2(float[] gd, int[] gRow, float[] v, float[] acc, int a, int vecEnd) {
        int g0 = gRow[0], g1 = gRow[1];
        FloatVector w0 = FloatVector.broadcast(FS, v[0]), w1 = FloatVector.broadcast(FS, v[1]);
        for (int o = 0; o < vecEnd; o += L) {
            FloatVector s = FloatVector.fromArray(FS, gd, g0 + o).fma(w0, FloatVector.fromArray(FS, acc, a + o));
            FloatVector.fromArray(FS, gd, g1 + o).fma(w1, s).intoArray(acc, a + o);
        }
    }

    private static void axpy3(float[] gd, int[] gRow, float[] v, float[] acc, int a, int vecEnd) {
        int g0 = gRow[0], g1 = gRow[1], g2 = gRow[2];
        FloatVector w0 = FloatVector.broadcast(FS, v[0]), w1 = FloatVector.broadcast(FS, v[1]), w2 = FloatVector.broadcast(FS, v[2]);
        for (int o = 0; o < vecEnd; o += L) {
            FloatVector s = FloatVector.fromArray(FS, gd, g0 + o).fma(w0, FloatVector.fromArray(FS, acc, a + o));
            s = FloatVector.fromArray(FS, gd, g1 + o).fma(w1, s);
            FloatVector.fromArray(FS, gd, g2 + o).fma(w2, s).intoArray(acc, a + o);
        }
    }

    private static void axpy4(float[] gd, int[] gRow, float[] v, float[] acc, int a, int vecEnd) {
        int g0 = gRow[0], g1 = gRow[1], g2 = gRow[2], g3 = gRow[3];
        FloatVector w0 = FloatVector.broadcast(FS, v[0]), w1 = FloatVector.broadcast(FS, v[1]);
        FloatVector w2 = FloatVector.broadcast(FS, v[2]), w3 = FloatVector.broadcast(FS, v[3]);
        for (int o = 0; o < vecEnd; o += L) {
            FloatVector s = FloatVector.fromArray(FS, gd, g0 + o).fma(w0, FloatVector.fromArray(FS, acc, a + o));
            s = FloatVector.fromArray(FS, gd, g1 + o).fma(w1, s);
            s = FloatVector.fromArray(FS, gd, g2 + o).fma(w2, s);
            FloatVector.fromArray(FS, gd, g3 + o).fma(w3, s).intoArray(acc, a + o);
        }
    }


    public static void main(String[] args) {
        CpuBackend.setThreads(1);
        int rows = 1600, reps = Integer.parseInt(args[0]);
        for (double gamma : new double[]{0.5, 0.7, 0.9}) for (int[] sh : new int[][]{{96, 288}, {96, 96}, {96, 384}, {384, 96}}) {
            int in = sh[0], out = sh[1];
            Tensor x = Tensor.randn(new Generator(in + out), rows, in), g = Tensor.randn(new Generator(7), rows, out);
            Tensor mask = DropItKernels.selectTopAbs(x, DropItKernels.keepCount((long) rows * in, gamma), "ab");
            Tensor values = DropItKernels.compact(x, mask, DType.FLOAT32);
            float[] gd = CpuBackend.cpu(g).floats(), vf = CpuBackend.cpu(values).floats();
            int[] words = CpuBackend.cpu(mask).ints();
            int nw = (int) (((long) rows * in + 31) >>> 5);
            int[] before = new int[nw + 1];
            for (int w = 0; w < nw; w++) before[w + 1] = before[w] + Integer.bitCount(words[w]);
            float[] a = new float[in * out], b = new float[in * out];
            long bo = Long.MAX_VALUE, bn = Long.MAX_VALUE, bd = Long.MAX_VALUE;
            for (int r = 0; r < reps; r++) {
                java.util.Arrays.fill(a, 0); java.util.Arrays.fill(b, 0);
                long t0 = System.nanoTime();
                accumulateOld(gd, 0, a, 0, words, before, vf, null, 0, rows, in, out, 0, in);
                long t1 = System.nanoTime();
                accumulateBlocked(gd, 0, b, 0, words, before, vf, null, 0, rows, in, out, 0, in);
                long t2 = System.nanoTime();
                Tensor d = g.transpose(0, 1).matmul(DropItKernels.scatterMasked(values, mask, rows, in));
                long t3 = System.nanoTime();
                d.storage().close();
                bo = Math.min(bo, t1 - t0); bn = Math.min(bn, t2 - t1); bd = Math.min(bd, t3 - t2);
            }
            if (!java.util.Arrays.equals(a, b)) throw new AssertionError("results differ " + in + "x" + out);
            System.out.printf("gamma %.1f  %4d x %4d x %4d   one-row %.3f ms  blocked %.3f ms  dense %.3f ms  (bit-identical)%n",
                    gamma, rows, in, out, bo / 1e6, bn / 1e6, bd / 1e6);
        }
    }
}
