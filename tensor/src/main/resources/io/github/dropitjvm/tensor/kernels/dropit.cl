/* DropIT primitives: radix/histogram select of the k largest |x|, per-word counts + exclusive prefix sum for
 * compaction, bitmask pack/unpack, bf16 packing, scatter, count, Philox random keep mask. Masks are processed
 * one 32-bit word (32 elements) per work item, so no two work items write one word. */

DEVICE u32 valid_bits(i64 w, i64 n) {
    i64 rest = n - w * 32;
    return rest >= 32 ? 0xFFFFFFFFu : ((1u << rest) - 1u);
}

/* level 0: top 11 bits (30..20) and NaN count (hist[2048]); level 1: bits 19..9 under prefix b1;
 * level 2: bits 8..0 under prefix (b1, b2). state (i64): [1] above, [2] b1, [3] prefix22, [4] threshold, [5] equal to take. */
KERNEL void topabs_hist_k(int level, GLOBAL float* x, i64 off, i64 n, GLOBAL int* hist, GLOBAL i64* state) {
    i64 i = GID(0);
    if (i >= n) return;
    u32 b = AS_U32(x[off + i]) & 0x7FFFFFFFu;
    if (level == 0) {
        if (b > 0x7F800000u) ATOMIC_ADD(&hist[2048], 1);
        else ATOMIC_ADD(&hist[b >> 20], 1);
    } else if (level == 1) {
        if ((i64)(b >> 20) == state[2]) ATOMIC_ADD(&hist[(b >> 9) & 0x7FFu], 1);
    } else {
        if ((i64)(b >> 9) == state[3]) ATOMIC_ADD(&hist[b & 0x1FFu], 1);
    }
}

/* One work item: walks the bins from the top until k is reached, records the bin, clears the histogram. */
KERNEL void topabs_pick_k(int level, i64 k, GLOBAL int* hist, GLOBAL i64* state) {
    if (GID(0) != 0) return;
    i64 above = state[1];
    int bin = level < 2 ? 2047 : 511;
    while (above + hist[bin] < k) above += hist[bin--];
    state[1] = above;
    if (level == 0) state[2] = bin;
    else if (level == 1) state[3] = (state[2] << 11) | bin;
    else { state[4] = (state[3] << 9) | bin; state[5] = k - above; }
    for (int j = 0; j < 2049; j++) hist[j] = 0;
}

/* Per word: how many elements equal the threshold. */
KERNEL void topabs_eqcount_k(GLOBAL float* x, i64 off, i64 n, GLOBAL i64* state, GLOBAL int* cnt) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    u32 thr = (u32)state[4];
    int c = 0;
    for (int j = 0; j < 32 && w * 32 + j < n; j++)
        if ((AS_U32(x[off + w * 32 + j]) & 0x7FFFFFFFu) == thr) c++;
    cnt[w] = c;
}

/* Per word: everything above the threshold, plus equal ones whose flat rank among equals is below the take count. */
KERNEL void topabs_mark_k(GLOBAL float* x, i64 off, i64 n, GLOBAL i64* state, GLOBAL int* offs, GLOBAL int* mask) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    u32 thr = (u32)state[4];
    i64 take = state[5], r = offs[w];
    u32 bits = 0;
    for (int j = 0; j < 32 && w * 32 + j < n; j++) {
        u32 b = AS_U32(x[off + w * 32 + j]) & 0x7FFFFFFFu;
        if (b > thr) bits |= 1u << j;
        else if (b == thr) { if (r < take) bits |= 1u << j; r++; }
    }
    mask[w] |= (int)bits;
}

KERNEL void set_all_k(GLOBAL int* mask, i64 n) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    mask[w] |= (int)valid_bits(w, n);
}

/* ---- exclusive prefix sum of per-word counts: chunk sums, a serial scan of the chunk sums, chunk rescans ---- */
#define SCAN_CHUNK 256
KERNEL void scan_partial_k(GLOBAL int* cnt, i64 nw, GLOBAL int* part) {
    i64 c = GID(0);
    if (c * SCAN_CHUNK >= nw) return;
    int s = 0;
    for (i64 w = c * SCAN_CHUNK; w < nw && w < (c + 1) * SCAN_CHUNK; w++) s += cnt[w];
    part[c] = s;
}

