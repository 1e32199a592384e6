/* Reductions, softmax, norms and the tiled GEMM. Sums accumulate in double like the CPU backend. */

/* op codes = ReduceOp ordinals: SUM 0, MEAN 1, MAX 2, MIN 3, ARGMAX 4, ARGMIN 5, VAR 6.
 * outer: x's shape with reduced dims 1 (x's strides and offset); inner: the reduced dims (others 1, offset 0). */
KERNEL void reduce_k(int op, View outer, View inner, GLOBAL float* x, GLOBAL float* out, GLOBAL i64* outl,
                     i64 outN, i64 count, double correction) {
    i64 o = GID(0);
    if (o >= outN) return;
    i64 base = voff(outer, o);
    if (op == 4 || op == 5) {
        i64 best = 0;
        float bv = x[base + voff(inner, 0)];
        for (i64 j = 1; j < count && bv == bv; j++) {
            float v = x[base + voff(inner, j)];
            if (v != v || (op == 4 ? v > bv : v < bv)) { bv = v; best = j; }
        }
        outl[o] = best;
        return;
    }
    if (op == 2 || op == 3) {
        double acc = op == 2 ? -INFINITY : INFINITY;
        for (i64 j = 0; j < count; j++) {
            float v = x[base + voff(inner, j)];
            if ((op == 2 ? v > acc : v < acc) || v != v) acc = v;
        }
        out[o] = (float)acc;
        return;
    }
    double acc = 0;
    for (i64 j = 0; j < count; j++) acc += x[base + voff(inner, j)];
    if (op == 0) { out[o] = (float)acc; return; }
    double mean = acc * (1.0 / (double)count);
    if (op == 1) { out[o] = (float)mean; return; }
    double sq = 0;
    for (i64 j = 0; j < count; j++) {
        double d = x[base + voff(inner, j)] - mean;
        sq += d * d;
    }
    double denom = (double)count - correction;
    out[o] = (float)(denom > 0 ? sq / denom : NAN);
}

/* One work item per row along dim; the row maximum is subtracted first. */
KERNEL void softmax_k(View xo, GLOBAL float* x, View oo, GLOBAL float* out, i64 rows, i64 len, i64 xs, i64 os, int lg) {
    i64 r = GID(0);
    if (r >= rows) return;
    i64 p = voff(xo, r), q = voff(oo, r);
    double m = -INFINITY;
    for (i64 j = 0; j < len; j++) { double v = x[p + j * xs]; m = v > m ? v : (v != v ? v : m); }
    if (m == -INFINITY) m = 0;
    double sum = 0;
    for (i64 j = 0; j < len; j++) sum += exp(x[p + j * xs] - m);
    if (lg) {
        double lse = m + log(sum);
        for (i64 j = 0; j < len; j++) out[q + j * os] = (float)(x[p + j * xs] - lse);
    } else {
        double inv = 1.0 / sum;
        for (i64 j = 0; j < len; j++) out[q + j * os] = (float)(exp(x[p + j * xs] - m) * inv);
    }
}

/* x contiguous from xoff; one work item per normalized group of d elements. */
KERNEL void layernorm_k(GLOBAL float* x, i64 xoff, GLOBAL float* w, i64 woff, int hasW, GLOBAL float* b, i64 boff, int hasB,
                        double eps, GLOBAL float* out, GLOBAL float* mu, GLOBAL float* rs, i64 groups, i64 d) {
    i64 g = GID(0);
    if (g >= groups) return;
    i64 p = xoff + g * d, q = g * d;
    double sum = 0;
    for (i64 j = 0; j < d; j++) sum += x[p + j];
    double m = sum / (double)d, var = 0;
    for (i64 j = 0; j < d; j++) { double t = x[p + j] - m; var += t * t; }
    double r = 1.0 / sqrt(var / (double)d + eps);
    mu[g] = (float)m;
    rs[g] = (float)r;
    for (i64 j = 0; j < d; j++) {
        double y = (x[p + j] - m) * r;
        if (hasW) y *= w[woff + j];
        if (hasB) y += b[boff + j];
        out[q + j] = (float)y;
    }
}

/* x contiguous (N, C, spatial) from xoff; one work item per channel. Per-channel parameters by offset and stride. */
KERNEL void batchnorm_k(GLOBAL float* x, i64 xoff, i64 n, i64 c, i64 spatial,
                        GLOBAL float* w, i64 woff, i64 ws, int hasW, GLOBAL float* b, i64 boff, i64 bs, int hasB,
                        GLOBAL float* rm, i64 rmoff, i64 rms, GLOBAL float* rv, i64 rvoff, i64 rvs, int useRunning,
                        double eps, GLOBAL float* out, GLOBAL float* mu, GLOBAL float* rs) {
    i64 ch = GID(0);
    if (ch >= c) return;
    double m, r;
    if (useRunning) {
        m = rm[rmoff + ch * rms];
        r = 1.0 / sqrt((double)rv[rvoff + ch * rvs] + eps);
    } else {
        double sum = 0;
        for (i64 i = 0; i < n; i++) {
            i64 p = xoff + (i * c + ch) * spatial;
            for (i64 j = 0; j < spatial; j++) sum += x[p + j];
        }
        i64 cnt = n * spatial;
        m = sum / (double)cnt;
        double var = 0;
        for (i64 i = 0; i < n; i++) {
            i64 p = xoff + (i * c + ch) * spatial;
            for (i64 j = 0; j < spatial; j++) { double t = x[p + j] - m; var += t * t; }
        }
        r = 1.0 / sqrt(var / (double)cnt + eps);
        mu[ch] = (float)m;
        rs[ch] = (float)r;
    }
    double scale = r * (hasW ? (double)w[woff + ch * ws] : 1.0);
    double shift = (hasB ? (double)b[boff + ch * bs] : 0.0) - m * scale;
    for (i64 i = 0; i < n; i++) {
        i64 p = xoff + (i * c + ch) * spatial, q = (i * c + ch) * spatial;
        for (i64 j = 0; j < spatial; j++) out[q + j] = (float)(x[p + j] * scale + shift);
    }
}

/* Tiled GEMM: C[m, n] = beta·C + Σ_k A[m, k]·B[k, n] per batch; 16×16 tiles in local memory, operands strided. */
#define TS 16
KERNEL void matmul_k(View ba, GLOBAL float* A, View bb, GLOBAL float* B, View bc, GLOBAL float* C,
                     int M, int N, int K, i64 ar, i64 ac, i64 br, i64 bcs, i64 cr, i64 cc, float beta) {
    LOCAL float As[TS][TS];
    LOCAL float Bs[TS][TS];
    int tx = LID(0), ty = LID(1);
    i64 col = GID(0), row = GID(1), batch = GID(2);
    i64 pa = voff(ba, batch), pb = voff(bb, batch), pc = voff(bc, batch);
    float acc = 0.0f;
    for (int t = 0; t < K; t += TS) {
        int ka = t + tx, kb = t + ty;
        As[ty][tx] = (row < M && ka < K) ? A[pa + row * ar + ka * ac] : 0.0f;
        Bs[ty][tx] = (col < N && kb < K) ? B[pb + kb * br + col * bcs] : 0.0f;
        BARRIER();
        int lim = K - t < TS ? K - t : TS;
        for (int p = 0; p < lim; p++) acc += As[ty][p] * Bs[p][tx];
        BARRIER();
    }
    if (row < M && col < N) {
        i64 at = pc + row * cr + col * cc;
        C[at] = beta == 0.0f ? acc : beta * C[at] + acc;
    }
}
