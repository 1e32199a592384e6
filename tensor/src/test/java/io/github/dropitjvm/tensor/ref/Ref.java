package io.github.dropitjvm.tensor.ref;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The slow, obviously correct float64 reference for every tensor op, written as plain nested loops over
 * multi-indices of row-major {@link RefTensor}s. It imports no main-code kernel: fast kernels are checked
 * against it, so it must not share their code, their loop machinery or their shortcuts. Speed does not matter
 * here; every op unravels each flat position into a multi-index and reads through {@link RefTensor#get}.
 */
public final class Ref {
    private Ref() {}

    // ------------------------------------------------------------------ shapes

    public static int dim(int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new IllegalArgumentException("ref: dimension " + dim + " for rank " + rank);
        return d;
    }

    /** NumPy broadcasting: shapes aligned on the right, a size-1 dimension stretches to the other size. */
    public static int[] broadcastShape(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 1; i <= r; i++) {
            int da = i <= a.length ? a[a.length - i] : 1;
            int db = i <= b.length ? b[b.length - i] : 1;
            if (da == db || db == 1) out[r - i] = da;
            else if (da == 1) out[r - i] = db;
            else throw new IllegalArgumentException("ref: cannot broadcast " + Arrays.toString(a) + " and " + Arrays.toString(b));
        }
        return out;
    }

    private static int[] without(int[] shape, int d) {
        int[] s = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) s[j++] = shape[i];
        return s;
    }

    // ------------------------------------------------------------------ views (as copies)

    public static RefTensor reshape(RefTensor x, int... shape) {
        return new RefTensor(shape, x.data.clone());
    }

    /** Result dimension i is x's dimension dims[i]. */
    public static RefTensor permute(RefTensor x, int... dims) {
        int r = x.rank();
        int[] s = new int[r];
        for (int i = 0; i < r; i++) s[i] = x.shape[dims[i]];
        RefTensor out = RefTensor.zeros(s);
        for (int f = 0; f < out.numel(); f++) {
            int[] o = out.unravel(f);
            int[] in = new int[r];
            for (int i = 0; i < r; i++) in[dims[i]] = o[i];
            out.data[f] = x.get(in);
        }
        return out;
    }

    public static RefTensor transpose(RefTensor x, int a, int b) {
        int r = x.rank();
        int[] p = new int[r];
        for (int i = 0; i < r; i++) p[i] = i;
        a = dim(a, r);
        b = dim(b, r);
        p[a] = b;
        p[b] = a;
        return permute(x, p);
    }

    /** Elements start, start+step, ... below end along dim; negative start/end count from the end, then clamp. */
    public static RefTensor slice(RefTensor x, int dim, int start, int end, int step) {
        int d = dim(dim, x.rank()), n = x.shape[d];
        int s = start < 0 ? start + n : start, e = end < 0 ? end + n : end;
        s = Math.max(0, Math.min(s, n));
        e = Math.max(s, Math.min(e, n));
        int count = 0;
        for (int i = s; i < e; i += step) count++;
        int[] shape = x.shape.clone();
        shape[d] = count;
        RefTensor out = RefTensor.zeros(shape);
        for (int f = 0; f < out.numel(); f++) {
            int[] idx = out.unravel(f);
            idx[d] = s + idx[d] * step;
            out.data[f] = x.get(idx);
        }
        return out;
    }

    public static RefTensor narrow(RefTensor x, int dim, int start, int length) {
        int d = dim(dim, x.rank());
        int[] shape = x.shape.clone();
        shape[d] = length;
        RefTensor out = RefTensor.zeros(shape);
        for (int f = 0; f < out.numel(); f++) {
            int[] idx = out.unravel(f);
            idx[d] += start;
            out.data[f] = x.get(idx);
        }
        return out;
    }

    public static RefTensor select(RefTensor x, int dim, int index) {
        int d = dim(dim, x.rank());
        RefTensor n = narrow(x, d, index, 1);
        return reshape(n, without(x.shape, d));
    }

    /** x broadcast to shape (which must be a broadcast of x's shape). */
    public static RefTensor expand(RefTensor x, int... shape) {
        int lead = shape.length - x.rank();
        RefTensor out = RefTensor.zeros(shape);
        for (int f = 0; f < out.numel(); f++) {
            int[] o = out.unravel(f);
            int[] in = new int[x.rank()];
            for (int i = 0; i < in.length; i++) {
                int size = x.shape[i];
                if (size != 1 && size != shape[i + lead]) throw new IllegalArgumentException("ref: cannot expand " + Arrays.toString(x.shape) + " to " + Arrays.toString(shape));
                in[i] = size == 1 ? 0 : o[i + lead];
            }
            out.data[f] = x.get(in);
        }
        return out;
    }

    // ------------------------------------------------------------------ elementwise

    public static RefTensor map(RefTensor x, DoubleUnaryOperator f) {
        RefTensor out = RefTensor.zeros(x.shape);
        for (int i = 0; i < out.numel(); i++) out.data[i] = f.applyAsDouble(x.data[i]);
        return out;
    }

    /** f(a, b) with both broadcast to their common shape. */
    public static RefTensor zip(RefTensor a, RefTensor b, DoubleBinaryOperator f) {
        int[] s = broadcastShape(a.shape, b.shape);
        RefTensor ea = expand(a, s), eb = expand(b, s), out = RefTensor.zeros(s);
        for (int i = 0; i < out.numel(); i++) out.data[i] = f.applyAsDouble(ea.data[i], eb.data[i]);
        return out;
    }

    /** cond != 0 ? a : b, all broadcast. */
    public static RefTensor where(RefTensor cond, RefTensor a, RefTensor b) {
        int[] s = broadcastShape(broadcastShape(cond.shape, a.shape), b.shape);
        RefTensor c = expand(cond, s), ea = expand(a, s), eb = expand(b, s), out = RefTensor.zeros(s);
        for (int i = 0; i < out.numel(); i++) out.data[i] = c.data[i] != 0 ? ea.data[i] : eb.data[i];
        return out;
    }

    // ------------------------------------------------------------------ reductions

    /** A reduction of the values of one output position, given in row-major order of the reduced dimensions. */
    public interface Reducer {
        double apply(double[] values);
    }

    public static final Reducer SUM = v -> {
        double s = 0;
        for (double x : v) s += x;
        return s;
    };
    public static final Reducer ABS_SUM = v -> {
        double s = 0;
        for (double x : v) s += Math.abs(x);
        return s;
    };
    public static final Reducer SQUARE_SUM = v -> {
        double s = 0;
        for (double x : v) s += x * x;
        return s;
    };
    public static final Reducer MEAN = v -> SUM.apply(v) / v.length;
    public static final Reducer MAX = v -> {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            if (Double.isNaN(x)) return x;
            if (x > m) m = x;
        }
        return m;
    };
    public static final Reducer MIN = v -> {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) {
            if (Double.isNaN(x)) return x;
            if (x < m) m = x;
        }
        return m;
    };
    /** First position of the maximum; a NaN counts as the maximum. */
    public static final Reducer ARGMAX = v -> {
        int best = 0;
        for (int i = 0; i < v.length; i++) {
            if (Double.isNaN(v[i])) return i;
            if (v[i] > v[best]) best = i;
        }
        return best;
    };
    public static final Reducer ARGMIN = v -> {
        int best = 0;
        for (int i = 0; i < v.length; i++) {
            if (Double.isNaN(v[i])) return i;
            if (v[i] < v[best]) best = i;
        }
        return best;
    };

    public static Reducer var(double correction) {
        return v -> {
            double m = MEAN.apply(v), s = 0;
            for (double x : v) s += (x - m) * (x - m);
            return v.length - correction > 0 ? s / (v.length - correction) : Double.NaN;
        };
    }

    /** Reduces x over dims (negative allowed); keepdim leaves size-1 dimensions in their place. */
    public static RefTensor reduce(RefTensor x, int[] dims, boolean keepdim, Reducer f) {
        int r = x.rank();
        boolean[] red = new boolean[r];
        for (int d : dims) red[dim(d, r)] = true;
        int[] kept = x.shape.clone();
        for (int i = 0; i < r; i++) if (red[i]) kept[i] = 1;
        RefTensor out = RefTensor.zeros(kept);
        int outN = out.numel();
        int per = outN == 0 ? 0 : x.numel() / outN;
        double[][] values = new double[outN][per];
        int[] filled = new int[outN];
        for (int fx = 0; fx < x.numel(); fx++) {
            int[] idx = x.unravel(fx);
            for (int i = 0; i < r; i++) if (red[i]) idx[i] = 0;
            int fo = out.flat(idx);
            values[fo][filled[fo]++] = x.data[fx];
        }
        for (int fo = 0; fo < outN; fo++) out.data[fo] = f.apply(values[fo]);
        if (keepdim) return out;
        int k = 0;
        for (boolean b : red) if (!b) k++;
        int[] s = new int[k];
        for (int i = 0, j = 0; i < r; i++) if (!red[i]) s[j++] = x.shape[i];
        return reshape(out, s);
    }

    public static int[] allDims(RefTensor x) {
        int[] d = new int[x.rank()];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return d;
    }

    // ------------------------------------------------------------------ matmul

    /** NumPy matmul: batch dimensions broadcast, a 1-D operand promoted to a matrix and its dimension removed. */
    public static RefTensor matmul(RefTensor a, RefTensor b) {
        boolean aVec = a.rank() == 1, bVec = b.rank() == 1;
        RefTensor A = aVec ? reshape(a, 1, a.shape[0]) : a;
        RefTensor B = bVec ? reshape(b, b.shape[0], 1) : b;
        int ra = A.rank(), rb = B.rank();
        int m = A.shape[ra - 2], k = A.shape[ra - 1], k2 = B.shape[rb - 2], n = B.shape[rb - 1];
        if (k != k2) throw new IllegalArgumentException("ref matmul: " + k + " vs " + k2);
        int[] batch = broadcastShape(Arrays.copyOf(A.shape, ra - 2), Arrays.copyOf(B.shape, rb - 2));
        int nb = RefTensor.numel(batch), r = batch.length + 2;
        int[] as = Arrays.copyOf(batch, r), bs = Arrays.copyOf(batch, r), os = Arrays.copyOf(batch, r);
        as[r - 2] = m; as[r - 1] = k;
        bs[r - 2] = k; bs[r - 1] = n;
        os[r - 2] = m; os[r - 1] = n;
        RefTensor ea = expand(A, as), eb = expand(B, bs), out = RefTensor.zeros(os);
        for (int t = 0; t < nb; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += ea.data[(t * m + i) * k + p] * eb.data[(t * k + p) * n + j];
                    out.data[(t * m + i) * n + j] = s;
                }
        int[] s = os;
        if (aVec) s = without(s, s.length - 2);
        if (bVec) s = without(s, s.length - 1);
        return reshape(out, s);
    }

    public static RefTensor abs(RefTensor x) {
        return map(x, Math::abs);
    }

    // ------------------------------------------------------------------ softmax

    /** Softmax (or log-softmax) along dim, subtracting the line maximum first; an all −∞ line gives NaN. */
    public static RefTensor softmax(RefTensor x, int dim, boolean log) {
        int d = dim(dim, x.rank()), len = x.shape[d];
        RefTensor out = RefTensor.zeros(x.shape);
        for (int f = 0; f < x.numel(); f++) {
            int[] idx = x.unravel(f);
            if (idx[d] != 0) continue;
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < len; j++) { idx[d] = j; m = Math.max(m, x.get(idx)); }
            if (m == Double.NEGATIVE_INFINITY) m = 0;
            double sum = 0;
            for (int j = 0; j < len; j++) { idx[d] = j; sum += Math.exp(x.get(idx) - m); }
            for (int j = 0; j < len; j++) {
                idx[d] = j;
                double v = x.get(idx) - m;
                out.set(log ? v - Math.log(sum) : Math.exp(v) / sum, idx);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ normalization

    /** Output and the per-group statistics (mean, 1/sqrt(var + eps)) of a normalization. */
    public record Norm(RefTensor out, RefTensor mean, RefTensor rstd) {}

    /** Layer norm over the last k dimensions (population variance); w and b (that trailing shape) may be null. */
    public static Norm layerNorm(RefTensor x, int k, RefTensor w, RefTensor b, double eps) {
        int r = x.rank(), d = 1;
        for (int i = r - k; i < r; i++) d *= x.shape[i];
        int[] statShape = x.shape.clone();
        for (int i = r - k; i < r; i++) statShape[i] = 1;
        RefTensor out = RefTensor.zeros(x.shape), mean = RefTensor.zeros(statShape), rstd = RefTensor.zeros(statShape);
        int groups = d == 0 ? 0 : x.numel() / d;
        for (int g = 0; g < groups; g++) {
            // row-major: group g is the d consecutive values starting at g·d
            double sum = 0;
            for (int j = 0; j < d; j++) sum += x.data[g * d + j];
            double m = sum / d, var = 0;
            for (int j = 0; j < d; j++) var += (x.data[g * d + j] - m) * (x.data[g * d + j] - m);
            double rs = 1.0 / Math.sqrt(var / d + eps);
            mean.data[g] = m;
            rstd.data[g] = rs;
            for (int j = 0; j < d; j++) {
                double y = (x.data[g * d + j] - m) * rs;
                if (w != null) y *= w.data[j];
                if (b != null) y += b.data[j];
                out.data[g * d + j] = y;
            }
        }
        return new Norm(out, mean, rstd);
    }

    /**
     * Batch norm of x (N, C, ...) per channel. Training: batch mean and biased variance; inference: the running
     * statistics (returned as mean and rstd too).
     */
    public static Norm batchNorm(RefTensor x, RefTensor w, RefTensor b, RefTensor runningMean, RefTensor runningVar,
                                 boolean training, double eps) {
        int c = x.shape[1];
        double[] sum = new double[c];
        int[] count = new int[c];
        for (int f = 0; f < x.numel(); f++) {
            int ch = x.unravel(f)[1];
            sum[ch] += x.data[f];
            count[ch]++;
        }
        double[] m = new double[c], sq = new double[c];
        for (int ch = 0; ch < c; ch++) m[ch] = sum[ch] / count[ch];
        for (int f = 0; f < x.numel(); f++) {
            int ch = x.unravel(f)[1];
            sq[ch] += (x.data[f] - m[ch]) * (x.data[f] - m[ch]);
        }
        RefTensor mean = RefTensor.zeros(c), rstd = RefTensor.zeros(c);
        for (int ch = 0; ch < c; ch++) {
            mean.data[ch] = training ? m[ch] : runningMean.data[ch];
            rstd.data[ch] = 1.0 / Math.sqrt((training ? sq[ch] / count[ch] : runningVar.data[ch]) + eps);
        }
        RefTensor out = RefTensor.zeros(x.shape);
        for (int f = 0; f < x.numel(); f++) {
            int ch = x.unravel(f)[1];
            double y = (x.data[f] - mean.data[ch]) * rstd.data[ch];
            if (w != null) y *= w.data[ch];
            if (b != null) y += b.data[ch];
            out.data[f] = y;
        }
        return new Norm(out, mean, rstd);
    }

    // ------------------------------------------------------------------ convolution and pooling

    /** Window geometry of a 2-D sliding window; the same meaning as the main code's, rewritten here. */
    public record Window(int kh, int kw, int sh, int sw, int ph, int pw) {
        public int outH(int h) { return (h + 2 * ph - kh) / sh + 1; }
        public int outW(int w) { return (w + 2 * pw - kw) / sw + 1; }
    }

    /** cols[n][(c·kh + i)·kw + j][oy·OW + ox] = x[n][c][oy·sh − ph + i][ox·sw − pw + j], 0 outside. */
    public static RefTensor im2col(RefTensor x, Window g) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], oh = g.outH(h), ow = g.outW(w);
        RefTensor cols = RefTensor.zeros(n, c * g.kh * g.kw, oh * ow);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < g.kh; i++)
                    for (int j = 0; j < g.kw; j++)
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++) {
                                int iy = oy * g.sh - g.ph + i, ix = ox * g.sw - g.pw + j;
                                boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                                cols.set(inside ? x.get(b, ch, iy, ix) : 0, b, (ch * g.kh + i) * g.kw + j, oy * ow + ox);
                            }
        return cols;
    }

    /** The adjoint of im2col: every column entry added back at the input position it was read from. */
    public static RefTensor col2im(RefTensor cols, int c, int h, int w, Window g) {
        int n = cols.shape[0], oh = g.outH(h), ow = g.outW(w);
        RefTensor x = RefTensor.zeros(n, c, h, w);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < g.kh; i++)
                    for (int j = 0; j < g.kw; j++)
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++) {
                                int iy = oy * g.sh - g.ph + i, ix = ox * g.sw - g.pw + j;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                    x.set(x.get(b, ch, iy, ix) + cols.get(b, (ch * g.kh + i) * g.kw + j, oy * ow + ox), b, ch, iy, ix);
                            }
        return x;
    }

    /** Direct convolution (cross-correlation) of x (N, C, H, W) with weight (O, C, kh, kw), zero padding. */
    public static RefTensor conv2d(RefTensor x, RefTensor weight, Window g, boolean absolute) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], o = weight.shape[0];
        int oh = g.outH(h), ow = g.outW(w);
        RefTensor out = RefTensor.zeros(n, o, oh, ow);
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double s = 0;
                        for (int ch = 0; ch < c; ch++)
                            for (int i = 0; i < g.kh; i++)
                                for (int j = 0; j < g.kw; j++) {
                                    int iy = oy * g.sh - g.ph + i, ix = ox * g.sw - g.pw + j;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    double p = x.get(b, ch, iy, ix) * weight.get(oc, ch, i, j);
                                    s += absolute ? Math.abs(p) : p;
                                }
                        out.set(s, b, oc, oy, ox);
                    }
        return out;
    }

    /** Pooled values and, for max pooling, the row-major position (iy·W + ix) of each window's maximum. */
    public record Pool(RefTensor out, int[] indices) {}

    /**
     * Max pooling with −∞ padding: scanning each window row by row, the first maximum wins; a NaN, once seen,
     * is the maximum (the first NaN wins).
     */
    public static Pool maxPool2d(RefTensor x, Window g) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], oh = g.outH(h), ow = g.outW(w);
        RefTensor out = RefTensor.zeros(n, c, oh, ow);
        int[] idx = new int[out.numel()];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double best = Double.NaN;
                        int at = -1;
                        for (int i = 0; i < g.kh; i++)
                            for (int j = 0; j < g.kw; j++) {
                                int iy = oy * g.sh - g.ph + i, ix = ox * g.sw - g.pw + j;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                double v = x.get(b, ch, iy, ix);
                                boolean take = at < 0 || (!Double.isNaN(best) && (Double.isNaN(v) || v > best));
                                if (take) { best = v; at = iy * w + ix; }
                            }
                        out.set(best, b, ch, oy, ox);
                        idx[out.flat(b, ch, oy, ox)] = at;
                    }
        return new Pool(out, idx);
    }

    public static RefTensor maxPool2dBackward(RefTensor gradOut, int[] indices, int h, int w) {
        int n = gradOut.shape[0], c = gradOut.shape[1];
        RefTensor gin = RefTensor.zeros(n, c, h, w);
        for (int f = 0; f < gradOut.numel(); f++) {
            int[] o = gradOut.unravel(f);
            int at = indices[f];
            int iy = at / w, ix = at % w;
            gin.set(gin.get(o[0], o[1], iy, ix) + gradOut.data[f], o[0], o[1], iy, ix);
        }
        return gin;
    }

    /** Average pooling; padded positions count in the divisor kh·kw. */
    public static RefTensor avgPool2d(RefTensor x, Window g) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], oh = g.outH(h), ow = g.outW(w);
        RefTensor out = RefTensor.zeros(n, c, oh, ow);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double s = 0;
                        for (int i = 0; i < g.kh; i++)
                            for (int j = 0; j < g.kw; j++) {
                                int iy = oy * g.sh - g.ph + i, ix = ox * g.sw - g.pw + j;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += x.get(b, ch, iy, ix);
                            }
                        out.set(s / (g.kh * g.kw), b, ch, oy, ox);
                    }
        return out;
    }

    public static RefTensor avgPool2dBackward(RefTensor gradOut, int h, int w, Window g) {
        int n = gradOut.shape[0], c = gradOut.shape[1], oh = gradOut.shape[2], ow = gradOut.shape[3];
        RefTensor gin = RefTensor.zeros(n, c, h, w);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                        for (int i = 0; i < g.kh; i++)
                            for (int j = 0; j < g.kw; j++) {
                                int iy = oy * g.sh - g.ph + i, ix = ox * g.sw - g.pw + j;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                    gin.set(gin.get(b, ch, iy, ix) + gradOut.get(b, ch, oy, ox) / (g.kh * g.kw), b, ch, iy, ix);
                            }
        return gin;
    }

    // ------------------------------------------------------------------ indexing

    /** out[idx] = x[idx with idx[dim] replaced by index[idx]]; out has index's shape. */
    public static RefTensor gather(RefTensor x, int dim, RefTensor index) {
        int d = dim(dim, x.rank());
        RefTensor out = RefTensor.zeros(index.shape);
        for (int f = 0; f < out.numel(); f++) {
            int[] idx = index.unravel(f);
            idx[d] = (int) index.data[f];
            out.data[f] = x.get(idx);
        }
        return out;
    }

    /** A copy of dst where, in row-major order over index, dst[idx with dim = index[idx]] (+)= src[idx]. */
    public static RefTensor scatter(RefTensor dst, int dim, RefTensor index, RefTensor src, boolean accumulate) {
        int d = dim(dim, dst.rank());
        RefTensor out = dst.copy();
        for (int f = 0; f < index.numel(); f++) {
            int[] idx = index.unravel(f);
            double v = src.get(idx);
            idx[d] = (int) index.data[f];
            out.set(accumulate ? out.get(idx) + v : v, idx);
        }
        return out;
    }

    public static RefTensor indexSelect(RefTensor x, int dim, int[] index) {
        int d = dim(dim, x.rank());
        int[] s = x.shape.clone();
        s[d] = index.length;
        RefTensor out = RefTensor.zeros(s);
        for (int f = 0; f < out.numel(); f++) {
            int[] idx = out.unravel(f);
            idx[d] = index[idx[d]];
            out.data[f] = x.get(idx);
        }
        return out;
    }

    public static RefTensor cat(int dim, RefTensor... parts) {
        int d = dim(dim, parts[0].rank());
        int[] s = parts[0].shape.clone();
        s[d] = 0;
        for (RefTensor p : parts) s[d] += p.shape[d];
        RefTensor out = RefTensor.zeros(s);
        for (int f = 0; f < out.numel(); f++) {
            int[] idx = out.unravel(f);
            int part = 0;
            while (idx[d] >= parts[part].shape[d]) idx[d] -= parts[part++].shape[d];
            out.data[f] = parts[part].get(idx);
        }
        return out;
    }

    public static RefTensor stack(int dim, RefTensor... parts) {
        int r = parts[0].rank() + 1, d = dim < 0 ? dim + r : dim;
        RefTensor[] u = new RefTensor[parts.length];
        for (int i = 0; i < parts.length; i++) {
            int[] s = new int[r];
            for (int a = 0, b = 0; a < r; a++) s[a] = a == d ? 1 : parts[i].shape[b++];
            u[i] = reshape(parts[i], s);
        }
        return cat(d, u);
    }
}
