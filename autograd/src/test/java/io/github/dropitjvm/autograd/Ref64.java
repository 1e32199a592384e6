package io.github.dropitjvm.autograd;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The slow, obviously correct float64 reference of every differentiable op (DESIGN.md, "Numerics and
 * determinism"). A reference tensor is a shape and a row-major {@code double[]}: no strides, no views, no
 * sharing. Every op is a plain loop over multi-indices and imports nothing from main code, so it can be read and
 * checked by eye; gradcheck differentiates these functions numerically.
 */
public final class Ref64 {
    private Ref64() {}

    /** A row-major float64 tensor. */
    public record T(int[] shape, double[] v) {
        public T {
            if (Ref64.numel(shape) != v.length)
                throw new IllegalArgumentException("ref: " + v.length + " values for shape " + Arrays.toString(shape));
        }

        public int rank() {
            return shape.length;
        }

        public int numel() {
            return v.length;
        }

        /** The element at a full multi-index. */
        public double at(int... idx) {
            return v[offset(shape, idx)];
        }

        @Override
        public String toString() {
            return "Ref64.T" + Arrays.toString(shape) + (v.length <= 16 ? Arrays.toString(v) : "");
        }
    }

    public static T of(double[] v, int... shape) {
        return new T(shape.clone(), v);
    }

    public static T zeros(int... shape) {
        return new T(shape.clone(), new double[numel(shape)]);
    }

    // ------------------------------------------------------------------ index helpers

    public static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Row-major flat offset of a full multi-index. */
    static int offset(int[] shape, int[] idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("ref: index rank " + idx.length + " for shape " + Arrays.toString(shape));
        int off = 0;
        for (int i = 0; i < shape.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("ref: index " + Arrays.toString(idx) + " for shape " + Arrays.toString(shape));
            off = off * shape[i] + idx[i];
        }
        return off;
    }

    /** The multi-index of row-major position flat. */
    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }
        return idx;
    }

    static int dim(int d, int rank) {
        int r = d < 0 ? d + rank : d;
        if (r < 0 || r >= rank) throw new IllegalArgumentException("ref: dimension " + d + " for rank " + rank);
        return r;
    }

    /** NumPy broadcast of two shapes. */
    static int[] broadcastShape(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException("ref: cannot broadcast " + Arrays.toString(a) + " and " + Arrays.toString(b));
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Flat offset in a tensor of shape xs of the element that out-index idx broadcasts from (right-aligned). */
    static int broadcastOffset(int[] xs, int[] idx) {
        int lead = idx.length - xs.length;
        int off = 0;
        for (int i = 0; i < xs.length; i++) off = off * xs[i] + (xs[i] == 1 ? 0 : idx[lead + i]);
        return off;
    }

    // ------------------------------------------------------------------ elementwise

    public static T zip(T a, T b, DoubleBinaryOperator f) {
        int[] s = broadcastShape(a.shape, b.shape);
        T out = zeros(s);
        for (int i = 0; i < out.v.length; i++) {
            int[] idx = unravel(i, s);
            out.v[i] = f.applyAsDouble(a.v[broadcastOffset(a.shape, idx)], b.v[broadcastOffset(b.shape, idx)]);
        }
        return out;
    }

    public static T map(T a, DoubleUnaryOperator f) {
        T out = zeros(a.shape);
        for (int i = 0; i < a.v.length; i++) out.v[i] = f.applyAsDouble(a.v[i]);
        return out;
    }

    public static T add(T a, T b) { return zip(a, b, Double::sum); }
    public static T sub(T a, T b) { return zip(a, b, (x, y) -> x - y); }
    public static T mul(T a, T b) { return zip(a, b, (x, y) -> x * y); }
    public static T div(T a, T b) { return zip(a, b, (x, y) -> x / y); }
    public static T addScalar(T a, double s) { return map(a, x -> x + s); }
    public static T mulScalar(T a, double s) { return map(a, x -> x * s); }
    public static T neg(T a) { return map(a, x -> -x); }
    public static T abs(T a) { return map(a, Math::abs); }
    public static T pow(T a, double p) { return map(a, x -> Math.pow(x, p)); }
    public static T exp(T a) { return map(a, Math::exp); }
    public static T log(T a) { return map(a, Math::log); }
    public static T sqrt(T a) { return map(a, Math::sqrt); }
    public static T tanh(T a) { return map(a, Math::tanh); }
    public static T sigmoid(T a) { return map(a, x -> 1.0 / (1.0 + Math.exp(-x))); }
    public static T relu(T a) { return map(a, x -> x > 0 ? x : 0.0); }
    public static T gelu(T a) { return map(a, Ref64::gelu); }

    /** Exact GELU: x·Φ(x) = x·(1 + erf(x/√2))/2. */
    public static double gelu(double x) {
        return 0.5 * x * (1.0 + erf(x / Math.sqrt(2.0)));
    }

    /**
     * erf(x) = 2/√π ∫₀ˣ e^(−t²) dt by composite Simpson's rule with step at most 1/400 (independent of the main
     * code's series / continued fraction). Error bound |x|·h⁴·max|f⁗|/180 with max|f⁗| = 12: below 2e-11.
     */
    public static double erf(double x) {
        if (x == 0) return 0;
        double a = Math.abs(x);
        if (a > 6) return Math.signum(x);
        int n = 2 * (int) Math.ceil(a * 200) + 2; // even number of intervals
        double h = a / n;
        double s = 1.0 + Math.exp(-a * a);
        for (int i = 1; i < n; i++) {
            double t = i * h;
            s += (i % 2 == 1 ? 4 : 2) * Math.exp(-t * t);
        }
        return Math.signum(x) * s * h / 3.0 * 2.0 / Math.sqrt(Math.PI);
    }

    /** Inverted dropout with a given keep mask (row-major): kept elements scaled by 1/(1 − p), others 0. */
    public static T dropout(T x, boolean[] keep, double p) {
        if (keep.length != x.v.length) throw new IllegalArgumentException("ref dropout: mask of " + keep.length + " for " + x.v.length + " values");
        T out = zeros(x.shape);
        for (int i = 0; i < x.v.length; i++) out.v[i] = keep[i] ? x.v[i] / (1.0 - p) : 0.0;
        return out;
    }

    // ------------------------------------------------------------------ linear algebra

    /** Batched matmul over the last two dimensions (both rank >= 2), batch dimensions broadcast. */
    public static T matmul(T a, T b) {
        int ra = a.rank(), rb = b.rank();
        int m = a.shape[ra - 2], k = a.shape[ra - 1], k2 = b.shape[rb - 2], n = b.shape[rb - 1];
        if (k != k2) throw new IllegalArgumentException("ref matmul: inner dimensions " + k + " vs " + k2);
        int[] ab = Arrays.copyOf(a.shape, ra - 2), bb = Arrays.copyOf(b.shape, rb - 2);
        int[] batch = broadcastShape(ab, bb);
        int[] os = Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = m;
        os[batch.length + 1] = n;
        T out = zeros(os);
        int nb = numel(batch);
        for (int t = 0; t < nb; t++) {
            int[] bi = unravel(t, batch);
            int ao = broadcastOffset(ab, bi) * m * k, bo = broadcastOffset(bb, bi) * k * n, oo = t * m * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += a.v[ao + i * k + p] * b.v[bo + p * n + j];
                    out.v[oo + i * n + j] = s;
                }
        }
        return out;
    }

    /** y = x·Wᵀ + b over the last dimension of x; W is (out, in); b (out) may be null. */
    public static T linear(T x, T w, T b) {
        int out = w.shape[0], in = w.shape[1];
        if (x.shape[x.rank() - 1] != in) throw new IllegalArgumentException("ref linear: input " + Arrays.toString(x.shape) + " vs weight " + Arrays.toString(w.shape));
        int rows = x.numel() / in;
        int[] ys = x.shape.clone();
        ys[ys.length - 1] = out;
        T y = zeros(ys);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b.v[o];
                for (int i = 0; i < in; i++) s += x.v[r * in + i] * w.v[o * in + i];
                y.v[r * out + o] = s;
            }
        return y;
    }

    /** conv2d: x (N, C, H, W), w (O, C, kh, kw), b (O) or null, square stride, zero padding. */
    public static T conv2d(T x, T w, T b, int stride, int pad) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
        int o = w.shape[0], kh = w.shape[2], kw = w.shape[3];
        if (w.shape[1] != c) throw new IllegalArgumentException("ref conv2d: channels " + c + " vs " + w.shape[1]);
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1;
        T y = zeros(n, o, oh, ow);
        for (int ni = 0; ni < n; ni++)
            for (int oc = 0; oc < o; oc++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double s = b == null ? 0 : b.v[oc];
                        for (int ci = 0; ci < c; ci++)
                            for (int ki = 0; ki < kh; ki++)
                                for (int kj = 0; kj < kw; kj++) {
                                    int iy = oy * stride - pad + ki, ix = ox * stride - pad + kj;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    s += x.at(ni, ci, iy, ix) * w.at(oc, ci, ki, kj);
                                }
                        y.v[offset(y.shape, new int[]{ni, oc, oy, ox})] = s;
                    }
        return y;
    }

    /** Max pooling over the in-bounds part of each k×k window (padding never wins). */
    public static T maxPool2d(T x, int k, int stride, int pad) {
        return pool(x, k, stride, pad, true);
    }

    /** Average pooling; the divisor is always k·k (padding counts as zeros, PyTorch's count_include_pad). */
    public static T avgPool2d(T x, int k, int stride, int pad) {
        return pool(x, k, stride, pad, false);
    }

    private static T pool(T x, int k, int stride, int pad, boolean max) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
        T y = zeros(n, c, oh, ow);
        for (int ni = 0; ni < n; ni++)
            for (int ci = 0; ci < c; ci++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = max ? Double.NEGATIVE_INFINITY : 0;
                        for (int ki = 0; ki < k; ki++)
                            for (int kj = 0; kj < k; kj++) {
                                int iy = oy * stride - pad + ki, ix = ox * stride - pad + kj;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                double v = x.at(ni, ci, iy, ix);
                                acc = max ? Math.max(acc, v) : acc + v;
                            }
                        y.v[offset(y.shape, new int[]{ni, ci, oy, ox})] = max ? acc : acc / (k * k);
                    }
        return y;
    }

    // ------------------------------------------------------------------ softmax and normalization

    public static T softmax(T x, int dim) {
        return softmax(x, dim, false);
    }

    public static T logSoftmax(T x, int dim) {
        return softmax(x, dim, true);
    }

    private static T softmax(T x, int dim, boolean log) {
        int d = dim(dim, x.rank());
        int outer = numel(Arrays.copyOfRange(x.shape, 0, d)), len = x.shape[d], inner = numel(Arrays.copyOfRange(x.shape, d + 1, x.rank()));
        T y = zeros(x.shape);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double sum = 0;
                for (int j = 0; j < len; j++) sum += Math.exp(x.v[base + j * inner]);
                for (int j = 0; j < len; j++) {
                    int at = base + j * inner;
                    y.v[at] = log ? x.v[at] - Math.log(sum) : Math.exp(x.v[at]) / sum;
                }
            }
        return y;
    }

    /**
     * Layer norm over the trailing {@code normDims} dimensions: (x − mean)/√(var + eps), var biased, then ·w + b
     * elementwise over the normalized shape (w, b may be null).
     */
    public static T layerNorm(T x, int normDims, T w, T b, double eps) {
        int d = numel(Arrays.copyOfRange(x.shape, x.rank() - normDims, x.rank()));
        int groups = x.numel() / d;
        T y = zeros(x.shape);
        for (int g = 0; g < groups; g++) {
            double mean = 0, var = 0;
            for (int j = 0; j < d; j++) mean += x.v[g * d + j];
            mean /= d;
            for (int j = 0; j < d; j++) var += (x.v[g * d + j] - mean) * (x.v[g * d + j] - mean);
            var /= d;
            for (int j = 0; j < d; j++) {
                double v = (x.v[g * d + j] - mean) / Math.sqrt(var + eps);
                if (w != null) v *= w.v[j];
                if (b != null) v += b.v[j];
                y.v[g * d + j] = v;
            }
        }
        return y;
    }

    /** Batch norm in training mode: per-channel batch mean and biased variance of x (N, C, ...). */
    public static T batchNormTrain(T x, T w, T b, double eps) {
        int n = x.shape[0], c = x.shape[1], s = x.numel() / (n * c);
        double[] mean = new double[c], var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < n; i++) for (int j = 0; j < s; j++) mean[ch] += x.v[(i * c + ch) * s + j];
            mean[ch] /= n * s;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++) {
                    double t = x.v[(i * c + ch) * s + j] - mean[ch];
                    var[ch] += t * t;
                }
            var[ch] /= n * s;
        }
        return batchNormWith(x, mean, var, w, b, eps);
    }

    /** Batch norm in inference mode: the given running mean and variance. */
    public static T batchNormEval(T x, T runningMean, T runningVar, T w, T b, double eps) {
        return batchNormWith(x, runningMean.v, runningVar.v, w, b, eps);
    }

    private static T batchNormWith(T x, double[] mean, double[] var, T w, T b, double eps) {
        int n = x.shape[0], c = x.shape[1], s = x.numel() / (n * c);
        T y = zeros(x.shape);
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < s; j++) {
                    int at = (i * c + ch) * s + j;
                    double v = (x.v[at] - mean[ch]) / Math.sqrt(var[ch] + eps);
                    if (w != null) v *= w.v[ch];
                    if (b != null) v += b.v[ch];
                    y.v[at] = v;
                }
        return y;
    }

    // ------------------------------------------------------------------ shapes

    /** Same values in a new shape (one entry may be −1). */
    public static T reshape(T x, int... shape) {
        int[] s = shape.clone();
        int known = 1, infer = -1;
        for (int i = 0; i < s.length; i++) if (s[i] == -1) infer = i; else known *= s[i];
        if (infer >= 0) s[infer] = x.numel() / known;
        return new T(s, x.v.clone());
    }

    /** Result dimension i is x's dimension dims[i]. */
    public static T permute(T x, int... dims) {
        int r = x.rank();
        int[] s = new int[r];
        for (int i = 0; i < r; i++) s[i] = x.shape[dim(dims[i], r)];
        T y = zeros(s);
        int[] src = new int[r];
        for (int f = 0; f < y.v.length; f++) {
            int[] idx = unravel(f, s);
            for (int i = 0; i < r; i++) src[dim(dims[i], r)] = idx[i];
            y.v[f] = x.at(src);
        }
        return y;
    }

    public static T transpose(T x, int d0, int d1) {
        int r = x.rank();
        int[] p = new int[r];
        for (int i = 0; i < r; i++) p[i] = i;
        p[dim(d0, r)] = dim(d1, r);
        p[dim(d1, r)] = dim(d0, r);
        return permute(x, p);
    }

    public static T narrow(T x, int dim, int start, int length) {
        int d = dim(dim, x.rank());
        int[] s = x.shape.clone();
        s[d] = length;
        T y = zeros(s);
        for (int f = 0; f < y.v.length; f++) {
            int[] idx = unravel(f, s);
            idx[d] += start;
            y.v[f] = x.at(idx);
        }
        return y;
    }

    public static T select(T x, int dim, int index) {
        int d = dim(dim, x.rank());
        return squeeze(narrow(x, d, index, 1), d);
    }

    public static T squeeze(T x, int dim) {
        int d = dim(dim, x.rank());
        if (x.shape[d] != 1) throw new IllegalArgumentException("ref squeeze: dimension " + d + " is not 1");
        int[] s = new int[x.rank() - 1];
        for (int i = 0, j = 0; i < x.rank(); i++) if (i != d) s[j++] = x.shape[i];
        return new T(s, x.v.clone());
    }

    public static T unsqueeze(T x, int dim) {
        int d = dim < 0 ? dim + x.rank() + 1 : dim;
        int[] s = new int[x.rank() + 1];
        for (int i = 0, j = 0; i < s.length; i++) s[i] = i == d ? 1 : x.shape[j++];
        return new T(s, x.v.clone());
    }

    /** Broadcast to shape (new leading dimensions allowed). */
    public static T expand(T x, int... shape) {
        T y = zeros(shape);
        for (int f = 0; f < y.v.length; f++) y.v[f] = x.v[broadcastOffset(x.shape, unravel(f, shape))];
        return y;
    }

    public static T cat(int dim, T... parts) {
        int d = dim(dim, parts[0].rank());
        int[] s = parts[0].shape.clone();
        s[d] = 0;
        for (T p : parts) s[d] += p.shape[d];
        T y = zeros(s);
        int at = 0;
        for (T p : parts) {
            for (int f = 0; f < p.v.length; f++) {
                int[] idx = unravel(f, p.shape);
                idx[d] += at;
                y.v[offset(s, idx)] = p.v[f];
            }
            at += p.shape[d];
        }
        return y;
    }

    // ------------------------------------------------------------------ reductions and loss

    public static T sum(T x, int[] dims, boolean keepdim) {
        boolean[] red = new boolean[x.rank()];
        for (int d : dims) red[dim(d, x.rank())] = true;
        int[] kept = x.shape.clone();
        for (int i = 0; i < kept.length; i++) if (red[i]) kept[i] = 1;
        T y = zeros(kept);
        for (int f = 0; f < x.v.length; f++) {
            int[] idx = unravel(f, x.shape);
            for (int i = 0; i < idx.length; i++) if (red[i]) idx[i] = 0;
            y.v[offset(kept, idx)] += x.v[f];
        }
        if (keepdim) return y;
        int k = 0;
        for (boolean r : red) if (!r) k++;
        int[] s = new int[k];
        for (int i = 0, j = 0; i < red.length; i++) if (!red[i]) s[j++] = x.shape[i];
        return new T(s, y.v);
    }

    public static T mean(T x, int[] dims, boolean keepdim) {
        T s = sum(x, dims, keepdim);
        int count = x.numel() / Math.max(1, s.numel());
        return mulScalar(s, 1.0 / count);
    }

    public static T sumAll(T x) {
        double s = 0;
        for (double v : x.v) s += v;
        return new T(new int[0], new double[]{s});
    }

    /**
     * Mean over the batch of −Σ_c q_c·log softmax(logits)_c with q = (1 − ε)·onehot(target) + ε/C (PyTorch's
     * label-smoothing convention); logits (N, C).
     */
    public static T crossEntropy(T logits, int[] targets, double eps) {
        int n = logits.shape[0], c = logits.shape[1];
        T logp = logSoftmax(logits, 1);
        double total = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++) {
                double q = (j == targets[i] ? 1 - eps : 0) + eps / c;
                total -= q * logp.v[i * c + j];
            }
        return new T(new int[0], new double[]{total / n});
    }
}
