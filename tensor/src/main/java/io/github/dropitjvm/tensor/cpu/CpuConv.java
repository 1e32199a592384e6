package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.Tensor;

import java.util.Arrays;

/**
 * im2col / col2im and 2-D max / average pooling over contiguous (N, C, H, W) planes. Work is split into tasks that
 * each own disjoint outputs (an im2col row, an input plane, a pooled plane) and run over the worker pool.
 */
final class CpuConv {
    private CpuConv() {}

    /**
     * Rows of cols are (c, ki, kj), columns (y, x). Each (n, row) is one task over the pool (disjoint outputs). With
     * stride 1 an output row segment is a contiguous run of an input row: one arraycopy plus zeros at the padded
     * ends, instead of a bounds test per element.
     */
    static void im2col(Tensor x, Conv2dGeometry g, Tensor cols) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), out = CpuBackend.cpu(cols).floats();
        int xo = (int) xc.offset(), co = (int) cols.offset();
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), plane = h * w, rows = g.c() * g.kh() * g.kw(), spatial = oh * ow;
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW(), cn = g.c();
        parallel(g.n() * rows, spatial, task -> {
            int n = task / rows, row = task % rows;
            int c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
            int src = xo + (n * cn + c) * plane;
            int dst = co + (n * rows + row) * spatial;
            // Output columns xx whose input column ix = xx·sw − pw + kj lies in [0, w).
            int x0 = Math.min(ow, Math.max(0, ceilDiv(pw - kj, sw))), x1 = Math.max(x0, Math.min(ow, ceilDiv(w + pw - kj, sw)));
            for (int y = 0; y < oh; y++) {
                int iy = y * sh - ph + ki, d = dst + y * ow;
                if (iy < 0 || iy >= h) {
                    Arrays.fill(out, d, d + ow, 0f);
                    continue;
                }
                Arrays.fill(out, d, d + x0, 0f);
                int s0 = src + iy * w + x0 * sw - pw + kj;
                if (sw == 1) System.arraycopy(in, s0, out, d + x0, x1 - x0);
                else for (int xx = x0, p = s0; xx < x1; xx++, p += sw) out[d + xx] = in[p];
                Arrays.fill(out, d + x1, d + ow, 0f);
            }
        });
    }

    /** ⌈a / b⌉ for b > 0 and any sign of a. */
    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /**
     * Runs tasks 0..count−1 on the pool when the whole job is large enough to pay for it (each task owns disjoint
     * outputs and computes them the same way on any thread), else inline.
     */
    private static void parallel(int count, int workPerTask, WorkerPool.Body body) {
        if ((long) count * workPerTask < (1 << 15)) {
            for (int t = 0; t < count; t++) body.run(t);
        } else {
            WorkerPool.shared().parallelFor(count, body);
        }
    }

    /**
     * Adds every column back into its input position. One task per (n, c) input plane (its kh·kw rows, in row
     * order as before, so the sums are the same on any thread count); with stride 1 the inner loop is a contiguous
     * add C2 vectorises.
     */
    static void col2im(Tensor cols, Conv2dGeometry g, Tensor x) {
        Tensor cc = cols.contiguous();
        float[] in = CpuBackend.cpu(cc).floats(), out = CpuBackend.cpu(x).floats();
        int co = (int) cc.offset(), xo = (int) x.offset();
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), plane = h * w, rows = g.c() * g.kh() * g.kw(), spatial = oh * ow;
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW(), cn = g.c();
        parallel(g.n() * cn, kh * kw * spatial, task -> {
            int n = task / cn, c = task % cn;
            int dst = xo + (n * cn + c) * plane;
            Arrays.fill(out, dst, dst + plane, 0f);
            for (int k = 0; k < kh * kw; k++) {
                int row = c * kh * kw + k, ki = k / kw, kj = k % kw;
                int src = co + (n * rows + row) * spatial;
                int x0 = Math.min(ow, Math.max(0, ceilDiv(pw - kj, sw))), x1 = Math.max(x0, Math.min(ow, ceilDiv(w + pw - kj, sw)));
                for (int y = 0; y < oh; y++) {
                    int iy = y * sh - ph + ki;
                    if (iy < 0 || iy >= h) continue;
                    int d = dst + iy * w + x0 * sw - pw + kj, s0 = src + y * ow + x0;
                    if (sw == 1) for (int t = 0, len = x1 - x0; t < len; t++) out[d + t] += in[s0 + t];
                    else for (int xx = x0; xx < x1; xx++, d += sw) out[d] += in[s0 + xx - x0];
                }
            }
        });
    }

    /**
     * Max pooling. Each window element becomes one long, its order key ({@link #poolKey}) above the complement of its
     * position, and the window's maximum of those longs is the answer: the largest value, the first position among
     * equals. Branch-free, where the float compare-and-select per element was a data-dependent branch (7.0 → 3.2 ms
     * for 64×16×32×32, 2×2/2, one thread). The first maximum in row order wins, the first NaN beats every number,
     * ±0 tie — as PyTorch's {@code val > max || isnan(val)}.
     */
    static void maxPool2d(Tensor x, Conv2dGeometry g, Tensor out, Tensor indices) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), o = CpuBackend.cpu(out).floats();
        int[] idx = CpuBackend.cpu(indices).ints();
        int xo = (int) xc.offset();
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), plane = h * w;
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        parallel(g.n() * g.c(), plane, pl -> {
            int src = xo + pl * plane, dst = pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                int iy0 = y * sh - ph, kiLo = Math.max(0, -iy0), kiHi = Math.min(kh, h - iy0);
                for (int xx = 0; xx < ow; xx++) {
                    // the window clipped to the input (padding <= kernel/2 keeps it non-empty)
                    int ix0 = xx * sw - pw, kjLo = Math.max(0, -ix0), kjHi = Math.min(kw, w - ix0);
                    long best = Long.MIN_VALUE;
                    for (int ki = kiLo; ki < kiHi; ki++)
                        for (int kj = kjLo, at = (iy0 + ki) * w + ix0 + kjLo; kj < kjHi; kj++, at++)
                            best = Math.max(best, ((long) poolKey(Float.floatToRawIntBits(in[src + at])) << 32) | (~at & 0xFFFFFFFFL));
                    int bestAt = ~(int) best;
                    o[dst + y * ow + xx] = in[src + bestAt];
                    idx[dst + y * ow + xx] = bestAt;
                }
            }
        });
    }

    /**
     * An int that orders floats as {@code >} does, with ±0 equal and every NaN above +∞ (all NaNs equal, so the first
     * stays): the magnitude bits, negated for negative values.
     */
    private static int poolKey(int bits) {
        int mag = bits & 0x7FFFFFFF, sign = bits >> 31;
        return mag > 0x7F800000 ? Integer.MAX_VALUE : (mag ^ sign) - sign;
    }

    /**
     * Scatters each output gradient to its argmax. Indices are checked in one pass first (so a bad index throws
     * before anything is written, and from the calling thread); then one task per (n, c) plane zeroes its input
     * gradient and adds into it in output order, so the sums are the same on any thread count.
     */
    static void maxPool2dBackward(Tensor gradOut, Tensor indices, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous(), ic = indices.contiguous();
        float[] go = CpuBackend.cpu(gc).floats(), gi = CpuBackend.cpu(gradIn).floats();
        int[] idx = CpuBackend.cpu(ic).ints();
        int goOff = (int) gc.offset(), iOff = (int) ic.offset(), giOff = (int) gradIn.offset();
        int plane = g.h() * g.w(), outPlane = g.outH() * g.outW(), planes = g.n() * g.c();
        for (int j = iOff, end = iOff + planes * outPlane; j < end; j++) {
            int at = idx[j];
            if (at < 0 || at >= plane)
                throw new IndexOutOfBoundsException("maxPool2dBackward: index " + at + " outside the input plane of " + plane + " elements");
        }
        parallel(planes, plane + outPlane, pl -> {
            int dst = giOff + pl * plane, src = goOff + pl * outPlane, ix = iOff + pl * outPlane;
            Arrays.fill(gi, dst, dst + plane, 0f);
            for (int j = 0; j < outPlane; j++) gi[dst + idx[ix + j]] += go[src + j];
        });
    }

    static void avgPool2d(Tensor x, Conv2dGeometry g, Tensor out) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), o = CpuBackend.cpu(out).floats();
        int xo = (int) xc.offset();
        int oh = g.outH(), ow = g.outW(), plane = g.h() * g.w();
        double inv = 1.0 / (g.kh() * g.kw());
        parallel(g.n() * g.c(), plane, pl -> {
            int src = xo + pl * plane, dst = pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int xx = 0; xx < ow; xx++) {
                    double sum = 0;
                    for (int ki = 0; ki < g.kh(); ki++) {
                        int iy = y * g.strideH() - g.padH() + ki;
                        if (iy < 0 || iy >= g.h()) continue;
                        for (int kj = 0; kj < g.kw(); kj++) {
                            int ix = xx * g.strideW() - g.padW() + kj;
                            if (ix >= 0 && ix < g.w()) sum += in[src + iy * g.w() + ix];
                        }
                    }
                    o[dst + y * ow + xx] = (float) (sum * inv);
                }
            }
        });
    }

    /**
     * Spreads each output gradient, times 1/(kh·kw), over its window. One task per (n, c) plane (zeroes its input
     * gradient, then adds in output order: the same sums on any thread count); each window is clipped to the
     * input once instead of testing every tap.
     */
    static void avgPool2dBackward(Tensor gradOut, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous();
        float[] go = CpuBackend.cpu(gc).floats(), gi = CpuBackend.cpu(gradIn).floats();
        int goOff = (int) gc.offset(), giOff = (int) gradIn.offset();
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), plane = h * w;
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        float inv = 1f / (kh * kw);
        parallel(g.n() * g.c(), plane + oh * ow * kh * kw, pl -> {
            int dst = giOff + pl * plane, src = goOff + pl * oh * ow;
            Arrays.fill(gi, dst, dst + plane, 0f);
            for (int y = 0; y < oh; y++) {
                int iy0 = Math.max(0, y * sh - ph), iy1 = Math.min(h, y * sh - ph + kh);
                for (int xx = 0; xx < ow; xx++) {
                    int ix0 = Math.max(0, xx * sw - pw), ix1 = Math.min(w, xx * sw - pw + kw);
                    float v = go[src + y * ow + xx] * inv;
                    for (int iy = iy0; iy < iy1; iy++)
                        for (int ix = ix0, d = dst + iy * w; ix < ix1; ix++) gi[d + ix] += v;
                }
            }
        });
    }
}
