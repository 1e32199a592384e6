/* im2col / col2im and pooling over contiguous (N, C, H, W) planes. g = n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow. */

KERNEL void im2col_k(GLOBAL float* x, i64 xoff, GLOBAL float* cols, int N, int C, int H, int W, int KH, int KW,
                     int SH, int SW, int PH, int PW, int OH, int OW, i64 total) {
    i64 e = GID(0);
    if (e >= total) return;
    i64 spatial = (i64)OH * OW, rows = (i64)C * KH * KW;
    i64 s = e % spatial, row = (e / spatial) % rows, n = e / (spatial * rows);
    int y = (int)(s / OW), xx = (int)(s % OW);
    int c = (int)(row / (KH * KW)), ki = (int)((row / KW) % KH), kj = (int)(row % KW);
    int iy = y * SH - PH + ki, ix = xx * SW - PW + kj;
    cols[e] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[xoff + ((n * C + c) * H + iy) * W + ix] : 0.0f;
}

/* One work item per input pixel, summing its window contributions in the CPU's (ki, kj) order. */
KERNEL void col2im_k(GLOBAL float* cols, i64 coff, GLOBAL float* x, i64 xoff, int N, int C, int H, int W, int KH, int KW,
                     int SH, int SW, int PH, int PW, int OH, int OW, i64 total) {
    i64 e = GID(0);
    if (e >= total) return;
    int ix = (int)(e % W), iy = (int)((e / W) % H);
    i64 nc = e / ((i64)H * W);
    int c = (int)(nc % C);
    i64 n = nc / C;
    i64 spatial = (i64)OH * OW, rows = (i64)C * KH * KW;
    float sum = 0.0f;
    for (int ki = 0; ki < KH; ki++) {
        int ty = iy + PH - ki;
        if (ty < 0 || ty % SH != 0) continue;
        int y = ty / SH;
        if (y >= OH) continue;
        for (int kj = 0; kj < KW; kj++) {
            int tx = ix + PW - kj;
            if (tx < 0 || tx % SW != 0) continue;
            int xx = tx / SW;
            if (xx >= OW) continue;
            i64 row = ((i64)c * KH + ki) * KW + kj;
            sum += cols[coff + (n * rows + row) * spatial + (i64)y * OW + xx];
        }
    }
    x[xoff + e] = sum;
}

KERNEL void maxpool_k(GLOBAL float* x, i64 xoff, GLOBAL float* out, GLOBAL int* idx, int H, int W, int KH, int KW,
                      int SH, int SW, int PH, int PW, int OH, int OW, i64 total) {
    i64 e = GID(0);
    if (e >= total) return;
    int xx = (int)(e % OW), y = (int)((e / OW) % OH);
    i64 pl = e / ((i64)OH * OW);
    i64 src = xoff + pl * H * W;
    float best = -INFINITY;
    int bestAt = -1;
    for (int ki = 0; ki < KH; ki++) {
        int iy = y * SH - PH + ki;
        if (iy < 0 || iy >= H) continue;
        for (int kj = 0; kj < KW; kj++) {
            int ix = xx * SW - PW + kj;
            if (ix < 0 || ix >= W) continue;
            float v = x[src + iy * W + ix];
            if (bestAt < 0 || v > best || (v != v && best == best)) { best = v; bestAt = iy * W + ix; }
        }
    }
    out[e] = best;
    idx[e] = bestAt;
}

/* One work item per (n, c) plane, adding in the CPU's order; an index outside the plane raises the flag. */
KERNEL void maxpool_bwd_k(GLOBAL float* go, i64 gooff, GLOBAL int* idx, i64 ioff, GLOBAL float* gi, i64 gioff,
                          i64 plane, i64 outPlane, i64 planes, GLOBAL int* flag) {
    i64 pl = GID(0);
    if (pl >= planes) return;
    for (i64 j = 0; j < plane; j++) gi[gioff + pl * plane + j] = 0.0f;
    for (i64 j = 0; j < outPlane; j++) {
        int at = idx[ioff + pl * outPlane + j];
        if (at < 0 || at >= plane) {
            if (ATOMIC_CAS(&flag[0], 0, 1) == 0) flag[1] = at;
            return;
        }
        gi[gioff + pl * plane + at] += go[gooff + pl * outPlane + j];
    }
}

