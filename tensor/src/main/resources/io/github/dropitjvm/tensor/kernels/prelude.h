/* DropIT-JVM kernel prelude: one kernel dialect that compiles as OpenCL C 1.2 and as CUDA C.
 * Kernels use only these macros and types for anything the two languages spell differently. */
#ifdef __OPENCL_VERSION__
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef long i64;
typedef ulong u64;
typedef uint u32;
typedef ushort u16;
#define KERNEL __kernel
#define GLOBAL __global
#define LOCAL __local
#define DEVICE
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define GID(d) ((i64)get_global_id(d))
#define LID(d) ((int)get_local_id(d))
#define ATOMIC_ADD(p, v) atomic_add((p), (v))
#define ATOMIC_OR(p, v) atomic_or((p), (v))
#define ATOMIC_AND(p, v) atomic_and((p), (v))
#define ATOMIC_CAS(p, c, v) atomic_cmpxchg((p), (c), (v))
#define AS_U32(f) as_uint(f)
#define AS_F32(u) as_float(u)
#define POPCOUNT(x) popcount(x)
#else /* CUDA */
typedef long long i64;
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
#define KERNEL extern "C" __global__
#define GLOBAL
#define LOCAL __shared__
#define DEVICE __device__
#define BARRIER() __syncthreads()
#define GID_0 ((i64)blockIdx.x * blockDim.x + threadIdx.x)
#define GID_1 ((i64)blockIdx.y * blockDim.y + threadIdx.y)
#define GID_2 ((i64)blockIdx.z * blockDim.z + threadIdx.z)
#define LID_0 ((int)threadIdx.x)
#define LID_1 ((int)threadIdx.y)
#define GID(d) GID_##d
#define LID(d) LID_##d
#define ATOMIC_ADD(p, v) atomicAdd((p), (v))
#define ATOMIC_OR(p, v) atomicOr((p), (v))
#define ATOMIC_AND(p, v) atomicAnd((p), (v))
#define ATOMIC_CAS(p, c, v) atomicCAS((p), (c), (v))
#define AS_U32(f) __float_as_uint(f)
#define AS_F32(u) __uint_as_float(u)
#define POPCOUNT(x) __popc(x)
/* nvcc takes these from the host's math.h; NVRTC compiles without system headers and has neither. */
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#ifndef NAN
#define NAN __int_as_float(0x7fffffff)
#endif
#endif

/* A strided view as the host packs it (128 bytes, all 64-bit): shape, strides in elements, offset, rank, numel. */
#define MAX_RANK 6
typedef struct {
    i64 shape[MAX_RANK];
    i64 strides[MAX_RANK];
    i64 offset;
    i64 rank;
    i64 numel;
    i64 pad;
} View;

/* Element offset of row-major flat index i of the view. */
DEVICE i64 voff(View v, i64 i) {
    i64 off = v.offset;
    for (int d = (int)v.rank - 1; d >= 0; d--) {
        i64 s = v.shape[d];
        i64 q = i / s;
        off += (i - q * s) * v.strides[d];
        i = q;
    }
    return off;
}

/* dtype codes = DType ordinals */
#define DT_F32 0
#define DT_I32 1
#define DT_I64 2
#define DT_BIT 3
#define DT_BF16 4

DEVICE float bf16_to_f(u16 b) { return AS_F32(((u32)b) << 16); }

/* round to nearest even; NaN stays a quiet NaN */
DEVICE u16 f_to_bf16(float f) {
    u32 b = AS_U32(f);
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (u16)((b >> 16) | 0x0040u);
    return (u16)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

DEVICE int get_bit(GLOBAL const int* w, i64 i) { return (w[i >> 5] >> (i & 31)) & 1; }

DEVICE void set_bit(GLOBAL int* w, i64 i, int on) {
    if (on) ATOMIC_OR(&w[i >> 5], (int)(1u << (i & 31)));
    else ATOMIC_AND(&w[i >> 5], (int)~(1u << (i & 31)));
}

DEVICE double load_d(GLOBAL int* p, int dt, i64 i) {
    switch (dt) {
        case DT_F32: return (double)((GLOBAL float*)p)[i];
        case DT_I32: return (double)p[i];
        case DT_I64: return (double)((GLOBAL i64*)p)[i];
        case DT_BIT: return (double)get_bit(p, i);
        default: return (double)bf16_to_f(((GLOBAL u16*)p)[i]);
    }
}

DEVICE void store_d(GLOBAL int* p, int dt, i64 i, double v) {
    switch (dt) {
        case DT_F32: ((GLOBAL float*)p)[i] = (float)v; break;
        case DT_I32: p[i] = (v != v) ? 0 : (int)v; break;
        case DT_I64: ((GLOBAL i64*)p)[i] = (v != v) ? 0 : (i64)v; break;
        case DT_BIT: set_bit(p, i, v != 0.0); break;
        default: ((GLOBAL u16*)p)[i] = f_to_bf16((float)v); break;
    }
}

/* Philox-4x32-10: the four output words for counter c and key (k0, k1). */
DEVICE void philox(u32 c0, u32 c1, u32 c2, u32 c3, u32 k0, u32 k1, u32* out) {
    for (int r = 0; r < 10; r++) {
        u64 p0 = (u64)0xD2511F53u * c0;
        u64 p1 = (u64)0xCD9E8D57u * c2;
        u32 n0 = (u32)(p1 >> 32) ^ c1 ^ k0;
        u32 n2 = (u32)(p0 >> 32) ^ c3 ^ k1;
        c1 = (u32)p1;
        c3 = (u32)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* Java's Math.max / Math.min: NaN propagates, +0 > -0. */
DEVICE double jmax(double a, double b) {
    if (a != a || b != b) return a + b;
    if (a == 0.0 && b == 0.0) return signbit(a) ? b : a;
    return a > b ? a : b;
}
DEVICE double jmin(double a, double b) {
    if (a != a || b != b) return a + b;
    if (a == 0.0 && b == 0.0) return signbit(a) ? a : b;
    return a < b ? a : b;
}
/* Java's Math.pow: a NaN exponent gives NaN, |x| = 1 with an infinite exponent gives NaN. */
DEVICE double jpow(double x, double y) {
    if (y != y) return y;
    if (fabs(x) == 1.0 && isinf(y)) return NAN;
    return pow(x, y);
}
