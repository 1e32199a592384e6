package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.BFloat16;
import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.BinaryOp;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Philox;
import io.github.dropitjvm.tensor.SpecialFunctions;
import io.github.dropitjvm.tensor.Tensor;
import io.github.dropitjvm.tensor.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Elementwise kernels over strided views: fill, copy/convert, arange, random, unary, binary, where. */
final class CpuElementwise {
    private CpuElementwise() {}

    // ---- typed element access for the dtype-generic paths ----

    static double get(CpuStorage s, int i) {
        return switch (s.dtype()) {
            case FLOAT32 -> s.floats()[i];
            case INT32 -> s.ints()[i];
            case INT64 -> s.longs()[i];
            case BF16 -> BFloat16.toFloat(s.shorts()[i]);
            case BIT -> bit(s.ints(), i);
        };
    }

    static void set(CpuStorage s, int i, double v) {
        switch (s.dtype()) {
            case FLOAT32 -> s.floats()[i] = (float) v;
            case INT32 -> s.ints()[i] = (int) v;
            case INT64 -> s.longs()[i] = (long) v;
            case BF16 -> s.shorts()[i] = BFloat16.fromFloat((float) v);
            case BIT -> setBit(s.ints(), i, v != 0);
        }
    }

    static int bit(int[] words, int i) {
        return (words[i >>> 5] >>> (i & 31)) & 1;
    }

    static void setBit(int[] words, int i, boolean on) {
        if (on) words[i >>> 5] |= 1 << (i & 31);
        else words[i >>> 5] &= ~(1 << (i & 31));
    }

    // ---- kernels ----

    static void fill(Tensor dst, double value) {
        CpuStorage d = CpuBackend.cpu(dst);
        Loop loop = Loop.of(dst);
        if (d.dtype() == DType.FLOAT32) {
            float[] a = d.floats();
            float v = (float) value;
            int step = loop.step[0], n = loop.n;
            loop.forEachRow(base -> {
                for (int i = 0, p = base[0]; i < n; i++, p += step) a[p] = v;
            });
        } else {
            int step = loop.step[0], n = loop.n;
            loop.forEachRow(base -> {
                for (int i = 0, p = base[0]; i < n; i++, p += step) set(d, p, value);
            });
        }
    }

    static void arange(Tensor dst, double start, double step) {
        CpuStorage d = CpuBackend.cpu(dst);
        int n = (int) dst.numel(), off = (int) dst.offset();
        for (int i = 0; i < n; i++) set(d, off + i, start + i * step);
    }

    static void copy(Tensor src, Tensor dst) {
        CpuStorage s = CpuBackend.cpu(src), d = CpuBackend.cpu(dst);
        Loop loop = Loop.of(src, dst);
        int n = loop.n, ss = loop.step[0], ds = loop.step[1];
        DType st = s.dtype(), dt = d.dtype();
        if (st == dt && st != DType.BIT) {
            Object sa = s.array(), da = d.array();
            if (ss == 1 && ds == 1) {
                loop.forEachRowParallel(base -> System.arraycopy(sa, base[0], da, base[1], n));
                return;
            }
            switch (st) {
                case FLOAT32 -> { float[] x = (float[]) sa, y = (float[]) da;
                    loop.forEachRowParallel(b -> { for (int i = 0, p = b[0], q = b[1]; i < n; i++, p += ss, q += ds) y[q] = x[p]; }); }
                case INT32 -> { int[] x = (int[]) sa, y = (int[]) da;
                    loop.forEachRowParallel(b -> { for (int i = 0, p = b[0], q = b[1]; i < n; i++, p += ss, q += ds) y[q] = x[p]; }); }
                case INT64 -> { long[] x = (long[]) sa, y = (long[]) da;
                    loop.forEachRowParallel(b -> { for (int i = 0, p = b[0], q = b[1]; i < n; i++, p += ss, q += ds) y[q] = x[p]; }); }
                case BF16 -> { short[] x = (short[]) sa, y = (short[]) da;
                    loop.forEachRowParallel(b -> { for (int i = 0, p = b[0], q = b[1]; i < n; i++, p += ss, q += ds) y[q] = x[p]; }); }
                default -> throw new IllegalStateException();
            }
            return;
        }
        // Converting (or bit) copy through double: exact for every value these dtypes hold except int64 beyond 2^53.
        loop.forEachRow(b -> {
            for (int i = 0, p = b[0], q = b[1]; i < n; i++, p += ss, q += ds) set(d, q, get(s, p));
        });
    }

