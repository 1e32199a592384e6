package io.github.dropitjvm.tensor;

/**
 * Sizes of a 2-D sliding window (convolution or pooling) over an input of N×C×H×W: kernel kh×kw, stride, zero
 * padding, and the output size OH×OW = floor((H + 2·padH − kh)/strideH) + 1 (likewise for W).
 */
public record Conv2dGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW) {
    public Conv2dGeometry {
        if (n < 0 || c < 0 || h < 0 || w < 0)
            throw new IllegalArgumentException("conv2d: negative input size " + n + "x" + c + "x" + h + "x" + w);
        if (kh <= 0 || kw <= 0) throw new IllegalArgumentException("conv2d: kernel size must be positive, got " + kh + "x" + kw);
        if (strideH <= 0 || strideW <= 0) throw new IllegalArgumentException("conv2d: stride must be positive, got " + strideH + "x" + strideW);
        if (padH < 0 || padW < 0) throw new IllegalArgumentException("conv2d: padding must be >= 0, got " + padH + "x" + padW);
        if (h + 2 * padH < kh || w + 2 * padW < kw)
            throw new IllegalArgumentException("conv2d: kernel " + kh + "x" + kw + " larger than padded input " + (h + 2 * padH) + "x" + (w + 2 * padW));
    }

    public int outH() {
        return (h + 2 * padH - kh) / strideH + 1;
    }

    public int outW() {
        return (w + 2 * padW - kw) / strideW + 1;
    }
}