KERNEL void avgpool_k(GLOBAL float* x, i64 xoff, GLOBAL float* out, int H, int W, int KH, int KW,
                      int SH, int SW, int PH, int PW, int OH, int OW, i64 total) {
    i64 e = GID(0);
    if (e >= total) return;
    int xx = (int)(e % OW), y = (int)((e / OW) % OH);
    i64 pl = e / ((i64)OH * OW);
    i64 src = xoff + pl * H * W;
    double sum = 0;
    for (int ki = 0; ki < KH; ki++) {
        int iy = y * SH - PH + ki;
        if (iy < 0 || iy >= H) continue;
        for (int kj = 0; kj < KW; kj++) {
            int ix = xx * SW - PW + kj;
            if (ix >= 0 && ix < W) sum += x[src + iy * W + ix];
        }
    }
    out[e] = (float)(sum * (1.0 / (double)(KH * KW)));
}

/* One work item per input pixel, windows in the CPU's (y, x) order. */
KERNEL void avgpool_bwd_k(GLOBAL float* go, i64 gooff, GLOBAL float* gi, i64 gioff, int H, int W, int KH, int KW,
                          int SH, int SW, int PH, int PW, int OH, int OW, i64 total) {
    i64 e = GID(0);
    if (e >= total) return;
    int ix = (int)(e % W), iy = (int)((e / W) % H);
    i64 pl = e / ((i64)H * W);
    float inv = 1.0f / (float)(KH * KW);
    float sum = 0.0f;
    for (int y = 0; y < OH; y++) {
        int ki = iy - (y * SH - PH);
        if (ki < 0 || ki >= KH) continue;
        for (int xx = 0; xx < OW; xx++) {
            int kj = ix - (xx * SW - PW);
            if (kj < 0 || kj >= KW) continue;
            sum += go[gooff + pl * OH * OW + (i64)y * OW + xx] * inv;
        }
    }
    gi[gioff + e] = sum;
}

/* ---- indexing: index values are checked on the device; the first bad one is reported through flag[0..2]. ---- */

DEVICE i64 load_index(GLOBAL int* ix, int i64type, i64 p) {
    return i64type ? ((GLOBAL i64*)ix)[p] : (i64)ix[p];
}

DEVICE void report(GLOBAL int* flag, i64 v) {
    if (ATOMIC_CAS(&flag[0], 0, 1) == 0) { flag[1] = (int)v; flag[2] = (int)(v >> 32); }
}

/* gather and indexSelect: iv = where each output's index lives, xz = x's base (stride 0 along dim), ov = output. */
KERNEL void gather_k(View iv, GLOBAL int* ix, int i64type, View xz, GLOBAL float* x, View ov, GLOBAL float* out,
                     i64 size, i64 step, i64 n, GLOBAL int* flag) {
    i64 i = GID(0);
    if (i >= n) return;
    i64 v = load_index(ix, i64type, voff(iv, i));
    if (v < 0 || v >= size) { report(flag, v); return; }
    out[voff(ov, i)] = x[voff(xz, i) + v * step];
}

/* scatter: one work item, in the CPU's order (duplicates: last assignment wins, sums in order); all indices checked first. */
KERNEL void scatter_k(View iv, GLOBAL int* ix, int i64type, View dz, GLOBAL float* dst, View sv, GLOBAL float* src,
                      i64 size, i64 step, i64 n, int accumulate, GLOBAL int* flag) {
    if (GID(0) != 0) return;
    for (i64 i = 0; i < n; i++) {
        i64 v = load_index(ix, i64type, voff(iv, i));
        if (v < 0 || v >= size) { report(flag, v); return; }
    }
    for (i64 i = 0; i < n; i++) {
        i64 at = voff(dz, i) + load_index(ix, i64type, voff(iv, i)) * step;
        float s = src[voff(sv, i)];
        if (accumulate) dst[at] += s; else dst[at] = s;
    }
}
