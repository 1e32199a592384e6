package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.Tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * im2col / col2im and 2-D max / average pooling over contiguous (N, C, H, W) planes. Work is split into tasks that
 * each own disjoint outputs (an im2col row, an input plane, a pooled plane) and run over the worker pool.
 */
final class CpuConv {
    private CpuConv() {}

    /**
     * Rows of cols are (c, ki, kj), columns (y, x). Each (n, row) is one task over the pool (disjoint outputs).
     */
    static void im2col(Tensor x, Conv2dGeometry g, Tensor cols) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), out = CpuBackend.cpu(cols).floats();
        int xo = (int) xc.offset(), co = (int) cols.offset();
        int rows = g.c() * g.kh() * g.kw(), spatial = g.outH() * g.outW(), image = g.c() * g.h() * g.w();
        Taps taps = new Taps(g);
        parallel(g.n() * rows, spatial, task -> {
            int n = task / rows, row = task % rows;
            im2colSpan(in, xo + n * image, g, taps, row / taps.count, row % taps.count, 0, spatial, out, co + (n * rows + row) * spatial);
        });
    }

    /**
     * Per tap t = ki·kw + kj, its kernel offsets and the output columns [x0, x1) whose input column x·sw − pw + kj
     * lies in [0, w): worked out once per call instead of by a handful of integer divisions for every row of
     * columns formed (the weight gradient forms them a span at a time, some 74 000 spans per convolution of
     * resnet20's first stage at batch 128).
     */
    private static final class Taps {
        final int count;
        final int[] ki, kj, x0, x1;

        Taps(Conv2dGeometry g) {
            int kw = g.kw(), ow = g.outW(), w = g.w(), sw = g.strideW(), pw = g.padW();
            count = g.kh() * kw;
            ki = new int[count];
            kj = new int[count];
            x0 = new int[count];
            x1 = new int[count];
            for (int t = 0; t < count; t++) {
                ki[t] = t / kw;
                kj[t] = t % kw;
                x0[t] = Math.min(ow, Math.max(0, ceilDiv(pw - kj[t], sw)));
                x1[t] = Math.max(x0[t], Math.min(ow, ceilDiv(w + pw - kj[t], sw)));
            }
        }
    }

    /** Rows [r0, r1) of one image's columns for output positions [j0, j0 + span), row r at (r − r0)·span of out. */
    private static void im2colRows(float[] in, int src, Conv2dGeometry g, Taps taps, int r0, int r1, int j0, int span, float[] out) {
        for (int row = r0, c = r0 / taps.count, t = r0 % taps.count; row < r1; row++) {
            im2colSpan(in, src, g, taps, c, t, j0, j0 + span, out, (row - r0) * span);
            if (++t == taps.count) {
                t = 0;
                c++;
            }
        }
    }

    /**
     * Output positions [j0, j1) (j = y·OW + x) of row (c, tap t) of one image's columns, from the image at src into
     * out from dst on. With stride 1 an output row segment is a contiguous run of an input row; when moreover the
     * output is as wide as the input (a "same" convolution) the whole span is one run of the input plane shifted by
     * a constant, except the entries that wrap past a row's edge: one copy, then zeros on those. Otherwise a copy
     * per output row.
     */
    private static void im2colSpan(float[] in, int src, Conv2dGeometry g, Taps taps, int c, int t, int j0, int j1, float[] out, int dst) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w();
        int sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        int ki = taps.ki[t], kj = taps.kj[t], x0 = taps.x0[t], x1 = taps.x1[t];
        src += c * h * w;
        dst -= j0; // out[dst + j] holds position j
        if (sameWidth(g)) {
            // Output rows y whose input row y − ph + ki lies in [0, h); valid positions run from first to last.
            int y0 = Math.min(oh, Math.max(0, ph - ki)), y1 = Math.max(y0, Math.min(oh, h + ph - ki));
            int first = y0 * ow + x0, last = y0 == y1 || x0 == x1 ? first : (y1 - 1) * ow + x1;
            int a = Math.clamp(first, j0, j1), b = Math.clamp(last, a, j1);
            Arrays.fill(out, dst + j0, dst + a, 0f);
            if (b > a) System.arraycopy(in, src + a + (ki - ph) * w + kj - pw, out, dst + a, b - a);
            Arrays.fill(out, dst + b, dst + j1, 0f);
            // Between rows y and y + 1 the positions y·OW + x, x in [x1, OW + x0), are padding: one strided pass
            // per such x (one or two for a 3×3 kernel), from the first such position at or after a, with no per-row
            // bounds to work out. That first row is at least ⌊a/OW⌋ − 1, since x < 2·OW.
            if (x1 < ow + x0) {
                int ya = a / ow - 1;
                for (int x = x1; x < ow + x0; x++) {
                    int y = Math.max(y0, ya);
                    while (y * ow + x < a) y++;
                    for (int at = y * ow + x; y < y1 - 1 && at < b; y++, at += ow) out[dst + at] = 0f;
                }
            }
            return;
        }
        for (int y = j0 / ow; y < oh && y * ow < j1; y++) {
            int xa = Math.max(0, j0 - y * ow), xb = Math.min(ow, j1 - y * ow), d = dst + y * ow;
            int iy = y * sh - ph + ki;
            if (iy < 0 || iy >= h) {
                Arrays.fill(out, d + xa, d + xb, 0f);
                continue;
            }
            int va = Math.clamp(x0, xa, xb), vb = Math.clamp(x1, va, xb);
            Arrays.fill(out, d + xa, d + va, 0f);
            int s0 = src + iy * w + va * sw - pw + kj;
            if (sw == 1) System.arraycopy(in, s0, out, d + va, vb - va);
            else for (int x = va, p = s0; x < vb; x++, p += sw) out[d + x] = in[p];
            Arrays.fill(out, d + vb, d + xb, 0f);
        }
    }

    /** Stride 1 and an output as wide as the input: a row of columns is the input plane shifted by a constant. */
    private static boolean sameWidth(Conv2dGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.outW() == g.w();
    }

    /** ⌈a / b⌉ for b > 0 and any sign of a. */
    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /**
     * Runs tasks 0..count−1 on the pool when the whole job is large enough to pay for it (each task owns disjoint
     * outputs and computes them the same way on any thread), else inline.
     */
    private static void parallel(int count, long workPerTask, WorkerPool.Body body) {
        if (count * workPerTask < (1 << 15)) {
            for (int t = 0; t < count; t++) body.run(t);
        } else {
            WorkerPool.shared().parallelFor(count, body);
        }
    }

    /**
     * Adds every column back into its input position. One task per (n, c) input plane, so the sums are the same on
     * any thread count.
     */
    static void col2im(Tensor cols, Conv2dGeometry g, Tensor x) {
        Tensor cc = cols.contiguous();
        float[] in = CpuBackend.cpu(cc).floats(), out = CpuBackend.cpu(x).floats();
        int co = (int) cc.offset(), xo = (int) x.offset();
        int plane = g.h() * g.w(), rows = g.c() * g.kh() * g.kw(), spatial = g.outH() * g.outW(), cn = g.c();
        parallel(g.n() * cn, (long) g.kh() * g.kw() * spatial, task -> {
            int n = task / cn, c = task % cn;
            col2imPlane(in, co + n * rows * spatial, g, c, out, xo + (n * cn + c) * plane);
        });
    }

    /**
     * Input plane c of one image, at dst (overwritten), from that image's columns at src: its kh·kw rows added in
     * row order. With stride 1 the inner loop is a contiguous add C2 vectorises.
     */
    private static void col2imPlane(float[] in, int src, Conv2dGeometry g, int c, float[] out, int dst) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), spatial = oh * ow;
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        Arrays.fill(out, dst, dst + h * w, 0f);
        for (int k = 0; k < kh * kw; k++) {
            int ki = k / kw, kj = k % kw, s = src + (c * kh * kw + k) * spatial;
            int x0 = Math.min(ow, Math.max(0, ceilDiv(pw - kj, sw))), x1 = Math.max(x0, Math.min(ow, ceilDiv(w + pw - kj, sw)));
            for (int y = 0; y < oh; y++) {
                int iy = y * sh - ph + ki;
                if (iy < 0 || iy >= h) continue;
                int d = dst + iy * w + x0 * sw - pw + kj, s0 = s + y * ow + x0;
                if (sw == 1) for (int t = 0, len = x1 - x0; t < len; t++) out[d + t] += in[s0 + t];
                else for (int xx = x0; xx < x1; xx++, d += sw) out[d] += in[s0 + xx - x0];
            }
        }
    }

    // ---- fused convolution: one image at a time, its columns a span at a time in a per-thread buffer ----
    //
    // Forming all N images' columns first (kh·kw times the input) sends them through memory twice, written by
    // im2col and read back by the GEMM's packing, after a zero fill of the fresh tensor. Here the columns of SPAN
    // output positions at a time are formed in a buffer that stays in L2 and multiplied at once. Each span's product
    // is the serial GEMM the batched matmul runs on a whole image, restricted to SPAN output columns (forward: same
    // sums) or to one depth slice of KC (weight gradient: accumulated as the GEMM adds its slices), so the results
    // equal the unfused ones bit for bit.

    /** Output positions formed at a time: one GEMM depth slice, and a whole number of micro-tile column panels. */
    static final int SPAN = CpuMatmul.KC;

    private static final ThreadLocal<float[][]> COLS = ThreadLocal.withInitial(() -> new float[][]{new float[0]});

    /** This thread's column buffer, grown to at least size floats and kept. */
    private static float[] colsBuffer(int size) {
        float[][] holder = COLS.get();
        if (holder[0].length < size) holder[0] = new float[size];
        return holder[0];
    }

    /**
     * Whether to fuse: when there are enough images to split between the threads (with fewer, the unfused path
     * splits each product across the threads instead).
     */
    private static boolean fuse(Conv2dGeometry g) {
        int threads = WorkerPool.shared().threads();
        return threads == 1 || g.n() >= 2 * threads;
    }

    /** What runs on each span of an image: image n, which starts at in[base], output positions [j0, j0 + span). */
    private interface ImageSpan {
        void run(float[] in, int base, int n, int j0, int span);
    }

    /** For each image (over the pool, workPerImage apiece) and each SPAN of its output positions: body. */
    private static void forEachSpan(Tensor x, Conv2dGeometry g, long workPerImage, ImageSpan body) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats();
        int xo = (int) xc.offset();
        int spatial = g.outH() * g.outW(), image = g.c() * g.h() * g.w();
        parallel(g.n(), workPerImage, n -> {
            for (int j0 = 0; j0 < spatial; j0 += SPAN) body.run(in, xo + n * image, n, j0, Math.min(SPAN, spatial - j0));
        });
    }

    /** What runs on each span's columns: image n, output positions [j0, j0 + span), cols its rows × span. */
    private interface SpanBody {
        void run(int n, int j0, int span, float[] cols);
    }

    /** {@link #forEachSpan}, with each span's columns formed in this thread's buffer before body runs on them. */
    private static void forEachColumnSpan(Tensor x, Conv2dGeometry g, long workPerImage, SpanBody body) {
        int rows = g.c() * g.kh() * g.kw();
        Taps taps = new Taps(g);
        forEachSpan(x, g, workPerImage, (in, base, n, j0, span) -> {
            float[] cols = colsBuffer(rows * SPAN);
            im2colRows(in, base, g, taps, 0, rows, j0, span, cols);
            body.run(n, j0, span, cols);
        });
    }

    /**
     * out[n] (O × OH·OW) = weight (O × C·kh·kw) · im2col(x[n]). A "same"-width stride-1 convolution writes its
     * columns straight into the GEMM's packed panels ({@link ShiftedColumns}); any other forms them in the buffer
     * first, and the GEMM packs them from there.
     */
    static boolean conv2d(Tensor x, Tensor weight, Conv2dGeometry g, Tensor out) {
        if (!fuse(g)) return false;
        float[] w = CpuBackend.cpu(weight).floats(), y = CpuBackend.cpu(out).floats();
        int wo = (int) weight.offset(), yo = (int) out.offset();
        int wr = (int) weight.stride(0), wc = (int) weight.stride(1), o = weight.size(0);
        int rows = g.c() * g.kh() * g.kw(), spatial = g.outH() * g.outW();
        long work = (long) o * rows * spatial;
        if (sameWidth(g)) {
            ShiftedColumns cols = new ShiftedColumns(g);
            forEachSpan(x, g, work, (in, base, n, j0, span) ->
                    CpuMatmul.product(w, wo, wr, wc, (pc, kc, jc, nc, dst) -> cols.pack(in, base, j0 + jc, pc, kc, nc, dst),
                            y, yo + n * o * spatial + j0, spatial, 1, o, span, rows, 0f));
        } else {
            forEachColumnSpan(x, g, work, (n, j0, span, cols) ->
                    CpuMatmul.product(w, wo, wr, wc, cols, 0, span, 1, y, yo + n * o * spatial + j0, spatial, 1, o, span, rows, 0f));
        }
        return true;
    }

    /**
     * The columns of a "same"-width stride-1 convolution ({@link #sameWidth}), packed for the GEMM without the
     * column buffer between: row (c, ki, kj) at output position j is the input at c·H·W + j + (ki − ph)·W + kj − pw,
     * or zero where that tap falls in the padding. So each NR-wide panel row is two vector loads from the input at a
     * constant shift, masked by which of its positions are inside the image for that (ki, kj); those masks depend
     * on the geometry only and are worked out once per call. Forming the columns in the buffer and then packing
     * them copied every element twice, the first copy 15 % of a resnet20 step.
     */
    static final class ShiftedColumns {
        private static final int NR = CpuMatmul.NR, L = CpuMatmul.L;
        private static final VectorSpecies<Float> S = CpuMatmul.S;
        private final int plane, taps;
        private final int[] shift;
        /** valid[t][P]: bit l set when tap t = ki·kw + kj at position P·NR + l (< OH·OW) reads inside the image. */
        private final long[][] valid;

        ShiftedColumns(Conv2dGeometry g) {
            if (NR > Long.SIZE) throw new IllegalStateException("micro-tile of " + NR + " columns exceeds a long mask");
            int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), kw = g.kw(), ph = g.padH(), pw = g.padW();
            int spatial = oh * ow;
            taps = g.kh() * kw;
            plane = h * w;
            shift = new int[taps];
            valid = new long[taps][(spatial + NR - 1) / NR];
            for (int t = 0; t < taps; t++) {
                int ki = t / kw, kj = t % kw;
                shift[t] = (ki - ph) * w + kj - pw;
                for (int y = Math.max(0, ph - ki); y < Math.min(oh, h + ph - ki); y++)
                    for (int x = Math.max(0, pw - kj); x < Math.min(ow, w + pw - kj); x++) {
                        int j = y * ow + x;
                        valid[t][j / NR] |= 1L << (j % NR);
                    }
            }
        }

        /**
         * Depth [pc, pc + kc) × output positions [j0, j0 + nc) of the columns of the image at src, as {@link
         * CpuMatmul#packB} lays out that slice. j0 is a multiple of NR (spans are).
         */
        void pack(float[] in, int src, int j0, int pc, int kc, int nc, float[] dst) {
            int panels = (nc + NR - 1) / NR, first = j0 / NR;
            // positions of the last panel past nc belong to the next span (or to no image): zero here
            long tail = nc % NR == 0 ? -1L : (1L << (nc % NR)) - 1;
            // A panel at a time, its rows in order: the writes are sequential (row by row across all panels, they
            // went to panels kc·NR floats apart, and the conv ran 2-7 % slower); the tap and channel advance by
            // counting, not by a division per row.
            for (int jr = 0; jr < panels; jr++) {
                long keep = jr == panels - 1 ? tail : -1L;
                int t = pc % taps, at = src + j0 + jr * NR + (pc / taps) * plane;
                for (int q = 0, d = jr * kc * NR; q < kc; q++, d += NR) {
                    long bits = valid[t][first + jr] & keep;
                    int s = at + shift[t];
                    if (bits == FULL) {
                        CpuMatmul.copyPanelRow(in, s, dst, d);
                    } else if (s >= 0 && s <= in.length - NR) {
                        FloatVector.fromArray(S, in, s, VectorMask.fromLong(S, bits)).intoArray(dst, d);
                        FloatVector.fromArray(S, in, s + L, VectorMask.fromLong(S, bits >>> L)).intoArray(dst, d + L);
                    } else {
                        outsideTheArray(in, s, bits, dst, d);
                    }
                    if (++t == taps) {
                        t = 0;
                        at += plane;
                    }
                }
            }
        }

        /**
         * A panel row whose span starts before the array or ends after it (the first image's top taps, the last
         * image's bottom ones), lane by lane. A masked vector load there is legal, but it takes the load's generic
         * out-of-range branch, which checks lane by lane anyway; this keeps every vector load in the array.
         */
        private static void outsideTheArray(float[] in, int s, long bits, float[] dst, int d) {
            for (int l = 0; l < NR; l++) dst[d + l] = (bits >>> l & 1) != 0 ? in[s + l] : 0f;
        }

        private static final long FULL = NR == Long.SIZE ? -1L : (1L << NR) - 1;
    }

    /** Largest per-image column buffer the fused input gradient uses (4 MiB; it is kept per thread). */
    static final int INPUT_GRAD_COLS_MAX = 1 << 20;

    /**
     * gradIn[n] = col2im(weightᵀ · gradOut[n]); gradOut is (N, O, OH·OW). One image's columns at a time (col2im adds
     * each input element's terms in row order, so they are not split into spans), at most INPUT_GRAD_COLS_MAX floats.
     */
    static boolean conv2dInputGrad(Tensor weight, Tensor gradOut, Conv2dGeometry g, Tensor gradIn) {
        if (!fuse(g) || (long) g.c() * g.kh() * g.kw() * g.outH() * g.outW() > INPUT_GRAD_COLS_MAX) return false;
        float[] w = CpuBackend.cpu(weight).floats(), go = CpuBackend.cpu(gradOut).floats(), gi = CpuBackend.cpu(gradIn).floats();
        int wo = (int) weight.offset(), goo = (int) gradOut.offset(), gio = (int) gradIn.offset();
        int wr = (int) weight.stride(0), wc = (int) weight.stride(1), o = weight.size(0);
        int gn = (int) gradOut.stride(0), gr = (int) gradOut.stride(1), gc = (int) gradOut.stride(2);
        int rows = g.c() * g.kh() * g.kw(), spatial = g.outH() * g.outW(), plane = g.h() * g.w();
        parallel(g.n(), (long) o * rows * spatial, n -> {
            float[] cols = colsBuffer(rows * spatial);
            CpuMatmul.product(w, wo, wc, wr, go, goo + n * gn, gr, gc, cols, 0, spatial, 1, rows, spatial, o, 0f);
            for (int c = 0; c < g.c(); c++) col2imPlane(cols, 0, g, c, gi, gio + (n * g.c() + c) * plane);
        });
        return true;
    }

    /**
     * out (C·kh·kw × O) = Σₙ im2col(x[n]) · gradOut[n]ᵀ; gradOut is (N, O, OH·OW). Each image's product is the GEMM
     * the batched matmul runs on it (its depth, the output positions, taken SPAN = KC at a time and added as the GEMM
     * adds its depth slices), and the images are added in order in double, as {@code sum(0)} adds the per-image
     * products: the same bits as the composed path. Tasks own blocks of out's rows, which change no value (each
     * element of a product is its own chain of fused multiply-adds), and keep their running sums in cache, where
     * the composed path wrote all N products out (19 MB per convolution of resnet20's last stage at batch 128)
     * and read them back.
     */
    static boolean conv2dWeightGrad(Tensor x, Tensor gradOut, Conv2dGeometry g, Tensor out) {
        if (!fuse(g)) return false;
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), go = CpuBackend.cpu(gradOut).floats(), w = CpuBackend.cpu(out).floats();
        int xo = (int) xc.offset(), goo = (int) gradOut.offset(), wo = (int) out.offset();
        int gn = (int) gradOut.stride(0), gr = (int) gradOut.stride(1), gc = (int) gradOut.stride(2), o = gradOut.size(1);
        int rows = g.c() * g.kh() * g.kw(), spatial = g.outH() * g.outW(), image = g.c() * g.h() * g.w();
        int threads = WorkerPool.shared().threads();
        // a block per thread, in whole micro-tile rows
        Taps taps = new Taps(g);
        int block = Math.max(CpuMatmul.MR, ((rows + threads - 1) / threads + CpuMatmul.MR - 1) / CpuMatmul.MR * CpuMatmul.MR);
        int blocks = (rows + block - 1) / block;
        parallel(blocks, (long) g.n() * block * o * spatial, b -> {
            int r0 = b * block, r1 = Math.min(rows, r0 + block), m = r1 - r0;
            float[] cols = colsBuffer(m * SPAN), product = new float[m * o];
            double[] sum = new double[m * o];
            for (int n = 0; n < g.n(); n++) {
                for (int j0 = 0; j0 < spatial; j0 += SPAN) {
                    int span = Math.min(SPAN, spatial - j0);
                    im2colRows(in, xo + n * image, g, taps, r0, r1, j0, span, cols);
                    CpuMatmul.product(cols, 0, span, 1, go, goo + n * gn + j0 * gc, gc, gr, product, 0, o, 1, m, o, span, j0 == 0 ? 0f : 1f);
                }
                VectorMath.addInDouble(sum, product, 0, m * o); // sum(0)'s own accumulation
            }
            for (int e = 0; e < m * o; e++) w[wo + r0 * o + e] = (float) sum[e];
        });
        return true;
    }

    /**
     * Max pooling. Each window element becomes one long, its order key ({@link #poolKey}) above the complement of its
     * position, and the window's maximum of those longs is the answer: the largest value, the first position among
     * equals. Branch-free, where the float compare-and-select per element was a data-dependent branch (7.0 → 3.2 ms
     * for 64×16×32×32, 2×2/2, one thread). The first maximum in row order wins, the first NaN beats every number,
     * ±0 tie — as PyTorch's {@code val > max || isnan(val)}.
     */
    static void maxPool2d(Tensor x, Conv2dGeometry g, Tensor out, Tensor indices) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), o = CpuBackend.cpu(out).floats();
        int[] idx = CpuBackend.cpu(indices).ints();
        int xo = (int) xc.offset();
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), plane = h * w;
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        parallel(g.n() * g.c(), plane, pl -> {
            int src = xo + pl * plane, dst = pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                int iy0 = y * sh - ph, kiLo = Math.max(0, -iy0), kiHi = Math.min(kh, h - iy0);
                for (int xx = 0; xx < ow; xx++) {
                    // the window clipped to the input (padding <= kernel/2 keeps it non-empty)
                    int ix0 = xx * sw - pw, kjLo = Math.max(0, -ix0), kjHi = Math.min(kw, w - ix0);
                    long best = Long.MIN_VALUE;
                    for (int ki = kiLo; ki < kiHi; ki++)
                        for (int kj = kjLo, at = (iy0 + ki) * w + ix0 + kjLo; kj < kjHi; kj++, at++)
                            best = Math.max(best, ((long) poolKey(Float.floatToRawIntBits(in[src + at])) << 32) | (~at & 0xFFFFFFFFL));
                    int bestAt = ~(int) best;
                    o[dst + y * ow + xx] = in[src + bestAt];
                    idx[dst + y * ow + xx] = bestAt;
                }
            }
        });
    }

    /**
     * An int that orders floats as {@code >} does, with ±0 equal and every NaN above +∞ (all NaNs equal, so the first
     * stays): the magnitude bits, negated for negative values.
     */
    private static int poolKey(int bits) {
        int mag = bits & 0x7FFFFFFF, sign = bits >> 31;
        return mag > 0x7F800000 ? Integer.MAX_VALUE : (mag ^ sign) - sign;
    }

    /**
     * Scatters each output gradient to its argmax. Indices are checked in one pass first (so a bad index throws
     * before anything is written, and from the calling thread); then one task per (n, c) plane zeroes its input
     * gradient and adds into it in output order, so the sums are the same on any thread count.
     */
    static void maxPool2dBackward(Tensor gradOut, Tensor indices, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous(), ic = indices.contiguous();
        float[] go = CpuBackend.cpu(gc).floats(), gi = CpuBackend.cpu(gradIn).floats();
        int[] idx = CpuBackend.cpu(ic).ints();
        int goOff = (int) gc.offset(), iOff = (int) ic.offset(), giOff = (int) gradIn.offset();
        int plane = g.h() * g.w(), outPlane = g.outH() * g.outW(), planes = g.n() * g.c();
        for (int j = iOff, end = iOff + planes * outPlane; j < end; j++) {
            int at = idx[j];
            if (at < 0 || at >= plane)
                throw new IndexOutOfBoundsException("maxPool2dBackward: index " + at + " outside the input plane of " + plane + " elements");
        }
        parallel(planes, plane + outPlane, pl -> {
            int dst = giOff + pl * plane, src = goOff + pl * outPlane, ix = iOff + pl * outPlane;
            Arrays.fill(gi, dst, dst + plane, 0f);
            for (int j = 0; j < outPlane; j++) gi[dst + idx[ix + j]] += go[src + j];
        });
    }

    static void avgPool2d(Tensor x, Conv2dGeometry g, Tensor out) {
        Tensor xc = x.contiguous();
        float[] in = CpuBackend.cpu(xc).floats(), o = CpuBackend.cpu(out).floats();
        int xo = (int) xc.offset();
        int oh = g.outH(), ow = g.outW(), plane = g.h() * g.w();
        double inv = 1.0 / (g.kh() * g.kw());
        parallel(g.n() * g.c(), plane, pl -> {
            int src = xo + pl * plane, dst = pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int xx = 0; xx < ow; xx++) {
                    double sum = 0;
                    for (int ki = 0; ki < g.kh(); ki++) {
                        int iy = y * g.strideH() - g.padH() + ki;
                        if (iy < 0 || iy >= g.h()) continue;
                        for (int kj = 0; kj < g.kw(); kj++) {
                            int ix = xx * g.strideW() - g.padW() + kj;
                            if (ix >= 0 && ix < g.w()) sum += in[src + iy * g.w() + ix];
                        }
                    }
                    o[dst + y * ow + xx] = (float) (sum * inv);
                }
            }
        });
    }

    /**
     * Spreads each output gradient, times 1/(kh·kw), over its window. One task per (n, c) plane (zeroes its input
     * gradient, then adds in output order: the same sums on any thread count); each window is clipped to the
     * input once instead of testing every tap.
     */
    static void avgPool2dBackward(Tensor gradOut, Conv2dGeometry g, Tensor gradIn) {
        Tensor gc = gradOut.contiguous();
        float[] go = CpuBackend.cpu(gc).floats(), gi = CpuBackend.cpu(gradIn).floats();
        int goOff = (int) gc.offset(), giOff = (int) gradIn.offset();
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), plane = h * w;
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        float inv = 1f / (kh * kw);
        parallel(g.n() * g.c(), plane + oh * ow * kh * kw, pl -> {
            int dst = giOff + pl * plane, src = goOff + pl * oh * ow;
            Arrays.fill(gi, dst, dst + plane, 0f);
            for (int y = 0; y < oh; y++) {
                int iy0 = Math.max(0, y * sh - ph), iy1 = Math.min(h, y * sh - ph + kh);
                for (int xx = 0; xx < ow; xx++) {
                    int ix0 = Math.max(0, xx * sw - pw), ix1 = Math.min(w, xx * sw - pw + kw);
                    float v = go[src + y * ow + xx] * inv;
                    for (int iy = iy0; iy < iy1; iy++)
                        for (int ix = ix0, d = dst + iy * w; ix < ix1; ix++) gi[d + ix] += v;
                }
            }
        });
    }
}
