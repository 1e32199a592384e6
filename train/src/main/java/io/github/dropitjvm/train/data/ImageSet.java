package io.github.dropitjvm.train.data;

/**
 * A labelled image set held in memory as unsigned bytes, N×C×H×W row-major (Fashion-MNIST's 60 000 training
 * images are 47 MB this way), with its class count.
 *
 * @param name e.g. "fashion-mnist-train"; used in messages
 * @param pixels N·C·H·W unsigned bytes
 * @param labels N class indices in [0, numClasses)
 */
public record ImageSet(String name, byte[] pixels, int[] labels, int channels, int height, int width, int numClasses) {
    public ImageSet {
        long per = (long) channels * height * width;
        if (per <= 0 || pixels.length % per != 0 || pixels.length / per != labels.length)
            throw new IllegalArgumentException("image set " + name + ": " + pixels.length + " pixel bytes do not make "
                    + labels.length + " images of " + channels + "x" + height + "x" + width);
        for (int i = 0; i < labels.length; i++)
            if (labels[i] < 0 || labels[i] >= numClasses)
                throw new IllegalArgumentException("image set " + name + ": label " + labels[i] + " of image " + i + " outside [0, " + numClasses + ")");
    }

    /** The number of images. */
    public int size() {
        return labels.length;
    }

    /** Bytes per image, C·H·W. */
    public int imageBytes() {
        return channels * height * width;
    }

    /** The first n images (n clamped to the size). */
    public ImageSet first(int n) {
        int k = Math.min(n, size());
        return new ImageSet(name, java.util.Arrays.copyOf(pixels, k * imageBytes()), java.util.Arrays.copyOf(labels, k),
                channels, height, width, numClasses);
    }

    /** The images at the given indices, in that order. */
    public ImageSet subset(String subsetName, int[] indices) {
        int per = imageBytes();
        byte[] px = new byte[indices.length * per];
        int[] lb = new int[indices.length];
        for (int j = 0; j < indices.length; j++) {
            System.arraycopy(pixels, indices[j] * per, px, j * per, per);
            lb[j] = labels[indices[j]];
        }
        return new ImageSet(subsetName, px, lb, channels, height, width, numClasses);
    }
}
