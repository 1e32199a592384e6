package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.Tensor;

import java.util.Arrays;

/** im2col / col2im and 2-D max / average pooling over contiguous (N, C, H, W) planes. */
final class CpuConv {
    private CpuConv() {}

    static void im2col(Tensor x, Conv2dGeometry g, Tensor cols) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), out = CpuBackend.cpu(cols).floats();
        int xo = (int) xc.offset();
        int oh = g.outH(), ow = g.outW(), plane = g.h() * g.w(), rows = g.c() * g.kh() * g.kw(), spatial = oh * ow;
        for (int n = 0; n < g.n(); n++) {
            for (int row = 0; row < rows; row++) {
                int c = row / (g.kh() * g.kw()), ki = (row / g.kw()) % g.kh(), kj = row % g.kw();
                int src = xo + (n * g.c() + c) * plane;
                int dst = (n * rows + row) * spatial;
                for (int y = 0; y < oh; y++) {
                    int iy = y * g.strideH() - g.padH() + ki;
                    boolean rowIn = iy >= 0 && iy < g.h();
                    for (int xx = 0; xx < ow; xx++) {
                        int ix = xx * g.strideW() - g.padW() + kj;
                        out[dst + y * ow + xx] = rowIn && ix >= 0 && ix < g.w() ? in[src + iy * g.w() + ix] : 0f;
                    }
                }
            }
        }
    }

    static void col2im(Tensor cols, Conv2dGeometry g, Tensor x) {
        Tensor cc = cols.contiguous();
        float[] in = CpuBackend.cpu(cc).floats(), out = CpuBackend.cpu(x).floats();
        int co = (int) cc.offset();
        Arrays.fill(out, (int) x.offset(), (int) (x.offset() + x.numel()), 0f);
        int oh = g.outH(), ow = g.outW(), plane = g.h() * g.w(), rows = g.c() * g.kh() * g.kw(), spatial = oh * ow;
        for (int n = 0; n < g.n(); n++) {
            for (int row = 0; row < rows; row++) {
                int c = row / (g.kh() * g.kw()), ki = (row / g.kw()) % g.kh(), kj = row % g.kw();
                int dst = (int) x.offset() + (n * g.c() + c) * plane;
                int src = co + (n * rows + row) * spatial;
                for (int y = 0; y < oh; y++) {
                    int iy = y * g.strideH() - g.padH() + ki;
                    if (iy < 0 || iy >= g.h()) continue;
                    for (int xx = 0; xx < ow; xx++) {
                        int ix = xx * g.strideW() - g.padW() + kj;
                        if (ix >= 0 && ix < g.w()) out[dst + iy * g.w() + ix] += in[src + y * ow + xx];
                    }
                }
            }
        }
    }

    static void maxPool2d(Tensor x, Conv2dGeometry g, Tensor out, Tensor indices) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), o = CpuBackend.cpu(out).floats();
        int[] idx = CpuBackend.cpu(indices).ints();
        int xo = (int) xc.offset();
        int oh = g.outH(), ow = g.outW(), plane = g.h() * g.w();
        for (int pl = 0; pl < g.n() * g.c(); pl++) {
            int src = xo + pl * plane, dst = pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int xx = 0; xx < ow; xx++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int bestAt = -1;
                    for (int ki = 0; ki < g.kh(); ki++) {
                        int iy = y * g.strideH() - g.padH() + ki;
                        if (iy < 0 || iy >= g.h()) continue;
                        for (int kj = 0; kj < g.kw(); kj++) {
                            int ix = xx * g.strideW() - g.padW() + kj;
                            if (ix < 0 || ix >= g.w()) continue;
                            float v = in[src + iy * g.w() + ix];
                            // NaN propagates (first NaN wins), as in PyTorch.
                            if (bestAt < 0 || v > best || (Float.isNaN(v) && !Float.isNaN(best))) {
                                best = v;
                                bestAt = iy * g.w() + ix;
                            }
                        }
                    }
                    o[dst + y * ow + xx] = best;
                    idx[dst + y * ow + xx] = bestAt;
                }
            }
        }
    }

    static void maxPool2dBackward(Tensor gradOut, Tensor indices, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous(), ic = indices.contiguous();
        float[] go = CpuBackend.cpu(gc).floats(), gi = CpuBackend.cpu(gradIn).floats();
        int[] idx = CpuBackend.cpu(ic).ints();
        int goOff = (int) gc.offset(), iOff = (int) ic.offset(), giOff = (int) gradIn.offset();
        int plane = g.h() * g.w(), outPlane = g.outH() * g.outW();
        Arrays.fill(gi, giOff, giOff + g.n() * g.c() * plane, 0f);
        for (int pl = 0; pl < g.n() * g.c(); pl++) {
            for (int j = 0; j < outPlane; j++) {
                int at = idx[iOff + pl * outPlane + j];
                if (at < 0 || at >= plane)
                    throw new IndexOutOfBoundsException("maxPool2dBackward: index " + at + " outside the input plane of " + plane + " elements");
                gi[giOff + pl * plane + at] += go[goOff + pl * outPlane + j];
            }
        }
    }

    static void avgPool2d(Tensor x, Conv2dGeometry g, Tensor out) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), o = CpuBackend.cpu(out).floats();
        int xo = (int) xc.offset();
        int oh = g.outH(), ow = g.outW(), plane = g.h() * g.w();
        double inv = 1.0 / (g.kh() * g.kw());
        for (int pl = 0; pl < g.n() * g.c(); pl++) {
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
        }
    }

    static void avgPool2dBackward(Tensor gradOut, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous();
        float[] go = CpuBackend.cpu(gc).floats(), gi = CpuBackend.cpu(gradIn).floats();
        int goOff = (int) gc.offset(), giOff = (int) gradIn.offset();
        int oh = g.outH(), ow = g.outW(), plane = g.h() * g.w();
        Arrays.fill(gi, giOff, giOff + g.n() * g.c() * plane, 0f);
        float inv = 1f / (g.kh() * g.kw());
        for (int pl = 0; pl < g.n() * g.c(); pl++) {
            int dst = giOff + pl * plane, src = goOff + pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int xx = 0; xx < ow; xx++) {
                    float v = go[src + y * ow + xx] * inv;
                    for (int ki = 0; ki < g.kh(); ki++) {
                        int iy = y * g.strideH() - g.padH() + ki;
                        if (iy < 0 || iy >= g.h()) continue;
                        for (int kj = 0; kj < g.kw(); kj++) {
                            int ix = xx * g.strideW() - g.padW() + kj;
                            if (ix >= 0 && ix < g.w()) gi[dst + iy * g.w() + ix] += v;
                        }
                    }
                }
            }
        }
    }
}
