/* Elementwise kernels over strided views. One work item per element; every kernel checks its own bound. */

KERNEL void fill_k(View d, GLOBAL int* dst, int dt, double value, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    store_d(dst, dt, voff(d, i), value);
}

KERNEL void arange_k(GLOBAL int* dst, int dt, i64 off, double start, double step, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    store_d(dst, dt, off + i, start + (double)i * step);
}

/* Same-dtype copies move raw bits; converting copies go through double (exact for every value except int64 beyond 2^53). */
KERNEL void copy_k(View s, GLOBAL int* src, int sdt, View d, GLOBAL int* dst, int ddt, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    i64 p = voff(s, i), q = voff(d, i);
    if (sdt == ddt) {
        switch (sdt) {
            case DT_F32: case DT_I32: dst[q] = src[p]; break;
            case DT_I64: ((GLOBAL i64*)dst)[q] = ((GLOBAL i64*)src)[p]; break;
            case DT_BF16: ((GLOBAL u16*)dst)[q] = ((GLOBAL u16*)src)[p]; break;
            default: set_bit(dst, q, get_bit(src, p)); break;
        }
        return;
    }
    if (ddt == DT_BF16 && sdt == DT_F32) {
        ((GLOBAL u16*)dst)[q] = f_to_bf16(((GLOBAL float*)src)[p]);
        return;
    }
    store_d(dst, ddt, q, load_d(src, sdt, p));
}

/* Philox counter (i, 0, stream lo, stream hi), key (seed lo, seed hi); uniform = top 24 bits; normal = Box-Muller. */
KERNEL void random_k(GLOBAL float* dst, i64 off, i64 seed, i64 stream, int normal, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    u32 w[4];
    philox((u32)i, 0u, (u32)stream, (u32)((u64)stream >> 32), (u32)seed, (u32)((u64)seed >> 32), w);
    if (!normal) {
        dst[off + i] = (float)(w[0] >> 8) * 0x1.0p-24f;
    } else {
        double u1 = (double)((w[0] >> 8) + 1u) * 0x1.0p-24, u2 = (double)(w[1] >> 8) * 0x1.0p-24;
        dst[off + i] = (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * 3.141592653589793 * u2));
    }
}

/* op codes = UnaryOp ordinals */
DEVICE double unary_d(int op, double x, double p0, double p1) {
    switch (op) {
        case 0: return -x;
        case 1: return fabs(x);
        case 2: return exp(x);
        case 3: return log(x);
        case 4: return sqrt(x);
        case 5: return 1.0 / sqrt(x);
        case 6: return tanh(x);
        case 7: return erf(x);
        case 8: return 1.0 / (1.0 + exp(-x));
        case 9: return x > 0 ? x : (x != x ? x : 0.0);
        case 10: return x < 0 ? 0.5 * x * erfc(-x * 0.7071067811865476) : 0.5 * x * (1.0 + erf(x * 0.7071067811865476));
        /* 0.5·(1 + tanh z) = 1/(1 + e^(−2z)): no cancellation in the negative tail, where device tanh saturates early */
        case 11: return x / (1.0 + exp(-2.0 * 0.7978845608028654 * (x + 0.044715 * x * x * x)));
        case 12: return x != x ? x : jmin(jmax(x, p0), p1);
        /* GELU_GRAD: Φ(x) + x·φ(x) */
        case 14: return (x < 0 ? 0.5 * erfc(-x * 0.7071067811865476) : 0.5 * (1.0 + erf(x * 0.7071067811865476)))
                        + x * 0.3989422804014327 * exp(-0.5 * x * x);
        default: return jpow(x, p0);
    }
}

KERNEL void unary_k(int op, View xv, GLOBAL float* x, View ov, GLOBAL float* out, double p0, double p1, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    out[voff(ov, i)] = (float)unary_d(op, (double)x[voff(xv, i)], p0, p1);
}

/* op codes = BinaryOp ordinals; arithmetic in float like the CPU, POW in double. */
DEVICE float binary_f(int op, float x, float y) {
    switch (op) {
        case 0: return x + y;
        case 1: return x - y;
        case 2: return x * y;
        case 3: return x / y;
        case 4: return (float)jpow((double)x, (double)y);
        case 5: return (float)jmax((double)x, (double)y);
        case 6: return (float)jmin((double)x, (double)y);
        case 7: return x == y ? 1.0f : 0.0f;
        case 8: return x != y ? 1.0f : 0.0f;
        case 9: return x < y ? 1.0f : 0.0f;
        case 10: return x <= y ? 1.0f : 0.0f;
        case 11: return x > y ? 1.0f : 0.0f;
        default: return x >= y ? 1.0f : 0.0f;
    }
}

KERNEL void binary_k(int op, View av, GLOBAL float* a, View bv, GLOBAL float* b, View ov, GLOBAL float* out, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    out[voff(ov, i)] = binary_f(op, a[voff(av, i)], b[voff(bv, i)]);
}

/* Comparisons into a BIT output: one work item per 32-bit word when the output is a whole contiguous mask. */
KERNEL void compare_k(int op, View av, GLOBAL float* a, View bv, GLOBAL float* b, GLOBAL int* out, i64 n) {
    i64 w = GID(0);
    if (w * 32 >= n) return;
    u32 bits = 0;
    for (int j = 0; j < 32; j++) {
        i64 i = w * 32 + j;
        if (i >= n) break;
        if (binary_f(op, a[voff(av, i)], b[voff(bv, i)]) != 0.0f) bits |= 1u << j;
    }
    out[w] = (int)bits;
}

/* Comparisons into a strided BIT view (e.g. an in-place write): atomic bit updates. */
KERNEL void compare_strided_k(int op, View av, GLOBAL float* a, View bv, GLOBAL float* b, View ov, GLOBAL int* out, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    set_bit(out, voff(ov, i), binary_f(op, a[voff(av, i)], b[voff(bv, i)]) != 0.0f);
}

KERNEL void where_k(View cv, GLOBAL int* c, View av, GLOBAL float* a, View bv, GLOBAL float* b, View ov, GLOBAL float* out, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    out[voff(ov, i)] = get_bit(c, voff(cv, i)) ? a[voff(av, i)] : b[voff(bv, i)];
}
