package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.ReduceOp;
import io.github.dropitjvm.tensor.Tensor;

/** Reductions along dimensions, softmax, layer norm and batch norm. Sums accumulate in double. */
final class CpuReductions {
    private CpuReductions() {}

    /** out's strides seen from x's shape: 0 along reduced dimensions, so every x element maps onto its output. */
    private static long[] broadcastOutStrides(Tensor out, boolean[] reduced) {
        long[] s = out.strides();
        for (int i = 0; i < s.length; i++) if (reduced[i]) s[i] = 0;
        return s;
    }

    static void reduce(ReduceOp op, Tensor x, boolean[] reduced, Tensor out, double correction) {
        if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
            argExtreme(op == ReduceOp.ARGMAX, x, reduced, out);
            return;
        }
        float[] a = CpuBackend.cpu(x).floats();
        float[] o = CpuBackend.cpu(out).floats();
        int outN = (int) out.numel();
        long count = 1;
        int[] xs = x.shape();
        for (int i = 0; i < xs.length; i++) if (reduced[i]) count *= xs[i];
        // out is fresh and contiguous, so its element offsets index the accumulator directly.
        double[] acc = new double[outN];
        Loop loop = Loop.of(xs, new long[][]{x.strides(), broadcastOutStrides(out, reduced)}, new long[]{x.offset(), 0});
        int n = loop.n, xsStep = loop.step[0], osStep = loop.step[1];
        switch (op) {
            case SUM, MEAN, VAR -> loop.forEachRow(r -> {
                for (int i = 0, p = r[0], q = r[1]; i < n; i++, p += xsStep, q += osStep) acc[q] += a[p];
            });
            case MAX -> {
                java.util.Arrays.fill(acc, Double.NEGATIVE_INFINITY);
                loop.forEachRow(r -> {
                    for (int i = 0, p = r[0], q = r[1]; i < n; i++, p += xsStep, q += osStep) {
                        float v = a[p];
                        if (v > acc[q] || Float.isNaN(v)) acc[q] = v;
                    }
                });
            }
            case MIN -> {
                java.util.Arrays.fill(acc, Double.POSITIVE_INFINITY);
                loop.forEachRow(r -> {
                    for (int i = 0, p = r[0], q = r[1]; i < n; i++, p += xsStep, q += osStep) {
                        float v = a[p];
                        if (v < acc[q] || Float.isNaN(v)) acc[q] = v;
                    }
                });
            }
            default -> throw new IllegalStateException(op.toString());
        }
        if (op == ReduceOp.SUM || op == ReduceOp.MAX || op == ReduceOp.MIN) {
            for (int i = 0; i < outN; i++) o[i] = (float) acc[i];
            return;
        }
        double inv = 1.0 / count;
        for (int i = 0; i < outN; i++) acc[i] *= inv;
        if (op == ReduceOp.MEAN) {
            for (int i = 0; i < outN; i++) o[i] = (float) acc[i];
            return;
        }
        // VAR: a second pass over the deviations from the mean (numerically safer than E[x²] − E[x]²).
        double[] sq = new double[outN];
        loop.forEachRow(r -> {
            for (int i = 0, p = r[0], q = r[1]; i < n; i++, p += xsStep, q += osStep) {
                double d = a[p] - acc[q];
                sq[q] += d * d;
            }
        });
        double denom = count - correction;
        for (int i = 0; i < outN; i++) o[i] = (float) (denom > 0 ? sq[i] / denom : Double.NaN);
    }

    /** Index of the first extreme value along the single reduced dimension (NaN counts as extreme). */
    private static void argExtreme(boolean max, Tensor x, boolean[] reduced, Tensor out) {
        int dim = -1, count = 0;
        for (int i = 0; i < reduced.length; i++) if (reduced[i]) { dim = i; count++; }
        if (count != 1) throw new IllegalArgumentException((max ? "argmax" : "argmin") + ": exactly one dimension, got " + count);
        float[] a = CpuBackend.cpu(x).floats();
        long[] o = CpuBackend.cpu(out).longs();
        int len = x.size(dim);
        int step = (int) x.stride(dim);
        long[] xsNoDim = x.strides();
        xsNoDim[dim] = 0;
        int[] outerShape = x.shape();
        outerShape[dim] = 1;
        Loop loop = Loop.of(outerShape, new long[][]{xsNoDim, out.strides()}, new long[]{x.offset(), 0});
        int n = loop.n, s0 = loop.step[0], s1 = loop.step[1];
        loop.forEachRow(r -> {
            for (int i = 0, p = r[0], q = r[1]; i < n; i++, p += s0, q += s1) {
                int best = 0;
                float bv = a[p];
                for (int j = 1; j < len && !Float.isNaN(bv); j++) {
                    float v = a[p + j * step];
                    if (Float.isNaN(v) || (max ? v > bv : v < bv)) { bv = v; best = j; }
                }
                o[q] = best;
            }
        });
    }

    /** Softmax along dim; the row maximum is subtracted first so exp never overflows. */
    static void softmax(Tensor x, int dim, boolean log, Tensor out) {
        float[] a = CpuBackend.cpu(x).floats(), o = CpuBackend.cpu(out).floats();
        int len = x.size(dim);
        if (len == 0) return;
        int xStep = (int) x.stride(dim), oStep = (int) out.stride(dim);
        int[] outer = x.shape();
        outer[dim] = 1;
        long[] xs = x.strides(), os = out.strides();
        xs[dim] = 0;
        os[dim] = 0;
        Loop loop = Loop.of(outer, new long[][]{xs, os}, new long[]{x.offset(), out.offset()});
        int n = loop.n, s0 = loop.step[0], s1 = loop.step[1];
        loop.forEachRow(r -> {
            for (int i = 0, p = r[0], q = r[1]; i < n; i++, p += s0, q += s1) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) m = Math.max(m, a[p + j * xStep]);
                if (m == Double.NEGATIVE_INFINITY) m = 0; // all -inf: exp gives 0/0 = NaN like PyTorch
                double sum = 0;
                for (int j = 0; j < len; j++) sum += Math.exp(a[p + j * xStep] - m);
                if (log) {
                    double lse = m + Math.log(sum);
                    for (int j = 0; j < len; j++) o[q + j * oStep] = (float) (a[p + j * xStep] - lse);
                } else {
                    double inv = 1.0 / sum;
                    for (int j = 0; j < len; j++) o[q + j * oStep] = (float) (Math.exp(a[p + j * xStep] - m) * inv);
                }
            }
        });
    }

    static void layerNorm(Tensor x, int normDims, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd) {
        Tensor xc = x.contiguous();
        float[] a = CpuBackend.cpu(xc).floats(), o = CpuBackend.cpu(out).floats();
        float[] mu = CpuBackend.cpu(mean).floats(), rs = CpuBackend.cpu(rstd).floats();
        float[] w = weight == null ? null : CpuBackend.cpu(weight.contiguous()).floats();
        float[] b = bias == null ? null : CpuBackend.cpu(bias.contiguous()).floats();
        int wOff = weight == null ? 0 : (int) weight.contiguous().offset(), bOff = bias == null ? 0 : (int) bias.contiguous().offset();
        int[] s = x.shape();
        int d = 1;
        for (int i = s.length - normDims; i < s.length; i++) d *= s[i];
        int groups = d == 0 ? 0 : (int) (x.numel() / d);
        int base = (int) xc.offset();
        for (int g = 0; g < groups; g++) {
            int p = base + g * d, q = g * d;
            double sum = 0;
            for (int j = 0; j < d; j++) sum += a[p + j];
            double m = sum / d, var = 0;
            for (int j = 0; j < d; j++) {
                double t = a[p + j] - m;
                var += t * t;
            }
            double r = 1.0 / Math.sqrt(var / d + eps);
            mu[g] = (float) m;
            rs[g] = (float) r;
            for (int j = 0; j < d; j++) {
                double y = (a[p + j] - m) * r;
                if (w != null) y *= w[wOff + j];
                if (b != null) y += b[bOff + j];
                o[q + j] = (float) y;
            }
        }
    }

    static void batchNorm(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, boolean useRunning,
                          double eps, Tensor out, Tensor mean, Tensor rstd) {
        Tensor xc = x.contiguous();
        float[] a = CpuBackend.cpu(xc).floats(), o = CpuBackend.cpu(out).floats();
        int n = x.size(0), c = x.size(1);
        int spatial = c == 0 || n == 0 ? 0 : (int) (x.numel() / ((long) n * c));
        int base = (int) xc.offset();
        float[] mu = CpuBackend.cpu(mean).floats(), rs = CpuBackend.cpu(rstd).floats();
        for (int ch = 0; ch < c; ch++) {
            double m, r;
            if (useRunning) {
                m = runningMean.get(ch);
                r = 1.0 / Math.sqrt(runningVar.get(ch) + eps);
            } else {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int p = base + (i * c + ch) * spatial;
                    for (int j = 0; j < spatial; j++) sum += a[p + j];
                }
                long cnt = (long) n * spatial;
                m = sum / cnt;
                double var = 0;
                for (int i = 0; i < n; i++) {
                    int p = base + (i * c + ch) * spatial;
                    for (int j = 0; j < spatial; j++) {
                        double t = a[p + j] - m;
                        var += t * t;
                    }
                }
                r = 1.0 / Math.sqrt(var / cnt + eps);
                mu[ch] = (float) m;
                rs[ch] = (float) r;
            }
            double scale = r * (weight == null ? 1.0 : weight.get(ch));
            double shift = (bias == null ? 0.0 : bias.get(ch)) - m * scale;
            for (int i = 0; i < n; i++) {
                int p = base + (i * c + ch) * spatial, q = (i * c + ch) * spatial;
                for (int j = 0; j < spatial; j++) o[q + j] = (float) (a[p + j] * scale + shift);
            }
        }
    }
}