KERNEL void scan_parts_k(GLOBAL int* part, i64 nc) {
    if (GID(0) != 0) return;
    int run = 0;
    for (i64 c = 0; c < nc; c++) { int v = part[c]; part[c] = run; run += v; }
    part[nc] = run;
}

KERNEL void scan_final_k(GLOBAL int* cnt, i64 nw, GLOBAL int* part, GLOBAL int* offs) {
    i64 c = GID(0);
    if (c * SCAN_CHUNK >= nw) return;
    int run = part[c];
    for (i64 w = c * SCAN_CHUNK; w < nw && w < (c + 1) * SCAN_CHUNK; w++) { offs[w] = run; run += cnt[w]; }
}

/* Per word: set bits among the first n. */
KERNEL void popcount_k(GLOBAL int* mask, i64 n, GLOBAL int* cnt) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    cnt[w] = POPCOUNT((u32)mask[w] & valid_bits(w, n));
}

/* Total set bits among the first n, accumulated into counter[0]. */
KERNEL void count_k(GLOBAL int* mask, i64 n, GLOBAL int* counter) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    ATOMIC_ADD(&counter[0], (int)POPCOUNT((u32)mask[w] & valid_bits(w, n)));
}

/* Element i kept when the first Philox word for counter (i, 0, layer, step), key seed, as (w >> 8)·2^-24, is >= gamma. */
KERNEL void keep_mask_k(i64 seed, int layer, int step, double gamma, GLOBAL int* mask, i64 n, GLOBAL int* counter) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    u32 bits = 0, out[4];
    for (int j = 0; j < 32 && w * 32 + j < n; j++) {
        philox((u32)(w * 32 + j), 0u, (u32)layer, (u32)step, (u32)seed, (u32)((u64)seed >> 32), out);
        float u = (float)(out[0] >> 8) * 0x1.0p-24f;
        if ((double)u >= gamma) bits |= 1u << j;
    }
    mask[w] |= (int)bits;
    ATOMIC_ADD(&counter[0], (int)POPCOUNT(bits));
}

/* Kept values in flat order (FLOAT32, or BF16 rounded to nearest even). */
KERNEL void compact_k(GLOBAL float* x, i64 off, GLOBAL int* mask, i64 n, GLOBAL int* offs, GLOBAL int* vals, i64 voffs, int bf16) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    u32 bits = (u32)mask[w] & valid_bits(w, n);
    i64 j = offs[w];
    for (int b = 0; b < 32; b++) {
        if (!((bits >> b) & 1u)) continue;
        float v = x[off + w * 32 + b];
        if (bf16) ((GLOBAL u16*)vals)[voffs + j] = f_to_bf16(v);
        else ((GLOBAL float*)vals)[voffs + j] = v;
        j++;
    }
}

KERNEL void mask_to_index_k(GLOBAL int* mask, i64 n, GLOBAL int* offs, GLOBAL int* index, i64 ioff) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    u32 bits = (u32)mask[w] & valid_bits(w, n);
    i64 j = offs[w];
    for (int b = 0; b < 32; b++) if ((bits >> b) & 1u) index[ioff + j++] = (int)(w * 32 + b);
}

DEVICE float value_at(GLOBAL int* vals, i64 p, int bf16) {
    return bf16 ? bf16_to_f(((GLOBAL u16*)vals)[p]) : ((GLOBAL float*)vals)[p];
}

KERNEL void scatter_masked_k(GLOBAL int* vals, i64 voffs, int bf16, GLOBAL int* mask, i64 n, GLOBAL int* offs, GLOBAL float* out, i64 ooff) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    u32 bits = (u32)mask[w] & valid_bits(w, n);
    i64 j = offs[w];
    for (int b = 0; b < 32; b++) if ((bits >> b) & 1u) out[ooff + w * 32 + b] = value_at(vals, voffs + j++, bf16);
}

KERNEL void scatter_indexed_k(GLOBAL int* vals, i64 voffs, int bf16, GLOBAL int* index, i64 ioff, i64 k,
                              GLOBAL float* out, i64 ooff, i64 n, GLOBAL int* flag) {
    i64 j = GID(0);
    if (j >= k) return;
    int i = index[ioff + j];
    if (i < 0 || i >= n) { report(flag, i); return; }
    out[ooff + i] = value_at(vals, voffs + j, bf16);
}
