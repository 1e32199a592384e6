package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched SGEMM over strided operands, GotoBLAS/BLIS style: B is packed into panels of {@link #NR} columns
 * ({@link #KC} rows deep), straight from its strides (a transposed view costs no copy, only a different packing
 * walk), zero-padded at the edges; a row- or column-major A is read where it lies, any other A is packed into panels
 * of {@link #MR} rows (see {@link #blockOfA}); a register-blocked Vector-API
 * micro-kernel keeps an MR×NR tile of C in 12 vector registers (6×32 with 512-bit vectors, 6×16 with 256-bit).
 *
 * <p>Parallel work goes through {@link WorkerPool}: either over batch entries (many small products, e.g. attention
 * heads) or over (MC-row block × column chunk) tiles of one product, after the B panel of the current KC slice has
 * been packed once, in parallel, into the caller's buffer. Every blocking size is a function of the problem shape
 * only, and every output element is summed in the same order (k ascending, one FMA chain per KC slice, slices added
 * in order), so results are bit-identical for every thread count and for either parallel strategy; they are also
 * identical for 256- and 512-bit vectors, since lanes never combine.
 *
 * <p>Contract (Backend.matmul): out = beta·out + a·b, with beta == 0 meaning overwrite (out's old contents, NaN
 * included, are not read). out may be strided.
 */
final class CpuMatmul {
    private CpuMatmul() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Micro-tile rows. */
    static final int MR = 6;
    /** Micro-tile columns: two vectors. */
    static final int NR = 2 * L;
    /** Depth of one packed slice: a KC×NR B panel (32 KiB at 512-bit) stays in L1 while A panels stream. */
    static final int KC = 256;
    /** Largest row block: an MC×KC packed A block (96 KiB) stays in L2. */
    static final int MC = 96;
    /** Largest column block: bounds the packed B buffer to KC×NC floats (2 MiB). */
    static final int NC = 2048;
    /** Below this many multiply-adds one product runs on the calling thread. */
    static final long SERIAL_WORK = 1L << 18;
    /** Least columns one parallel tile covers (A is packed, or read, once per tile). */
    static final int MIN_TILE_COLS = 4 * NR;

    /** Per-thread packing buffers, grown on demand and kept. */
    static final class Scratch {
        float[] a = new float[MC * KC];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];
        final APanels view = new APanels();

        float[] b(int size) {
            if (b.length < size) b = new float[size];
            return b;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The operands of one call; offsets per batch entry. */
    private record Problem(float[] A, float[] B, float[] C, int m, int n, int k,
                           int ar, int ac, int br, int bc, int cr, int cc, float beta, BPacker packer) {}

    /**
     * Writes a B that exists only implicitly (the fused convolution's columns) straight into the packed layout of
     * {@link #packB}: the kc×nc slice at depth pc, columns from jc, as panels of NR columns (each kc×NR, p-major),
     * zero past column nc. It must write every element of those panels.
     */
    interface BPacker {
        void pack(int pc, int kc, int jc, int nc, float[] dst);
    }

    static void matmul(Tensor a, Tensor b, Tensor out, float beta) {
        float[] A = CpuBackend.cpu(a).floats(), B = CpuBackend.cpu(b).floats(), C = CpuBackend.cpu(out).floats();
        int r = out.rank();
        int m = out.size(r - 2), n = out.size(r - 1), k = a.size(r - 1);
        if (out.numel() == 0) return;
        long[] as = a.strides(), bs = b.strides(), cs = out.strides();
        Problem p = new Problem(A, B, C, m, n, k, (int) as[r - 2], (int) as[r - 1], (int) bs[r - 2], (int) bs[r - 1],
                (int) cs[r - 2], (int) cs[r - 1], beta, null);
        int batches = (int) (out.numel() / ((long) m * n));
        int[] oa = new int[batches], ob = new int[batches], oc = new int[batches];
        batchOffsets(out.shape(), r - 2, new long[][]{as, bs, cs},
                new long[]{a.offset(), b.offset(), out.offset()}, new int[][]{oa, ob, oc});
        if (k == 0) {
            for (int t = 0; t < batches; t++) scaleOut(p, oc[t]);
            return;
        }
        WorkerPool pool = WorkerPool.shared();
        long work = (long) m * n * k;
        if (batches > 1 && (work < (1L << 21) || batches >= 4 * pool.threads())) {
            if ((long) batches * work < SERIAL_WORK) {
                Scratch s = SCRATCH.get();
                for (int t = 0; t < batches; t++) serial(p, oa[t], ob[t], oc[t], s);
            } else {
                pool.parallelFor(batches, t -> serial(p, oa[t], ob[t], oc[t], SCRATCH.get()));
            }
        } else {
            for (int t = 0; t < batches; t++) {
                if (work < SERIAL_WORK || pool.threads() == 1) serial(p, oa[t], ob[t], oc[t], SCRATCH.get());
                else parallel(p, oa[t], ob[t], oc[t], pool);
            }
        }
    }

    /**
     * C (m×n, at oc with strides cr, cc) = beta·C + A (m×k) · B (k×n), each given by array, offset and (row,
     * column) strides: one product on the calling thread, for kernels that form an operand themselves (the fused
     * conv). With k <= KC, beta 1 adds A·B to C exactly as the GEMM adds one depth slice to the previous ones.
     */
    static void product(float[] A, int oa, int ar, int ac, float[] B, int ob, int br, int bc,
                        float[] C, int oc, int cr, int cc, int m, int n, int k, float beta) {
        run(new Problem(A, B, C, m, n, k, ar, ac, br, bc, cr, cc, beta, null), oa, ob, oc);
    }

    /** As {@link #product} with B (k×n) written by packer where the GEMM would pack it. */
    static void product(float[] A, int oa, int ar, int ac, BPacker packer,
                        float[] C, int oc, int cr, int cc, int m, int n, int k, float beta) {
        run(new Problem(A, null, C, m, n, k, ar, ac, 0, 0, cr, cc, beta, packer), oa, 0, oc);
    }

    private static void run(Problem p, int oa, int ob, int oc) {
        if (p.m == 0 || p.n == 0) return;
        if (p.k == 0) scaleOut(p, oc);
        else serial(p, oa, ob, oc, SCRATCH.get());
    }

    /** Element offsets of every batch entry of each operand, row-major over the batch dimensions. */
    private static void batchOffsets(int[] shape, int batchRank, long[][] strides, long[] offsets, int[][] dst) {
        int[] idx = new int[batchRank];
        long[] cur = offsets.clone();
        int total = dst[0].length;
        for (int t = 0; t < total; t++) {
            for (int o = 0; o < dst.length; o++) dst[o][t] = (int) cur[o];
            for (int d = batchRank - 1; d >= 0; d--) {
                idx[d]++;
                for (int o = 0; o < dst.length; o++) cur[o] += strides[o][d];
                if (idx[d] < shape[d]) break;
                for (int o = 0; o < dst.length; o++) cur[o] -= strides[o][d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /** out = beta·out (K = 0). */
    private static void scaleOut(Problem p, int oc) {
        for (int i = 0; i < p.m; i++)
            for (int j = 0; j < p.n; j++) {
                int c = oc + i * p.cr + j * p.cc;
                p.C[c] = p.beta == 0f ? 0f : p.beta * p.C[c];
            }
    }

    private static int rowBlock(int m) {
        int blocks = (m + MC - 1) / MC;
        int mc = (m + blocks - 1) / blocks;
        return (mc + MR - 1) / MR * MR;
    }

    /** One product on the calling thread. */
    private static void serial(Problem p, int oa, int ob, int oc, Scratch s) {
        int mcMax = rowBlock(p.m);
        for (int jc = 0; jc < p.n; jc += NC) {
            int nc = Math.min(NC, p.n - jc);
            int panels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < p.k; pc += KC) {
                int kc = Math.min(KC, p.k - pc);
                float[] bp = s.b(panels * kc * NR);
                if (p.packer != null) p.packer.pack(pc, kc, jc, nc, bp);
                else packB(p, ob + pc * p.br + jc * p.bc, kc, nc, 0, panels, bp);
                for (int ic = 0; ic < p.m; ic += mcMax) {
                    int mc = Math.min(mcMax, p.m - ic);
                    blockOfA(p, oa + ic * p.ar + pc * p.ac, mc, kc, s.a, s.view);
                    macro(p, oc + ic * p.cr, mc, jc, nc, 0, panels, kc, pc == 0, s.view, bp, s.tile);
                }
            }
        }
    }

    /** One product split over the pool: B slice packed in parallel, then (row block × column chunk) tiles. */
    private static void parallel(Problem p, int oa, int ob, int oc, WorkerPool pool) {
        Scratch own = SCRATCH.get();
        int mcMax = rowBlock(p.m);
        int mBlocks = (p.m + mcMax - 1) / mcMax;
        for (int jc = 0; jc < p.n; jc += NC) {
            int nc = Math.min(NC, p.n - jc);
            int panels = (nc + NR - 1) / NR;
            // Column chunks: enough tiles to balance a few threads, each chunk at least MIN_TILE_COLS wide.
            int chunks = Math.max(1, Math.min((8 + mBlocks - 1) / mBlocks, nc / MIN_TILE_COLS));
            int panelsPerChunk = (panels + chunks - 1) / chunks;
            int chunkCount = (panels + panelsPerChunk - 1) / panelsPerChunk;
            int packGroups = Math.min(panels, 8);
            int panelsPerGroup = (panels + packGroups - 1) / packGroups;
            for (int pc = 0; pc < p.k; pc += KC) {
                int kc = Math.min(KC, p.k - pc);
                float[] bp = own.b(panels * kc * NR);
                int bBase = ob + pc * p.br + jc * p.bc, aBase = oa + pc * p.ac;
                boolean first = pc == 0;
                final int jc0 = jc;
                pool.parallelFor((panels + panelsPerGroup - 1) / panelsPerGroup, g ->
                        packB(p, bBase, kc, nc, g * panelsPerGroup, Math.min(panels, (g + 1) * panelsPerGroup), bp));
                pool.parallelFor(mBlocks * chunkCount, t -> {
                    int ib = t / chunkCount, jb = t % chunkCount;
                    int ic = ib * mcMax, mc = Math.min(mcMax, p.m - ic);
                    Scratch s = SCRATCH.get();
                    blockOfA(p, aBase + ic * p.ar, mc, kc, s.a, s.view);
                    macro(p, oc + ic * p.cr, mc, jc0, nc, jb * panelsPerChunk, Math.min(panels, (jb + 1) * panelsPerChunk),
                            kc, first, s.view, bp, s.tile);
                });
            }
        }
    }

    /**
     * Where the micro-kernel reads an mc×kc block of A: element (row r of panel i, depth q) is at
     * {@code a[base + i·panel + r·row + q·depth]}.
     */
    static final class APanels {
        float[] a;
        int base, row, depth, panel;

        void set(float[] a, int base, int row, int depth, int panel) {
            this.a = a;
            this.base = base;
            this.row = row;
            this.depth = depth;
            this.panel = panel;
        }
    }

    /**
     * Describes the mc×kc block of A at base for the micro-kernel. A row-major A (unit column stride) is read where
     * it lies: the kernel's six row streams are sequential, so packing would only copy it once more (that copy was
     * 14 % of a vit-fmnist step, and removing it made the step's row-major GEMMs 20-25 % faster). A column-major A
     * (a transposed view, rows one element apart: the weight gradients' gᵀ) is read in place too: at each depth the
     * kernel's six values are adjacent, and vit-fmnist's weight-gradient products ran 22-30 % faster than with
     * the packing, large ones (512³, 1024·1024·256) the same. Only an A with neither unit stride is packed into MR-row
     * panels.
     */
    static void blockOfA(Problem p, int base, int mc, int kc, float[] packed, APanels view) {
        if (p.ac == 1) {
            view.set(p.A, base, p.ar, 1, MR * p.ar);
        } else if (p.ar == 1) {
            view.set(p.A, base, 1, p.ac, MR);
        } else {
            packA(p, base, mc, kc, packed);
            view.set(packed, 0, 1, MR, kc * MR);
        }
    }

    /**
     * Packs rows [0, mc) × depth [0, kc) of A at base into MR-row panels (p-major within a panel). Used for an A
     * with neither unit stride ({@link #blockOfA} reads the others in place). A short last panel's missing
     * rows are not written: the kernel never reads past row mr − 1.
     */
    static void packA(Problem p, int base, int mc, int kc, float[] dst) {
        float[] A = p.A;
        int ar = p.ar, ac = p.ac;
        for (int i = 0, d = 0; i < mc; i += MR) {
            int rows = Math.min(MR, mc - i);
            if (rows == MR) {
                for (int q = 0, src = base + i * ar; q < kc; q++, d += MR, src += ac)
                    for (int r = 0; r < MR; r++) dst[d + r] = A[src + r * ar];
            } else {
                for (int q = 0, src = base + i * ar; q < kc; q++, d += MR, src += ac)
                    for (int r = 0; r < rows; r++) dst[d + r] = A[src + r * ar];
            }
        }
    }

    /** Packs panels [from, to) of the kc×nc slice of B at base (each kc×NR, p-major), zero-padded. */
    static void packB(Problem p, int base, int kc, int nc, int from, int to, float[] dst) {
        float[] B = p.B;
        int br = p.br, bc = p.bc;
        for (int jr = from; jr < to; jr++) {
            int j0 = jr * NR, cols = Math.min(NR, nc - j0);
            int d = jr * kc * NR;
            int src = base + j0 * bc;
            if (cols == NR && bc == 1) {
                for (int q = 0; q < kc; q++, d += NR, src += br) copyPanelRow(B, src, dst, d);
            } else if (br == 1) {
                // A transposed view: each column of B is a contiguous run of kc, read in order (reading across the
                // NR columns at each depth, as below, keeps NR lines in flight; 512³ ran at 108-159 GFLOP/s
                // that way and 165-171 this way).
                for (int j = 0; j < cols; j++)
                    for (int q = 0, s = src + j * bc; q < kc; q++) dst[d + q * NR + j] = B[s + q];
                // the padding columns, a contiguous run per depth (zeroed column by column, they were NR − cols
                // strided stores per depth: half the stores of a 16-column B)
                if (cols < NR) for (int q = 0, t = d + cols; q < kc; q++, t += NR) java.util.Arrays.fill(dst, t, t + NR - cols, 0f);
            } else {
                for (int q = 0; q < kc; q++, d += NR, src += br)
                    for (int j = 0; j < NR; j++) dst[d + j] = j < cols ? B[src + j * bc] : 0f;
            }
        }
    }

    /**
     * NR floats from src to d, in a method of its own: inlined into packB it ran with its vectors boxed in a resnet20
     * grid JVM (4 GB of float[16] payloads allocated in 150 s, packB 7 % of the step), the inlining budget of the
     * method it sat in being spent. Left out of line, it is compiled alone, and its vectors stay in registers.
     */
    static void copyPanelRow(float[] src, int s, float[] dst, int d) {
        FloatVector.fromArray(S, src, s).intoArray(dst, d);
        FloatVector.fromArray(S, src, s + L).intoArray(dst, d + L);
    }

    /** C rows [0, mc) at cBase, columns of panels [from, to) of the block starting at column jc. */
    private static void macro(Problem p, int cBase, int mc, int jc, int nc, int from, int to, int kc, boolean first,
                              APanels ap, float[] bp, float[] tile) {
        for (int jr = from; jr < to; jr++) {
            int j0 = jr * NR, nr = Math.min(NR, nc - j0);
            int bo = jr * kc * NR;
            int cCol = cBase + (jc + j0) * p.cc;
            int i = 0;
            // A panel at most one vector wide: two row panels at a time, so all 12 accumulators do useful work
            if (nr <= L)
                for (; i + MR < mc; i += 2 * MR)
                    kernelNarrow(ap.a, ap.base + (i / MR) * ap.panel, ap.base + (i / MR + 1) * ap.panel, ap.row, ap.depth,
                            bp, bo, kc, p.C, cCol + i * p.cr, cCol + (i + MR) * p.cr, p.cr, p.cc, Math.min(MR, mc - i - MR),
                            nr, p.beta, first, tile);
            for (; i < mc; i += MR) {
                int mr = Math.min(MR, mc - i);
                kernel(ap.a, ap.base + (i / MR) * ap.panel, ap.row, ap.depth, bp, bo, kc, p.C, cCol + i * p.cr,
                        p.cr, p.cc, mr, nr, p.beta, first, tile);
            }
        }
    }

    /**
     * The MR×NR micro-kernel: C tile (+)= A panel · B panel over depth kc; A's row r at depth q is
     * {@code a[ao + r·row + q·depth]}. Rows at or past mr repeat row mr − 1 (their sums are never stored), so a
     * short panel read in place stays inside A.
     */
    static void kernel(float[] a, int ao, int row, int depth, float[] b, int bo, int kc, float[] c, int co, int cr,
                       int cc, int mr, int nr, float beta, boolean first, float[] tile) {
        int o1 = Math.min(1, mr - 1) * row, o2 = Math.min(2, mr - 1) * row, o3 = Math.min(3, mr - 1) * row,
                o4 = Math.min(4, mr - 1) * row, o5 = Math.min(5, mr - 1) * row;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int q = 0; q < kc; q++, ao += depth, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ao + o1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ao + o2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ao + o3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ao + o4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ao + o5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // The tile goes through the scratch array so that no vector crosses a call: a kernel that calls a
        // vector-taking store helper could be compiled with that call left out of line (C2 runs out of its inlining
        // budget on a kernel this size, depending on the JIT's timing), boxing every accumulator; such JVMs ran
        // this GEMM 7x slower.
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        storeTile(tile, 0, c, co, cr, cc, mr, nr, beta, first);
    }

    /**
     * {@link #kernel} for a tile at most L columns wide, over two row panels: a full one at ao (C at co) and one of
     * mr2 rows at ao2 (C at co2), against the first vector of each B panel row. With 16 columns (a convolution's
     * weight gradient with 16 output channels) the wide kernel left half its accumulators on padding and ran at half
     * speed. Each element is the same chain of fused multiply-adds as in the wide kernel, so the bits are the same.
     */
    static void kernelNarrow(float[] a, int ao, int ao2, int row, int depth, float[] b, int bo, int kc, float[] c, int co,
                             int co2, int cr, int cc, int mr2, int nr, float beta, boolean first, float[] tile) {
        int p1 = Math.min(1, mr2 - 1) * row, p2 = Math.min(2, mr2 - 1) * row, p3 = Math.min(3, mr2 - 1) * row,
                p4 = Math.min(4, mr2 - 1) * row, p5 = Math.min(5, mr2 - 1) * row;
        int r2 = 2 * row, r3 = 3 * row, r4 = 4 * row, r5 = 5 * row;
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, d0 = z, d1 = z, d2 = z, d3 = z, d4 = z, d5 = z;
        for (int q = 0; q < kc; q++, ao += depth, ao2 += depth, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            c0 = FloatVector.broadcast(S, a[ao]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[ao + row]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[ao + r2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[ao + r3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[ao + r4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[ao + r5]).fma(b0, c5);
            d0 = FloatVector.broadcast(S, a[ao2]).fma(b0, d0);
            d1 = FloatVector.broadcast(S, a[ao2 + p1]).fma(b0, d1);
            d2 = FloatVector.broadcast(S, a[ao2 + p2]).fma(b0, d2);
            d3 = FloatVector.broadcast(S, a[ao2 + p3]).fma(b0, d3);
            d4 = FloatVector.broadcast(S, a[ao2 + p4]).fma(b0, d4);
            d5 = FloatVector.broadcast(S, a[ao2 + p5]).fma(b0, d5);
        }
        // Through the scratch tile, as in the wide kernel: the first panel's rows in the left halves of the tile's
        // rows, the second panel's in the right halves.
        c0.intoArray(tile, 0);
        d0.intoArray(tile, L);
        c1.intoArray(tile, NR);
        d1.intoArray(tile, NR + L);
        c2.intoArray(tile, 2 * NR);
        d2.intoArray(tile, 2 * NR + L);
        c3.intoArray(tile, 3 * NR);
        d3.intoArray(tile, 3 * NR + L);
        c4.intoArray(tile, 4 * NR);
        d4.intoArray(tile, 4 * NR + L);
        c5.intoArray(tile, 5 * NR);
        d5.intoArray(tile, 5 * NR + L);
        storeTile(tile, 0, c, co, cr, cc, MR, nr, beta, first);
        storeTile(tile, L, c, co2, cr, cc, mr2, nr, beta, first);
    }

    /**
     * C tile (mr×nr at co) = its sums in tile (row r from tile[t0 + r·NR] on), plus C itself (a later depth slice) or
     * beta·C (the first).
     */
    private static void storeTile(float[] tile, int t0, float[] c, int co, int cr, int cc, int mr, int nr, float beta,
                                  boolean first) {
        if (cc == 1 && nr == NR) {
            for (int r = 0, t = t0, at = co; r < mr; r++, t += NR, at += cr) {
                FloatVector v0 = FloatVector.fromArray(S, tile, t), v1 = FloatVector.fromArray(S, tile, t + L);
                if (!first) {
                    v0 = FloatVector.fromArray(S, c, at).add(v0);
                    v1 = FloatVector.fromArray(S, c, at + L).add(v1);
                } else if (beta != 0f) {
                    v0 = FloatVector.fromArray(S, c, at).mul(beta).add(v0);
                    v1 = FloatVector.fromArray(S, c, at + L).mul(beta).add(v1);
                }
                v0.intoArray(c, at);
                v1.intoArray(c, at + L);
            }
            return;
        }
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) {
                int at = co + r * cr + j * cc;
                float t = tile[t0 + r * NR + j];
                c[at] = !first ? c[at] + t : beta == 0f ? t : beta * c[at] + t;
            }
    }
}
