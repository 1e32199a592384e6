package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.ReduceOp;
import io.github.dropitjvm.tensor.Tensor;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

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
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && x.isContiguous() && outN > 0 && count > 0 && sumContiguous(a, (int) x.offset(), xs, reduced, o, outN, (int) count, op == ReduceOp.MEAN))
            return;
        if (op == ReduceOp.VAR && x.isContiguous() && outN > 0 && count > 0 && varContiguous(a, (int) x.offset(), xs, reduced, o, outN, (int) count, correction))
            return;
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

    /**
     * Fast paths of SUM/MEAN over a contiguous x whose reduced dimensions are all leading (column sums: bias
     * gradients, Grads.sumTo) or all trailing (row sums: means over a normalized row, softmax backward). Double
     * accumulation as in the generic loop. Leading: each output keeps the generic loop's order of additions (rows in
     * order), outputs split over the pool in column blocks. Trailing: each output's row is summed in vector lanes
     * then the lanes in order, rows split over the pool; either way a result does not depend on the thread count.
     * Returns false (nothing written) for other patterns.
     */
    private static boolean sumContiguous(float[] a, int off, int[] xs, boolean[] reduced, float[] o, int outN, int count, boolean mean) {
        int r = xs.length, k = 0;
        while (k < r && reduced[k]) k++;
        boolean leading = true;
        for (int i = k; i < r; i++) leading &= !reduced[i];
        int j = r;
        while (j > 0 && reduced[j - 1]) j--;
        boolean trailing = true;
        for (int i = 0; i < j; i++) trailing &= !reduced[i];
        double scale = mean ? 1.0 / count : 1.0;
        if (leading && k > 0) {
            int cols = outN, rows = count, dl = VectorMath.DL;
            // Column blocks (a multiple of the vector length, at most 4 of them when the output is narrow): any split
            // gives the same bits, since each column is summed on its own.
            int width = Math.max(dl, ((cols + 3) / 4 + dl - 1) / dl * dl);
            width = Math.min(width, 1 << 10);
            int w = width, blocks = (cols + w - 1) / w;
            WorkerPool.Body body = c -> columnSums(a, off, rows, cols, c * w, Math.min(cols, c * w + w), o, scale);
            if ((long) rows * cols < (1 << 15) || blocks == 1) {
                for (int c = 0; c < blocks; c++) body.run(c);
            } else {
                WorkerPool.shared().parallelFor(blocks, body);
            }
            return true;
        }
        int inner = innerOfKeptBlock(xs, reduced);
        if (k > 0 && inner >= VectorMath.DL) {
            // Kept dimensions in the middle, e.g. per channel over (N, C, H·W): outputs split over the pool.
            int outer = count / inner;
            perOutput(outN, (long) count * outN, m -> o[m] = (float) (keptBlockSum(a, off, outer, outN, inner, m) * scale));
            return true;
        }
        if (trailing && j < r) {
            int rows = outN, len = count;
            int block = Math.max(1, (1 << 14) / len);
            int blocks = (rows + block - 1) / block;
            WorkerPool.Body body = b -> {
                for (int row = b * block, end = Math.min(rows, row + block); row < end; row++)
                    o[row] = (float) (rowSum(a, off + row * len, len) * scale);
            };
            if (blocks == 1) body.run(0);
            else WorkerPool.shared().parallelFor(blocks, body);
            return true;
        }
        return false;
    }

    /**
     * For reduced dimensions around one block of kept ones (outer reduced, kept, inner reduced, any of the outer or
     * inner part possibly empty): the number of elements of the inner reduced part, or 0 for any other pattern.
     */
    private static int innerOfKeptBlock(int[] xs, boolean[] reduced) {
        int r = xs.length, k = 0;
        while (k < r && reduced[k]) k++;
        int j = k;
        while (j < r && !reduced[j]) j++;
        int inner = 1;
        for (int i = j; i < r; i++) {
            if (!reduced[i]) return 0;
            inner *= xs[i];
        }
        return inner;
    }

    /** Output m's sum over x laid out as (outer, outN, inner): its outer runs of inner elements, in order, in double lanes. */
    private static double keptBlockSum(float[] a, int off, int outer, int outN, int inner, int m) {
        double t = 0;
        for (int u = 0; u < outer; u++) t += rowSum(a, off + (u * outN + m) * inner, inner);
        return t;
    }

    /** body(m) for every output m, over the pool in blocks of outputs when the whole job is large. */
    private static void perOutput(int outN, long work, java.util.function.IntConsumer body) {
        int blocks = work < (1 << 15) ? 1 : Math.min(outN, 4 * WorkerPool.shared().threads());
        if (blocks == 1) {
            for (int m = 0; m < outN; m++) body.accept(m);
            return;
        }
        WorkerPool.shared().parallelFor(blocks, b -> {
            for (int m = (int) ((long) outN * b / blocks), end = (int) ((long) outN * (b + 1) / blocks); m < end; m++) body.accept(m);
        });
    }

    /**
     * VAR over a contiguous x whose kept dimensions form one block with at least a vector's worth of reduced
     * elements inside it (per channel over (N, C, H·W): BatchNorm's running variance; per row over trailing
     * dimensions): per output, the mean, then the squared deviations from it, both in double vector lanes, rows in
     * order — the generic loop's two passes without its index arithmetic per element. Returns false for other
     * patterns.
     */
    private static boolean varContiguous(float[] a, int off, int[] xs, boolean[] reduced, float[] o, int outN, int count,
                                         double correction) {
        int inner = innerOfKeptBlock(xs, reduced);
        if (inner < VectorMath.DL) return false;
        int outer = count / inner;
        double denom = count - correction;
        perOutput(outN, (long) count * outN, m -> {
            double mean = keptBlockSum(a, off, outer, outN, inner, m) / count, sq = 0;
            for (int u = 0; u < outer; u++) sq += rowSquaredDeviations(a, off + (u * outN + m) * inner, inner, mean);
            o[m] = (float) (denom > 0 ? sq / denom : Double.NaN);
        });
        return true;
    }

    /** Σ (a[p + i] − mean)² over [0, len), in double vector lanes then the lanes. */
    private static double rowSquaredDeviations(float[] a, int p, int len, double mean) {
        int dl = VectorMath.DL, i = 0;
        double s = 0;
        if (len >= dl) {
            DoubleVector acc = DoubleVector.zero(VectorMath.DS), mv = DoubleVector.broadcast(VectorMath.DS, mean);
            for (; i + dl <= len; i += dl) {
                DoubleVector d = VectorMath.load(a, p + i).sub(mv);
                acc = d.fma(d, acc);
            }
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < len; i++) {
            double d = a[p + i] - mean;
            s += d * d;
        }
        return s;
    }

    /** o[c] = scale·Σ_i a[off + i·cols + c] for c in [from, to), rows in order, in double. */
    private static void columnSums(float[] a, int off, int rows, int cols, int from, int to, float[] o, double scale) {
        double[] acc = new double[to - from];
        int w = to - from;
        for (int i = 0; i < rows; i++) VectorMath.addInDouble(acc, a, off + i * cols + from, w);
        for (int c = 0; c < w; c++) o[from + c] = (float) (acc[c] * scale);
    }

    /**
     * Adds Σ g and Σ g·(x − m) over [0, len) (g from gp, x from xp) to sums[0] and sums[1], in double vector lanes:
     * batch norm's backward, where one scalar chain per sum waited for each add (7.6 % of a resnet20 step).
     */
    private static void gradSums(float[] g, int gp, float[] x, int xp, int len, double m, double[] sums) {
        int dl = VectorMath.DL, j = 0;
        double sg = 0, sgx = 0;
        if (len >= dl) {
            DoubleVector vg = DoubleVector.zero(VectorMath.DS), vgx = vg, mv = DoubleVector.broadcast(VectorMath.DS, m);
            for (; j + dl <= len; j += dl) {
                DoubleVector gj = VectorMath.load(g, gp + j);
                vg = vg.add(gj);
                vgx = gj.fma(VectorMath.load(x, xp + j).sub(mv), vgx);
            }
            sg = vg.reduceLanes(VectorOperators.ADD);
            sgx = vgx.reduceLanes(VectorOperators.ADD);
        }
        for (; j < len; j++) {
            double gj = g[gp + j];
            sg += gj;
            sgx += gj * (x[xp + j] - m);
        }
        sums[0] += sg;
        sums[1] += sgx;
    }

    /** o[q + j] = a[p + j]·scale + shift for j < len, in double lanes (batch norm's output). */
    private static void affineRow(float[] a, int p, float[] o, int q, int len, double scale, double shift) {
        int dl = VectorMath.DL, j = 0;
        for (; j + dl <= len; j += dl)
            ((FloatVector) VectorMath.load(a, p + j).fma(scale, shift).convertShape(VectorOperators.D2F, VectorMath.FH, 0)).intoArray(o, q + j);
        for (; j < len; j++) o[q + j] = (float) Math.fma(a[p + j], scale, shift);
    }

    /** dx[dp + j] = g[gp + j]·gs + (x[xp + j] − m)·xs + k for j < len, in double lanes (batch norm's input gradient). */
    private static void batchNormGradRow(float[] g, int gp, float[] x, int xp, float[] dx, int dp, int len, double gs,
                                         double m, double xs, double k) {
        int dl = VectorMath.DL, j = 0;
        for (; j + dl <= len; j += dl) {
            DoubleVector y = VectorMath.load(g, gp + j).fma(DoubleVector.broadcast(VectorMath.DS, gs), VectorMath.load(x, xp + j).sub(m).fma(xs, k));
            ((FloatVector) y.convertShape(VectorOperators.D2F, VectorMath.FH, 0)).intoArray(dx, dp + j);
        }
        for (; j < len; j++) dx[dp + j] = (float) Math.fma(g[gp + j], gs, Math.fma(x[xp + j] - m, xs, k));
    }

    /** Σ a[p .. p+len) in double: vector lanes, then the lanes and the tail in order. */
    private static double rowSum(float[] a, int p, int len) {
        int dl = VectorMath.DL, i = 0;
        double s = 0;
        if (len >= dl) {
            // the accumulator in a register: kept in an array, every add waited for the previous store
            DoubleVector acc = DoubleVector.zero(VectorMath.DS);
            for (; i + dl <= len; i += dl) acc = acc.add(VectorMath.load(a, p + i));
            for (int l = 0; l < dl; l++) s += acc.lane(l);
        }
        for (; i < len; i++) s += a[p + i];
        return s;
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

    /**
     * Softmax along dim; the row maximum is subtracted first so exp never overflows. Each row's exponentials are
     * computed once into a double scratch row (was twice), and rows are spread over the worker pool in fixed
     * blocks: a row is computed the same way whichever thread runs it, so results do not depend on the thread count.
     */
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
        int rows = (int) (loop.rows * n);
        int[] xBase = new int[rows], oBase = new int[rows];
        int[] k = {0};
        loop.forEachRow(r -> {
            for (int i = 0, p = r[0], q = r[1]; i < n; i++, p += s0, q += s1, k[0]++) {
                xBase[k[0]] = p;
                oBase[k[0]] = q;
            }
        });
        int block = Math.max(1, (1 << 14) / len);
        int blocks = (rows + block - 1) / block;
        boolean vector = !log && xStep == 1 && oStep == 1 && len >= SOFTMAX_VECTOR_MIN;
        WorkerPool.Body body = b -> {
            double[] e = new double[len];
            float[] ef = vector ? new float[len] : null;
            for (int row = b * block, end = Math.min(rows, row + block); row < end; row++) {
                if (vector) softmaxRowVector(a, xBase[row], o, oBase[row], len, ef);
                else softmaxRow(a, xBase[row], xStep, o, oBase[row], oStep, len, log, e);
            }
        };
        if (blocks == 1) body.run(0);
        else WorkerPool.shared().parallelFor(blocks, body);
    }

    /** Shortest contiguous row {@link #softmaxRowVector} takes (see its error argument). */
    private static final int SOFTMAX_VECTOR_MIN = 32;

    /**
     * Softmax of one contiguous row in float lanes (attention's rows): the maximum, e = exp(x − max) by
     * {@link VectorMath#exp} (<= 3 ulp), the sum of e in double lanes, then e·(1/sum). Error against the exact
     * result: the float subtraction x − max costs up to |x − max|·u <= 104u relative before e underflows, plus
     * 3u (exp) and 2u (the reciprocal and the product), inside the reference bound (4L + 8)·u·p for L >= 32.
     * NaN or +∞ anywhere makes the whole row NaN, and a −∞ logit gets exactly 0, as in the double path.
     */
    private static void softmaxRowVector(float[] a, int p, float[] o, int q, int len, float[] e) {
        int i = 0;
        FloatVector mv = FloatVector.broadcast(VectorMath.FS, Float.NEGATIVE_INFINITY);
        for (; i + VectorMath.FL <= len; i += VectorMath.FL) mv = mv.max(FloatVector.fromArray(VectorMath.FS, a, p + i));
        float m = mv.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) m = Math.max(m, a[p + i]);
        if (m == Float.NEGATIVE_INFINITY) m = 0; // all -inf: exp gives 0/0 = NaN like PyTorch
        for (i = 0; i + VectorMath.FL <= len; i += VectorMath.FL) {
            FloatVector x = FloatVector.fromArray(VectorMath.FS, a, p + i);
            // exp clamps its argument at −104, so a masked (−∞) logit is made exactly 0 here
            VectorMath.exp(x.sub(m)).blend(0f, x.eq(Float.NEGATIVE_INFINITY)).intoArray(e, i);
        }
        for (; i < len; i++) e[i] = (float) Math.exp((double) a[p + i] - m);
        float inv = (float) (1.0 / rowSum(e, 0, len));
        for (i = 0; i + VectorMath.FL <= len; i += VectorMath.FL)
            FloatVector.fromArray(VectorMath.FS, e, i).mul(inv).intoArray(o, q + i);
        for (; i < len; i++) o[q + i] = e[i] * inv;
    }

    private static void softmaxRow(float[] a, int p, int xStep, float[] o, int q, int oStep, int len, boolean log, double[] e) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) m = Math.max(m, a[p + j * xStep]);
        if (m == Double.NEGATIVE_INFINITY) m = 0; // all -inf: exp gives 0/0 = NaN like PyTorch
        double sum = 0;
        for (int j = 0; j < len; j++) {
            double v = Math.exp(a[p + j * xStep] - m);
            e[j] = v;
            sum += v;
        }
        if (log) {
            double lse = m + Math.log(sum);
            for (int j = 0; j < len; j++) o[q + j * oStep] = (float) (a[p + j * xStep] - lse);
        } else {
            double inv = 1.0 / sum;
            for (int j = 0; j < len; j++) o[q + j * oStep] = (float) (e[j] * inv);
        }
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
        int base = (int) xc.offset(), dd = d;
        // Groups are independent: fixed blocks over the pool, each group computed alike on any thread.
        int block = Math.max(1, (1 << 14) / Math.max(1, d));
        int blocks = (groups + block - 1) / block;
        WorkerPool.Body body = bi -> {
            for (int g = bi * block, end = Math.min(groups, g + block); g < end; g++)
                layerNormGroup(a, base + g * dd, o, g * dd, dd, w, wOff, b, bOff, eps, mu, rs, g);
        };
        if (blocks <= 1) { if (blocks == 1) body.run(0); }
        else WorkerPool.shared().parallelFor(blocks, body);
    }

    private static void layerNormGroup(float[] a, int p, float[] o, int q, int d, float[] w, int wOff, float[] b, int bOff,
                                       double eps, float[] mu, float[] rs, int g) {
        // In double vector lanes: the scalar loops (one chain of dependent adds per statistic) were 6 % of a
        // vit-fmnist step.
        double m = rowSum(a, p, d) / d;
        double r = 1.0 / Math.sqrt(rowSquaredDeviations(a, p, d, m) / d + eps);
        mu[g] = (float) m;
        rs[g] = (float) r;
        int dl = VectorMath.DL, j = 0;
        DoubleVector mv = DoubleVector.broadcast(VectorMath.DS, m), rv = DoubleVector.broadcast(VectorMath.DS, r);
        for (; j + dl <= d; j += dl) {
            DoubleVector y = VectorMath.load(a, p + j).sub(mv).mul(rv);
            if (w != null) y = y.mul(VectorMath.load(w, wOff + j));
            if (b != null) y = y.add(VectorMath.load(b, bOff + j));
            ((FloatVector) y.convertShape(VectorOperators.D2F, VectorMath.FH, 0)).intoArray(o, q + j);
        }
        for (; j < d; j++) {
            double y = (a[p + j] - m) * r;
            if (w != null) y *= w[wOff + j];
            if (b != null) y += b[bOff + j];
            o[q + j] = (float) y;
        }
    }

    /** Groups per block of the fused layer-norm backward: fixed, so gw/gb add up in the same order on any thread count. */
    private static final int LN_BLOCK = 64;

    /**
     * Fused layer-norm backward (Backend.layerNormBackward): per group, pass 1 sums ĝ and ĝ·x̂ (double) and adds
     * g·x̂ and g into the block's gw/gb partial sums, pass 2 writes gx. Blocks of LN_BLOCK groups run over the
     * pool; their partial sums are then added in block order.
     */
    static void layerNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor weight, int normDims,
                                  Tensor gx, Tensor gw, Tensor gb) {
        Tensor gc = g.contiguous(), xc = x.contiguous(), mc = mean.contiguous(), rc = rstd.contiguous();
        Tensor wc = weight == null ? null : weight.contiguous();
        float[] ga = CpuBackend.cpu(gc).floats(), xa = CpuBackend.cpu(xc).floats();
        float[] mu = CpuBackend.cpu(mc).floats(), rs = CpuBackend.cpu(rc).floats();
        float[] w = wc == null ? null : CpuBackend.cpu(wc).floats();
        float[] dx = gx == null ? null : CpuBackend.cpu(gx).floats();
        int gOff = (int) gc.offset(), xOff = (int) xc.offset(), mOff = (int) mc.offset(), rOff = (int) rc.offset();
        int wOff = wc == null ? 0 : (int) wc.offset(), dxOff = gx == null ? 0 : (int) gx.offset();
        int[] s = x.shape();
        int d = 1;
        for (int i = s.length - normDims; i < s.length; i++) d *= s[i];
        int groups = d == 0 ? 0 : (int) (x.numel() / d);
        int blocks = (groups + LN_BLOCK - 1) / LN_BLOCK, dd = d;
        boolean sums = gw != null || gb != null;
        double[][] pw = new double[gw != null ? blocks : 0][], pb = new double[gb != null ? blocks : 0][];
        WorkerPool.Body body = bi -> {
            double[] sw = gw != null ? (pw[bi] = new double[dd]) : null, sb = gb != null ? (pb[bi] = new double[dd]) : null;
            for (int grp = bi * LN_BLOCK, end = Math.min(groups, grp + LN_BLOCK); grp < end; grp++)
                layerNormGroupBackward(ga, gOff + grp * dd, xa, xOff + grp * dd, dd, mu[mOff + grp], rs[rOff + grp], w, wOff,
                        sw, sb, dx, dxOff + grp * dd);
        };
        if (blocks == 1) body.run(0);
        else if (blocks > 1) WorkerPool.shared().parallelFor(blocks, body);
        if (!sums) return;
        if (gw != null) reduceBlocks(pw, CpuBackend.cpu(gw).floats(), (int) gw.offset(), d);
        if (gb != null) reduceBlocks(pb, CpuBackend.cpu(gb).floats(), (int) gb.offset(), d);
    }

    /**
     * One group of the layer-norm backward, in double lanes: pass 1 sums ĝ = g·w and ĝ·x̂ (x̂ = (x − m)·r) over the
     * group, per-lane then across the lanes, and adds g·x̂ and g into the block's gw/gb partial sums sw/sb (null when
     * not wanted); pass 2 writes gx = r·(ĝ − mean ĝ − x̂·mean ĝx̂) when dx is not null. The summation order depends
     * only on d, so results do not depend on the thread count.
     */
    private static void layerNormGroupBackward(float[] ga, int gp, float[] xa, int xp, int d, double m, double r,
                                               float[] w, int wOff, double[] sw, double[] sb, float[] dx, int dp) {
        VectorSpecies<Double> ds = VectorMath.DS;
        int dl = VectorMath.DL, j = 0;
        DoubleVector v1 = DoubleVector.zero(ds), v2 = DoubleVector.zero(ds);
        for (; j + dl <= d; j += dl) {
            DoubleVector gj = VectorMath.load(ga, gp + j);
            DoubleVector xh = VectorMath.load(xa, xp + j).sub(m).mul(r);
            DoubleVector gh = w == null ? gj : gj.mul(VectorMath.load(w, wOff + j));
            v1 = v1.add(gh);
            v2 = gh.fma(xh, v2);
            if (sw != null) gj.fma(xh, DoubleVector.fromArray(ds, sw, j)).intoArray(sw, j);
            if (sb != null) gj.add(DoubleVector.fromArray(ds, sb, j)).intoArray(sb, j);
        }
        double s1 = v1.reduceLanes(VectorOperators.ADD), s2 = v2.reduceLanes(VectorOperators.ADD);
        for (int k = j; k < d; k++) {
            double gj = ga[gp + k], xh = (xa[xp + k] - m) * r;
            double gh = w == null ? gj : gj * w[wOff + k];
            s1 += gh;
            s2 += gh * xh;
            if (sw != null) sw[k] += gj * xh;
            if (sb != null) sb[k] += gj;
        }
        if (dx == null) return;
        double m1 = s1 / d, m2 = s2 / d;
        for (j = 0; j + dl <= d; j += dl) {
            DoubleVector xh = VectorMath.load(xa, xp + j).sub(m).mul(r);
            DoubleVector gh = VectorMath.load(ga, gp + j);
            if (w != null) gh = gh.mul(VectorMath.load(w, wOff + j));
            DoubleVector y = xh.fma(DoubleVector.broadcast(ds, -m2), gh.sub(m1)).mul(r);
            ((FloatVector) y.convertShape(VectorOperators.D2F, VectorMath.FH, 0)).intoArray(dx, dp + j);
        }
        for (; j < d; j++) {
            double xh = (xa[xp + j] - m) * r;
            double gh = w == null ? ga[gp + j] : ga[gp + j] * (double) w[wOff + j];
            dx[dp + j] = (float) (r * (gh - m1 - xh * m2));
        }
    }

    private static void reduceBlocks(double[][] partial, float[] o, int off, int d) {
        for (int j = 0; j < d; j++) {
            double t = 0;
            for (double[] p : partial) t += p[j];
            o[off + j] = (float) t;
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
        // One task per channel (its statistics and its outputs): the same sums on any thread count.
        WorkerPool.Body body = ch -> {
            double m, r;
            if (useRunning) {
                m = runningMean.get(ch);
                r = 1.0 / Math.sqrt(runningVar.get(ch) + eps);
            } else {
                // In double vector lanes: one scalar chain of dependent adds (the former loops) waited for each add,
                // and the two passes were 6.5 % of a resnet20 step.
                long cnt = (long) n * spatial;
                m = keptBlockSum(a, base, n, c, spatial, ch) / cnt;
                double var = 0;
                for (int i = 0; i < n; i++) var += rowSquaredDeviations(a, base + (i * c + ch) * spatial, spatial, m);
                r = 1.0 / Math.sqrt(var / cnt + eps);
                mu[ch] = (float) m;
                rs[ch] = (float) r;
            }
            double scale = r * (weight == null ? 1.0 : weight.get(ch));
            double shift = (bias == null ? 0.0 : bias.get(ch)) - m * scale;
            for (int i = 0; i < n; i++) affineRow(a, base + (i * c + ch) * spatial, o, (i * c + ch) * spatial, spatial, scale, shift);
        };
        if ((long) n * c * spatial < (1 << 15)) for (int ch = 0; ch < c; ch++) body.run(ch);
        else WorkerPool.shared().parallelFor(c, body);
    }

    /**
     * Fused batch-norm backward (Backend.batchNormBackward), one task per channel: pass 1 sums g and g·x̂ over N
     * and the spatial positions (double), which are gb and gw; pass 2 writes gx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))
     * with ĝ = g·w (training) or ĝ·rstd (inference).
     */
    static void batchNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor weight, boolean training,
                                  Tensor gx, Tensor gw, Tensor gb) {
        Tensor gc = g.contiguous(), xc = x.contiguous();
        float[] ga = CpuBackend.cpu(gc).floats(), xa = CpuBackend.cpu(xc).floats();
        float[] dx = gx == null ? null : CpuBackend.cpu(gx).floats();
        float[] dw = gw == null ? null : CpuBackend.cpu(gw).floats(), db = gb == null ? null : CpuBackend.cpu(gb).floats();
        int gOff = (int) gc.offset(), xOff = (int) xc.offset();
        int dxOff = gx == null ? 0 : (int) gx.offset(), dwOff = gw == null ? 0 : (int) gw.offset(), dbOff = gb == null ? 0 : (int) gb.offset();
        int n = x.size(0), c = x.size(1);
        int spatial = c == 0 || n == 0 ? 0 : (int) (x.numel() / ((long) n * c));
        long cnt = (long) n * spatial;
        WorkerPool.Body body = ch -> {
            double m = mean.get(ch), r = rstd.get(ch), w = weight == null ? 1.0 : weight.get(ch);
            double[] sums = new double[2];
            for (int i = 0; i < n; i++) {
                int p = (i * c + ch) * spatial;
                gradSums(ga, gOff + p, xa, xOff + p, spatial, m, sums);
            }
            double sg = sums[0], sgx = sums[1] * r;
            if (db != null) db[dbOff + ch] = (float) sg;
            if (dw != null) dw[dwOff + ch] = (float) sgx;
            if (dx == null) return;
            double m1 = training && cnt > 0 ? w * sg / cnt : 0, m2 = training && cnt > 0 ? w * sgx / cnt : 0;
            // training: dx = r·(g·w − m1 − (x − m)·r·m2) = g·(r·w) + ((x − m)·(−r²·m2) − r·m1); inference: g·(r·w)
            double gs = r * w, xs = training ? -r * r * m2 : 0, k = training ? -r * m1 : 0;
            for (int i = 0; i < n; i++) {
                int p = (i * c + ch) * spatial;
                batchNormGradRow(ga, gOff + p, xa, xOff + p, dx, dxOff + p, spatial, gs, m, xs, k);
            }
        };
        if ((long) n * c * spatial < (1 << 15)) for (int ch = 0; ch < c; ch++) body.run(ch);
        else WorkerPool.shared().parallelFor(c, body);
    }
}
