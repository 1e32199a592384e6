package io.github.dropitjvm.train.data;

import io.github.dropitjvm.tensor.Philox;

/**
 * The standard CIFAR/MNIST training augmentation: pad each side by {@code padding} pixels with zeros, take a
 * random H×W crop of the padded image (a shift by −padding..+padding in each direction), then, if {@code flip},
 * mirror it left–right with probability ½. The shift and flip of image {@code index} in {@code epoch} are the
 * first three words of Philox-4x32-10 with key (seed low, seed high) and counter (index, epoch, 0xA06, 0): a pure
 * function of (seed, epoch, index), the same on every thread and in a resumed run.
 *
 * @param padding pixels of zero padding per side (0 disables the crop); e.g. 2 for 28 px, 4 for 32 px
 * @param flip whether to mirror half the images (off for digits, where mirroring changes the class)
 */
public record RandomCropFlip(int padding, boolean flip) implements Augmentation {
    /** Tags this use of the seed so it is independent of the loader's shuffle stream. */
    private static final int STREAM = 0xA06;

    public RandomCropFlip {
        if (padding < 0) throw new IllegalArgumentException("random crop: padding must be >= 0, got " + padding);
    }

    @Override
    public void apply(float[] image, int channels, int height, int width, long seed, int epoch, int index) {
        int[] r = new int[4];
        Philox.block(index, epoch, STREAM, 0, (int) seed, (int) (seed >>> 32), r);
        int span = 2 * padding + 1;
        int dy = (int) ((Integer.toUnsignedLong(r[0]) * span) >>> 32) - padding;
        int dx = (int) ((Integer.toUnsignedLong(r[1]) * span) >>> 32) - padding;
        boolean mirror = flip && (r[2] & 1) != 0;
        if (dy == 0 && dx == 0 && !mirror) return;
        int plane = height * width;
        float[] src = new float[plane];
        for (int c = 0; c < channels; c++) {
            int base = c * plane;
            System.arraycopy(image, base, src, 0, plane);
            for (int y = 0; y < height; y++) {
                int sy = y + dy;
                for (int x = 0; x < width; x++) {
                    int sx = (mirror ? width - 1 - x : x) + dx;
                    image[base + y * width + x] = sy >= 0 && sy < height && sx >= 0 && sx < width ? src[sy * width + sx] : 0f;
                }
            }
        }
    }
}
