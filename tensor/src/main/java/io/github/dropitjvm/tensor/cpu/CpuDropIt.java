package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.BFloat16;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Philox;
import io.github.dropitjvm.tensor.Tensor;

/**
 * DropIT's primitives on the CPU. Selection is a radix select on the bits of |x|: for non-NaN floats the
 * sign-cleared bit pattern orders like the magnitude, so three histogram passes over 11 + 11 + 9 bits find
 * the exact bit pattern T of the k-th largest |x| and how many lie strictly above it; one more pass marks
 * everything above T plus the first (k − above) elements equal to T in flat order (ties to the lower index).
 */
final class CpuDropIt {
    private CpuDropIt() {}

    private static final int NAN_BITS = 0x7F800000;

    static long selectTopAbs(Tensor x, long k, Tensor mask) {
        Tensor xc = x.contiguous();
        float[] a = CpuBackend.cpu(xc).floats();
        int off = (int) xc.offset(), n = (int) xc.numel();
        int[] words = CpuBackend.cpu(mask).ints();
        // pass 1: top 11 bits (30..20), counting NaNs on the way
        int[] hist = new int[2048];
        long nans = 0;
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits(a[off + i]) & 0x7FFFFFFF;
            if (b > NAN_BITS) nans++;
            else hist[b >>> 20]++;
        }
        if (nans > 0 || k == 0) return nans;
        if (k == n) {
            for (int i = 0; i < n; i++) words[i >>> 5] |= 1 << (i & 31);
            return 0;
        }
        long above = 0;
        int b1 = 2047;
        while (above + hist[b1] < k) above += hist[b1--];
        // pass 2: bits 19..9 among elements whose top bits equal b1
        hist = new int[2048];
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits(a[off + i]) & 0x7FFFFFFF;
            if (b >>> 20 == b1) hist[(b >>> 9) & 0x7FF]++;
        }
        int b2 = 2047;
        while (above + hist[b2] < k) above += hist[b2--];
        // pass 3: bits 8..0 among elements whose top 22 bits equal (b1, b2)
        int prefix = (b1 << 11) | b2;
        hist = new int[512];
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits(a[off + i]) & 0x7FFFFFFF;
            if (b >>> 9 == prefix) hist[b & 0x1FF]++;
        }
        int b3 = 511;
        while (above + hist[b3] < k) above += hist[b3--];
        int threshold = (prefix << 9) | b3;
        long equalsToTake = k - above;
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits(a[off + i]) & 0x7FFFFFFF;
            if (b > threshold || (b == threshold && equalsToTake-- > 0)) words[i >>> 5] |= 1 << (i & 31);
        }
        return 0;
    }

    static long randomKeepMask(long seed, int layer, int step, double gamma, Tensor mask) {
        int[] words = CpuBackend.cpu(mask).ints();
        int n = (int) mask.numel();
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        long kept = 0;
        for (int i = 0; i < n; i++) {
            float u = Philox.uniform(Philox.first(i, 0, layer, step, k0, k1));
            if (u >= gamma) {
                words[i >>> 5] |= 1 << (i & 31);
                kept++;
            }
        }
        return kept;
    }

    static long countMask(Tensor mask, long n) {
        int[] words = CpuBackend.cpu(mask).ints();
        int full = (int) (n >>> 5);
        long c = 0;
        for (int w = 0; w < full; w++) c += Integer.bitCount(words[w]);
        int rest = (int) (n & 31);
        if (rest > 0) c += Integer.bitCount(words[full] & ((1 << rest) - 1));
        return c;
    }

    static void compact(Tensor x, Tensor mask, Tensor values) {
        Tensor xc = x.contiguous();
        float[] a = CpuBackend.cpu(xc).floats();
        int off = (int) xc.offset(), n = (int) xc.numel();
        int[] words = CpuBackend.cpu(mask).ints();
        boolean bf16 = values.dtype() == DType.BF16;
        float[] vf = bf16 ? null : CpuBackend.cpu(values).floats();
        short[] vb = bf16 ? CpuBackend.cpu(values).shorts() : null;
        int j = 0;
        for (int w = 0; w * 32 < n; w++) {
            int bits = words[w];
            while (bits != 0) {
                int i = w * 32 + Integer.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (i >= n) break;
                if (bf16) vb[j++] = BFloat16.fromFloat(a[off + i]);
                else vf[j++] = a[off + i];
            }
        }
    }

    static void maskToIndex(Tensor mask, Tensor index) {
        int[] words = CpuBackend.cpu(mask).ints(), out = CpuBackend.cpu(index).ints();
        int n = (int) mask.numel(), j = 0;
        for (int w = 0; w * 32 < n; w++) {
            int bits = words[w];
            while (bits != 0) {
                int i = w * 32 + Integer.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (i >= n) break;
                out[j++] = i;
            }
        }
    }

    private static float value(Tensor values, int j) {
        CpuStorage s = CpuBackend.cpu(values);
        int p = (int) values.offset() + j;
        return values.dtype() == DType.BF16 ? BFloat16.toFloat(s.shorts()[p]) : s.floats()[p];
    }

    static void scatterMasked(Tensor values, Tensor mask, Tensor out) {
        int[] words = CpuBackend.cpu(mask).ints();
        float[] o = CpuBackend.cpu(out).floats();
        int n = (int) mask.numel(), off = (int) out.offset(), j = 0;
        for (int w = 0; w * 32 < n; w++) {
            int bits = words[w];
            while (bits != 0) {
                int i = w * 32 + Integer.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (i >= n) break;
                o[off + i] = value(values, j++);
            }
        }
    }

    static void scatterIndexed(Tensor values, Tensor index, Tensor out) {
        int[] idx = CpuBackend.cpu(index).ints();
        float[] o = CpuBackend.cpu(out).floats();
        int k = (int) index.numel(), io = (int) index.offset(), off = (int) out.offset(), n = (int) out.numel();
        for (int j = 0; j < k; j++) {
            int i = idx[io + j];
            if (i < 0 || i >= n)
                throw new IndexOutOfBoundsException("DropIT scatter: position " + i + " outside the " + n + "-element output");
            o[off + i] = value(values, j);
        }
    }
}