    static void random(Tensor dst, long seed, long stream, Backend.Distribution dist) {
        float[] a = CpuBackend.cpu(dst).floats();
        int n = (int) dst.numel(), off = (int) dst.offset();
        int k0 = (int) seed, k1 = (int) (seed >>> 32), c2 = (int) stream, c3 = (int) (stream >>> 32);
        int[] w = new int[4];
        for (int i = 0; i < n; i++) {
            Philox.block(i, 0, c2, c3, k0, k1, w);
            if (dist == Backend.Distribution.UNIFORM) {
                a[off + i] = Philox.uniform(w[0]);
            } else {
                // Box-Muller on two 24-bit uniforms; u1 in (0, 1] keeps the log finite.
                double u1 = ((w[0] >>> 8) + 1) * 0x1.0p-24, u2 = (w[1] >>> 8) * 0x1.0p-24;
                a[off + i] = (float) (Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2));
            }
        }
    }

    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    static double apply(UnaryOp op, double x, double p0, double p1) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case TANH -> Math.tanh(x);
            case ERF -> SpecialFunctions.erf(x);
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-x));
            case RELU -> x > 0 ? x : (Double.isNaN(x) ? x : 0.0);
            // For x < 0, 1 + erf(x/√2) cancels to noise in the tail (x < −6): use erfc there, exact to double.
            case GELU -> x < 0 ? 0.5 * x * SpecialFunctions.erfc(-x * SQRT_HALF) : 0.5 * x * (1.0 + SpecialFunctions.erf(x * SQRT_HALF));
            // 0.5·(1 + tanh z) = 1/(1 + e^(−2z)): the tanh form cancels to noise in the negative tail.
            case GELU_TANH -> x / (1.0 + Math.exp(-2.0 * SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
            case CLAMP -> Double.isNaN(x) ? x : Math.min(Math.max(x, p0), p1);
            case POW -> Math.pow(x, p0);
            case GELU_GRAD -> (x < 0 ? 0.5 * SpecialFunctions.erfc(-x * SQRT_HALF) : 0.5 * (1.0 + SpecialFunctions.erf(x * SQRT_HALF)))
                    + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
        };
    }

    static void unary(UnaryOp op, Tensor x, Tensor out, double p0, double p1) {
        float[] a = CpuBackend.cpu(x).floats(), o = CpuBackend.cpu(out).floats();
        Loop loop = Loop.of(x, out);
        int n = loop.n, xs = loop.step[0], os = loop.step[1];
        if (loop.unitStride() && vectorised(op)) {
            loop.forEachRowParallel(b -> inChunks(n, (from, len) -> unaryRange(op, a, b[0] + from, o, b[1] + from, len, p0, p1)));
            return;
        }
        loop.forEachRowParallel(b -> {
            for (int i = 0, p = b[0], q = b[1]; i < n; i++, p += xs, q += os) o[q] = (float) apply(op, a[p], p0, p1);
        });
    }

    // ---- vectorised contiguous paths (the strided generic loops above and below stay the reference path) ----

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    /** Rows at least this long are split into CHUNK-element pieces over the worker pool. */
    private static final int PARALLEL_ROW = 1 << 18;
    private static final int CHUNK = 1 << 16;

    interface Range {
        void run(int from, int len);
    }

    /** Runs body over [0, n) in fixed CHUNK pieces on the pool when n is large (elementwise: any split is exact). */
    static void inChunks(int n, Range body) {
        if (n < PARALLEL_ROW) {
            body.run(0, n);
            return;
        }
        int chunks = (n + CHUNK - 1) / CHUNK;
        WorkerPool.shared().parallelFor(chunks, c -> body.run(c * CHUNK, Math.min(CHUNK, n - c * CHUNK)));
    }

    /**
     * out = g · GELU'(x): when all three are contiguous, one pass ({@link VectorErf#geluBackwardRange}), each
     * element's GELU' rounded to float and then multiplied by g, as the unary op and the product compute it.
     * Returns false, having done nothing, for any other layout: the caller then runs the two ops, because the unary
     * op's vector blocks and scalar tail fall where its own loop over x puts them (GELU' differs between the two
     * by up to a few ulps), and that loop is one row only when x is contiguous.
     */
    static boolean geluBackwardFused(Tensor x, Tensor g, Tensor out) {
        if (!(x.isContiguous() && g.isContiguous() && out.isContiguous())) return false;
        Loop loop = Loop.of(x, g, out);
        float[] a = CpuBackend.cpu(x).floats(), b = CpuBackend.cpu(g).floats(), o = CpuBackend.cpu(out).floats();
        int n = loop.n;
        loop.forEachRowParallel(r -> inChunks(n, (from, len) -> {
            int ai = r[0] + from, bi = r[1] + from, oi = r[2] + from;
            int i = VectorErf.geluBackwardRange(a, ai, b, bi, o, oi, len);
            for (; i < len; i++) o[oi + i] = (float) apply(UnaryOp.GELU_GRAD, a[ai + i], 0, 0) * b[bi + i];
        }));
        return true;
    }

    private static boolean vectorised(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, RELU, EXP, TANH, SIGMOID, ERF, GELU, GELU_GRAD -> true;
            default -> false;
        };
    }

    // One small method per vector loop: a single method holding every loop grows past C2's inlining budget once
    // several ops are hot, and the Vector-API calls then fall back to boxed vectors (10-30x slower, measured).
    private static void unaryRange(UnaryOp op, float[] a, int ai, float[] o, int oi, int len, double p0, double p1) {
        int i = switch (op) {
            case NEG -> negRange(a, ai, o, oi, len);
            case ABS -> absRange(a, ai, o, oi, len);
            case RELU -> reluRange(a, ai, o, oi, len);
            case EXP -> expRange(a, ai, o, oi, len);
            case TANH -> tanhRange(a, ai, o, oi, len);
            case SIGMOID -> sigmoidRange(a, ai, o, oi, len);
            case ERF -> VectorErf.erfRange(a, ai, o, oi, len, op);
            case GELU -> VectorErf.geluRange(a, ai, o, oi, len, op);
            case GELU_GRAD -> VectorErf.geluGradRange(a, ai, o, oi, len, op);
            default -> 0;
        };
        for (; i < len; i++) o[oi + i] = (float) apply(op, a[ai + i], p0, p1);
    }

    private static int negRange(float[] a, int ai, float[] o, int oi, int len) {
        int i = 0;
        for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, a, ai + i).neg().intoArray(o, oi + i);
        return i;
    }

    private static int absRange(float[] a, int ai, float[] o, int oi, int len) {
        int i = 0;
        for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, a, ai + i).abs().intoArray(o, oi + i);
        return i;
    }

    private static int reluRange(float[] a, int ai, float[] o, int oi, int len) {
        int i = 0;
        for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, a, ai + i).max(0f).intoArray(o, oi + i);
        return i;
    }

    private static int expRange(float[] a, int ai, float[] o, int oi, int len) {
        int i = 0;
        for (; i + FL <= len; i += FL) VectorMath.exp(FloatVector.fromArray(FS, a, ai + i)).intoArray(o, oi + i);
        return i;
    }

    /** Below this |x| tanh uses its odd polynomial; above, 1 − e^(−2|x|) >= 0.67 loses nothing to cancellation. */
    private static final float TANH_SMALL = 0.55f;
    /** tanh(x) ≈ x + x³·(T0 + T1·s + … + T4·s⁴), s = x², |x| < 0.55: relative near-minimax fit, error 1.0e-9. */
    private static final float T0 = -0.33333316445350647f, T1 = 0.13332585990428925f, T2 = -0.05385230854153633f,
            T3 = 0.021071674302220345f, T4 = -0.006274233106523752f;

    /**
     * tanh in float lanes: sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|) (as {@link VectorMath#exp}, −2|x| clamped at
     * −40, beyond which tanh rounds to ±1; a single 2ⁿ factor suffices there), and below |x| = 0.55, where 1 − e
     * would amplify e's rounding, the odd polynomial x + x³·T(x²). Every operation is written out in this one
     * method, load and store included: a loop whose IR reaches C2's NodeCountInliningCutoff gets any helper of ours
     * that C2 then refuses to inline called with its vector boxed (measured with the earlier double version: 17 ms,
     * then 337 ms per 4M floats); the Vector-API methods themselves are always inlined. ±Inf gives ±1, NaN stays NaN
     * (max propagates it), ±0 keeps its sign (the sign bit is copied from x). Max error over every 97th float in
     * [−20, 20]: 1.5 ulp (coefficients: scripts/fit-float-kernels.py).
     */
    private static int tanhRange(float[] a, int ai, float[] o, int oi, int len) {
        int i = 0;
        for (; i + FL <= len; i += FL) {
            FloatVector x = FloatVector.fromArray(FS, a, ai + i);
            FloatVector ax = x.abs();
            FloatVector gx = ax.mul(-2f).max(-40f);
            FloatVector gt = gx.fma(VectorMath.LOG2E, VectorMath.ROUND);
            FloatVector gn = gt.sub(VectorMath.ROUND);
            FloatVector gr = gn.fma(FloatVector.broadcast(FS, -VectorMath.LN2_HI), gx);
            gr = gn.fma(FloatVector.broadcast(FS, -VectorMath.LN2_LO), gr);
            FloatVector gp = gr.fma(FloatVector.broadcast(FS, VectorMath.Q4), FloatVector.broadcast(FS, VectorMath.Q3));
            gp = gp.fma(gr, FloatVector.broadcast(FS, VectorMath.Q2));
            gp = gp.fma(gr, FloatVector.broadcast(FS, VectorMath.Q1));
            gp = gp.fma(gr, FloatVector.broadcast(FS, VectorMath.Q0));
            gp = gp.fma(gr, FloatVector.broadcast(FS, 1f));
            gp = gp.fma(gr, FloatVector.broadcast(FS, 1f));
            FloatVector e = gp.mul((FloatVector) ((IntVector) gt.reinterpretAsInts()).sub(VectorMath.ROUND_BITS).add(127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector t = FloatVector.broadcast(FS, 1f).sub(e).div(e.add(1f));
            FloatVector s = x.mul(x);
            FloatVector p = s.fma(FloatVector.broadcast(FS, T4), FloatVector.broadcast(FS, T3));
            p = p.fma(s, FloatVector.broadcast(FS, T2));
            p = p.fma(s, FloatVector.broadcast(FS, T1));
            p = p.fma(s, FloatVector.broadcast(FS, T0));
            t = t.blend(ax.mul(s).fma(p, ax), ax.compare(VectorOperators.LT, TANH_SMALL));
            // |tanh| so far (NaN for NaN); x's sign bit goes on last, so that −0 gives −0.
            t = (FloatVector) ((IntVector) t.reinterpretAsInts()).or(((IntVector) x.reinterpretAsInts()).and(0x80000000)).reinterpretAsFloats();
            t.intoArray(o, oi + i);
        }
        return i;
    }

    private static int sigmoidRange(float[] a, int ai, float[] o, int oi, int len) {
        int i = 0;
        for (; i + FL <= len; i += FL) VectorMath.sigmoid(FloatVector.fromArray(FS, a, ai + i)).intoArray(o, oi + i);
        return i;
    }

    private static boolean vectorised(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM -> true;
            default -> false;
        };
    }

    /**
     * o[oi..] = x[xi..] op y[yi..]; xs, ys are 1 or 0 (a broadcast scalar along the row). The vector operator must be
     * a compile-time constant for C2 to intrinsify {@code lanewise}: with the operator in a variable every call
     * went through the Java fallback (measured: 45 % of a vit-fmnist training step), hence one method per op.
     */
    private static void binaryRange(BinaryOp op, float[] x, int xi, int xs, float[] y, int yi, int ys, float[] o, int oi, int len) {
        int i = switch (op) {
            case ADD -> addRange(x, xi, xs, y, yi, ys, o, oi, len);
            case SUB -> subRange(x, xi, xs, y, yi, ys, o, oi, len);
            case MUL -> mulRange(x, xi, xs, y, yi, ys, o, oi, len);
            case DIV -> divRange(x, xi, xs, y, yi, ys, o, oi, len);
            case MAXIMUM -> maxRange(x, xi, xs, y, yi, ys, o, oi, len);
            case MINIMUM -> minRange(x, xi, xs, y, yi, ys, o, oi, len);
            default -> 0;
        };
        for (; i < len; i++) o[oi + i] = (float) apply(op, x[xi + i * xs], y[yi + i * ys]);
    }

    private static int addRange(float[] x, int xi, int xs, float[] y, int yi, int ys, float[] o, int oi, int len) {
        int i = 0;
        if (xs == 1 && ys == 1) {
            for (; i + FL <= len; i += FL)
                FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.ADD, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else if (xs == 0) {
            FloatVector xv = FloatVector.broadcast(FS, x[xi]);
            for (; i + FL <= len; i += FL) xv.lanewise(VectorOperators.ADD, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else {
            FloatVector yv = FloatVector.broadcast(FS, y[yi]);
            for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.ADD, yv).intoArray(o, oi + i);
        }
        return i;
    }

    private static int subRange(float[] x, int xi, int xs, float[] y, int yi, int ys, float[] o, int oi, int len) {
        int i = 0;
        if (xs == 1 && ys == 1) {
            for (; i + FL <= len; i += FL)
                FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.SUB, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else if (xs == 0) {
            FloatVector xv = FloatVector.broadcast(FS, x[xi]);
            for (; i + FL <= len; i += FL) xv.lanewise(VectorOperators.SUB, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else {
            FloatVector yv = FloatVector.broadcast(FS, y[yi]);
            for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.SUB, yv).intoArray(o, oi + i);
        }
        return i;
    }

    private static int mulRange(float[] x, int xi, int xs, float[] y, int yi, int ys, float[] o, int oi, int len) {
        int i = 0;
        if (xs == 1 && ys == 1) {
            for (; i + FL <= len; i += FL)
                FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.MUL, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else if (xs == 0) {
            FloatVector xv = FloatVector.broadcast(FS, x[xi]);
            for (; i + FL <= len; i += FL) xv.lanewise(VectorOperators.MUL, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else {
            FloatVector yv = FloatVector.broadcast(FS, y[yi]);
            for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.MUL, yv).intoArray(o, oi + i);
        }
        return i;
    }

    private static int divRange(float[] x, int xi, int xs, float[] y, int yi, int ys, float[] o, int oi, int len) {
        int i = 0;
        if (xs == 1 && ys == 1) {
            for (; i + FL <= len; i += FL)
                FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.DIV, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else if (xs == 0) {
            FloatVector xv = FloatVector.broadcast(FS, x[xi]);
            for (; i + FL <= len; i += FL) xv.lanewise(VectorOperators.DIV, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else {
            FloatVector yv = FloatVector.broadcast(FS, y[yi]);
            for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.DIV, yv).intoArray(o, oi + i);
        }
        return i;
    }

    private static int maxRange(float[] x, int xi, int xs, float[] y, int yi, int ys, float[] o, int oi, int len) {
        int i = 0;
        if (xs == 1 && ys == 1) {
            for (; i + FL <= len; i += FL)
                FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.MAX, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else if (xs == 0) {
            FloatVector xv = FloatVector.broadcast(FS, x[xi]);
            for (; i + FL <= len; i += FL) xv.lanewise(VectorOperators.MAX, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else {
            FloatVector yv = FloatVector.broadcast(FS, y[yi]);
            for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.MAX, yv).intoArray(o, oi + i);
        }
        return i;
    }

    private static int minRange(float[] x, int xi, int xs, float[] y, int yi, int ys, float[] o, int oi, int len) {
        int i = 0;
        if (xs == 1 && ys == 1) {
            for (; i + FL <= len; i += FL)
                FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.MIN, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else if (xs == 0) {
            FloatVector xv = FloatVector.broadcast(FS, x[xi]);
            for (; i + FL <= len; i += FL) xv.lanewise(VectorOperators.MIN, FloatVector.fromArray(FS, y, yi + i)).intoArray(o, oi + i);
        } else {
            FloatVector yv = FloatVector.broadcast(FS, y[yi]);
            for (; i + FL <= len; i += FL) FloatVector.fromArray(FS, x, xi + i).lanewise(VectorOperators.MIN, yv).intoArray(o, oi + i);
        }
        return i;
    }

    static double apply(BinaryOp op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case POW -> Math.pow(x, y);
            case MAXIMUM -> Math.max(x, y);
            case MINIMUM -> Math.min(x, y);
            case EQ -> x == y ? 1 : 0;
            case NE -> x != y ? 1 : 0;
            case LT -> x < y ? 1 : 0;
            case LE -> x <= y ? 1 : 0;
            case GT -> x > y ? 1 : 0;
            case GE -> x >= y ? 1 : 0;
        };
    }

    static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        float[] x = CpuBackend.cpu(a).floats(), y = CpuBackend.cpu(b).floats();
        CpuStorage os = CpuBackend.cpu(out);
        Loop loop = Loop.of(a, b, out);
        int n = loop.n, as = loop.step[0], bs = loop.step[1], ost = loop.step[2];
        if (op.isComparison()) {
            int[] words = os.ints();
            // GT and LT (ReLU's mask, clamps) a word of 32 bits at a time when the row's bits start a mask word
            boolean words32 = (op == BinaryOp.GT || op == BinaryOp.LT) && ost == 1 && (as == 1 || as == 0)
                    && (bs == 1 || bs == 0) && as + bs > 0;
            loop.forEachRow(r -> {
                if (words32 && (r[2] & 31) == 0) {
                    inChunks(n, (from, len) -> {   // chunks start on word boundaries: no word is shared
                        int px = r[0] + from * as, py = r[1] + from * bs, t = r[2] + from;
                        int done = op == BinaryOp.GT ? greaterWords(x, px, as, y, py, bs, words, t, len)
                                : greaterWords(y, py, bs, x, px, as, words, t, len);
                        compareBits(op, x, px + done * as, as, y, py + done * bs, bs, words, t + done, 1, len - done);
                    });
                } else {
                    compareBits(op, x, r[0], as, y, r[1], bs, words, r[2], ost, n);
                }
            });
            return;
        }
        float[] o = os.floats();
        if (vectorised(op) && ost == 1 && (as == 1 || as == 0) && (bs == 1 || bs == 0) && as + bs > 0) {
            loop.forEachRowParallel(r -> inChunks(n, (from, len) ->
                    binaryRange(op, x, r[0] + from * as, as, y, r[1] + from * bs, bs, o, r[2] + from, len)));
            return;
        }
        loop.forEachRowParallel(r -> {
            for (int i = 0, p = r[0], q = r[1], t = r[2]; i < n; i++, p += as, q += bs, t += ost)
                o[t] = (float) apply(op, x[p], y[q]);
        });
    }

    private static void compareBits(BinaryOp op, float[] x, int p, int xs, float[] y, int q, int ys, int[] words, int t,
                                    int ts, int len) {
        for (int i = 0; i < len; i++, p += xs, q += ys, t += ts) setBit(words, t, apply(op, x[p], y[q]) != 0);
    }

    /**
     * Mask words from bit t (a multiple of 32) on: bit i set iff a[i] > b[i], a and b unit-stride or broadcast (stride
     * 0). Whole words only; returns how many elements it covered. Vector GT is false for NaN, as Java's > is.
     */
    private static int greaterWords(float[] a, int ai, int as, float[] b, int bi, int bs, int[] words, int t, int len) {
        FloatVector ab = FloatVector.broadcast(FS, a[ai]), bb = FloatVector.broadcast(FS, b[bi]);
        int i = 0;
        for (int w = t >>> 5; i + 32 <= len; i += 32, w++) {
            int word = 0;
            for (int k = 0; k < 32; k += FL) {
                FloatVector av = as == 0 ? ab : FloatVector.fromArray(FS, a, ai + i + k);
                FloatVector bv = bs == 0 ? bb : FloatVector.fromArray(FS, b, bi + i + k);
                word |= (int) av.compare(VectorOperators.GT, bv).toLong() << k;
            }
            words[w] = word;
        }
        return i;
    }

    static void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        int[] c = CpuBackend.cpu(cond).ints();
        float[] x = CpuBackend.cpu(a).floats(), y = CpuBackend.cpu(b).floats(), o = CpuBackend.cpu(out).floats();
        Loop loop = Loop.of(cond, a, b, out);
        int n = loop.n, cs = loop.step[0], as = loop.step[1], bs = loop.step[2], os = loop.step[3];
        // a word of condition bits at a time when the row's bits start a word (ReLU's backward: where(mask, g, 0))
        boolean words32 = cs == 1 && os == 1 && (as == 1 || as == 0) && (bs == 1 || bs == 0);
        loop.forEachRow(r -> {
            if (words32 && (r[0] & 31) == 0) {
                inChunks(n, (from, len) -> {
                    int k = r[0] + from, p = r[1] + from * as, q = r[2] + from * bs, t = r[3] + from;
                    int done = selectWords(c, k, x, p, as, y, q, bs, o, t, len);
                    selectBits(c, k + done, 1, x, p + done * as, as, y, q + done * bs, bs, o, t + done, 1, len - done);
                });
            } else {
                selectBits(c, r[0], cs, x, r[1], as, y, r[2], bs, o, r[3], os, n);
            }
        });
    }

    private static void selectBits(int[] c, int k, int cs, float[] x, int p, int xs, float[] y, int q, int ys, float[] o,
                                   int t, int ts, int len) {
        for (int i = 0; i < len; i++, k += cs, p += xs, q += ys, t += ts) o[t] = bit(c, k) != 0 ? x[p] : y[q];
    }

    /** o[i] = bit i of the words from bit k (a multiple of 32) ? x[i] : y[i], whole words; returns elements covered. */
    private static int selectWords(int[] c, int k, float[] x, int xi, int xs, float[] y, int yi, int ys, float[] o, int oi,
                                   int len) {
        FloatVector xb = FloatVector.broadcast(FS, x[xi]), yb = FloatVector.broadcast(FS, y[yi]);
        int i = 0;
        for (int w = k >>> 5; i + 32 <= len; i += 32, w++) {
            long bits = c[w] & 0xFFFFFFFFL;
            for (int j = 0; j < 32; j += FL) {
                FloatVector xv = xs == 0 ? xb : FloatVector.fromArray(FS, x, xi + i + j);
                FloatVector yv = ys == 0 ? yb : FloatVector.fromArray(FS, y, yi + i + j);
                yv.blend(xv, VectorMask.fromLong(FS, bits >>> j)).intoArray(o, oi + i + j);
            }
        }
        return i;
    }
}
